import { git } from "../../local/git/git.js";
import {
  doctorOctokit,
  type Finding,
  formatFindings,
  githubChecks,
  localChecks,
} from "../doctor.js";
import { defineCommand, UsageError } from "../io.js";
import { painter } from "../style.js";

/** `owner/name` of a GitHub remote URL (https or ssh), or undefined. */
export function repoOfRemote(url: string): string | undefined {
  const m = url.trim().match(/github\.com[:/]([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

export const doctorCommand = defineCommand({
  name: "doctor",
  summary: "check this machine and the repository's GitHub setup; each problem with its fix",
  usage: "conveyor doctor [--repo owner/name] [--fix] [--local]",
  options: {
    repo: {
      type: "string",
      value: "owner/name",
      description: "the GitHub repository (default: the origin remote)",
    },
    fix: { type: "boolean", description: "create the missing labels" },
    local: { type: "boolean", description: "check this machine only, not GitHub" },
  },
  notes: [
    "The GitHub checks read the token from GITHUB_TOKEN or GH_TOKEN (e.g. GH_TOKEN=$(gh auth token)).",
    "Exit code: 0 when nothing is wrong, 1 when a problem was found (warnings do not count).",
  ],
  async run({ values }, io) {
    const local = await localChecks(io.cwd, io.env);
    const findings: Finding[] = [...local.findings];
    if (!values.local) {
      let slug = values.repo;
      if (!slug && local.root) {
        const url = await git(local.root, ["remote", "get-url", "origin"], io.env);
        if (url.code === 0) slug = repoOfRemote(url.stdout);
      }
      const [owner, name, ...extra] = (slug ?? "").split("/");
      if (slug && (!owner || !name || extra.length > 0))
        throw new UsageError(`--repo must be owner/name, got ${slug}`);
      const token = io.env.GITHUB_TOKEN || io.env.GH_TOKEN;
      if (!owner || !name)
        findings.push({
          area: "github",
          check: "repository",
          status: "warn",
          detail: "no GitHub repository (no --repo, no github.com origin): GitHub not checked",
          fix: "conveyor doctor --repo owner/name",
        });
      else if (!token)
        findings.push({
          area: "github",
          check: "token",
          status: "warn",
          detail: `no GITHUB_TOKEN or GH_TOKEN: ${owner}/${name} not checked`,
          fix: "GH_TOKEN=$(gh auth token) conveyor doctor",
        });
      else
        findings.push(
          ...(await githubChecks(
            doctorOctokit(token, io.env.GITHUB_API_URL || "https://api.github.com"),
            owner,
            name,
            { fix: values.fix, localConfig: local.config },
          )),
        );
    }
    const paint = painter(io.stdout, io.env);
    io.stdout.write(formatFindings(findings, (f, t) => paint(f, t)));
    return findings.some((f) => f.status === "problem") ? 1 : 0;
  },
});
