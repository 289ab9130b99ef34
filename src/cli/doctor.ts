import { execFile } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { Octokit } from "@octokit/rest";
import { type Config, defaultConfig, readConfigText } from "../core/config.js";
import { git } from "../local/git/git.js";

/** One thing `conveyor doctor` looked at: fine, a warning, or a problem with its fix. */
export interface Finding {
  area: "local" | "github";
  check: string;
  status: "ok" | "warn" | "problem";
  detail: string;
  fix?: string;
}

const CONFIG_PATH = ".github/conveyor.yml";
const WORKFLOWS = [".github/workflows/conveyor.yml", ".github/workflows/conveyor-agent.yml"];

const ok = (area: Finding["area"], check: string, detail: string): Finding => ({
  area,
  check,
  status: "ok",
  detail,
});
const problem = (
  area: Finding["area"],
  check: string,
  detail: string,
  fix: string,
  status: "warn" | "problem" = "problem",
): Finding => ({ area, check, status, detail, fix });

/** A client for the few requests of `doctor`; quiet, since a 404 is an answer here. */
export function doctorOctokit(token: string, baseUrl = "https://api.github.com"): Octokit {
  const quiet = () => undefined;
  return new Octokit({
    auth: token,
    baseUrl,
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
  });
}

/** The executable `name` on `PATH`, or undefined. */
export function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env, timeout: 10_000 }, (error, _stdout, stderr) =>
      resolve({
        code: error ? (typeof error.code === "number" ? error.code : 1) : 0,
        stderr: String(stderr || error?.message || ""),
      }),
    );
  });
}

/** The local checks: Node, git identity and worktrees, the sandbox, the config file. */
export async function localChecks(
  cwd: string,
  env: NodeJS.ProcessEnv,
  nodeVersion: string = process.versions.node,
): Promise<{ findings: Finding[]; root?: string; config: Config }> {
  const findings: Finding[] = [];
  const major = Number(nodeVersion.split(".")[0]);
  findings.push(
    major >= 20
      ? ok("local", "node", `Node ${nodeVersion}`)
      : problem("local", "node", `Node ${nodeVersion} is too old`, "install Node 20 or newer"),
  );

  const top = await git(cwd, ["rev-parse", "--show-toplevel"], env);
  const root = top.code === 0 ? top.stdout.trim() : undefined;
  if (!root) {
    findings.push(
      problem(
        "local",
        "git repository",
        `${cwd} is not inside a git repository`,
        "git init -b main",
      ),
    );
  } else {
    const name = (await git(root, ["config", "user.name"], env)).stdout.trim();
    const email = (await git(root, ["config", "user.email"], env)).stdout.trim();
    findings.push(
      name && email
        ? ok("local", "git identity", `${name} <${email}>`)
        : problem(
            "local",
            "git identity",
            `git has no ${[!name && "user.name", !email && "user.email"].filter(Boolean).join(" and ")}: local mode cannot commit`,
            'git config user.name "Your Name" && git config user.email you@example.com',
          ),
    );
    const list = await git(root, ["worktree", "list", "--porcelain"], env);
    const stale = list.stdout
      .split("\n\n")
      .filter((block) => /^prunable/m.test(block))
      .map((block) => block.match(/^worktree (.+)$/m)?.[1] ?? "?");
    const count = list.stdout.split("\n").filter((l) => l.startsWith("worktree ")).length;
    findings.push(
      stale.length === 0
        ? ok("local", "worktrees", `${count} worktree${count === 1 ? "" : "s"}, none stale`)
        : problem(
            "local",
            "worktrees",
            `stale worktrees (their folders are gone): ${stale.join(", ")}`,
            "git worktree prune",
            "warn",
          ),
    );
  }

  const bwrap = onPath("bwrap", env);
  if (!bwrap) {
    findings.push(
      problem(
        "local",
        "sandbox",
        "bubblewrap (bwrap) is not on PATH: agents' commands cannot be sandboxed",
        "sudo apt-get install bubblewrap socat (Debian/Ubuntu), sudo dnf install bubblewrap socat (Fedora)",
      ),
    );
  } else {
    const probe = await run(
      bwrap,
      ["--ro-bind", "/", "/", "--dev", "/dev", "--unshare-all", "--die-with-parent", "true"],
      env,
    );
    findings.push(
      probe.code === 0
        ? ok("local", "sandbox", `bubblewrap works (${bwrap})`)
        : problem(
            "local",
            "sandbox",
            `bubblewrap is installed but cannot create a sandbox: ${probe.stderr.trim().split("\n")[0] ?? ""}`,
            "unprivileged user namespaces are restricted (Ubuntu 24.04's AppArmor): sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0",
          ),
      ...(onPath("socat", env)
        ? []
        : [
            problem(
              "local",
              "sandbox network",
              "socat is not on PATH: the sandbox's network proxy needs it",
              "sudo apt-get install socat",
            ),
          ]),
    );
  }

  let config = defaultConfig();
  const configFile = root ? join(root, CONFIG_PATH) : undefined;
  if (configFile && existsSync(configFile)) {
    const parsed = readConfigText(readFileSync(configFile, "utf8"), CONFIG_PATH);
    if (parsed.ok) {
      config = parsed.config;
      findings.push(ok("local", "config", `${CONFIG_PATH} is valid`));
    } else
      findings.push(
        problem(
          "local",
          "config",
          parsed.problem ?? `${CONFIG_PATH} is invalid`,
          "fix the keys above (the schema: schema/conveyor.schema.json)",
        ),
      );
  } else if (root)
    findings.push(
      problem(
        "local",
        "config",
        `no ${CONFIG_PATH}: the defaults apply`,
        "conveyor init writes a commented one",
        "warn",
      ),
    );
  return { findings, ...(root ? { root } : {}), config };
}

/** The labels people pick by hand (Conveyor adds its stage labels itself as it goes). */
function handLabels(config: Config): string[] {
  return [
    config.labels.todo,
    config.priorities.critical,
    config.priorities.high,
    config.priorities.medium,
    config.priorities.low,
  ];
}

function status(e: unknown): number | undefined {
  return (e as { status?: number }).status;
}

/**
 * The repository's setup through the API: workflows, labels (created with `fix`), the
 * workflow permission settings, the config on the default branch, and branch protection
 * and rulesets against what Conveyor writes there.
 */
export async function githubChecks(
  octokit: Octokit,
  owner: string,
  repo: string,
  options: { fix: boolean; localConfig?: Config },
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const base = { owner, repo };
  let defaultBranch: string;
  try {
    const r = await octokit.request("GET /repos/{owner}/{repo}", base);
    defaultBranch = r.data.default_branch;
    findings.push(ok("github", "repository", `${owner}/${repo}, default branch ${defaultBranch}`));
  } catch (e: unknown) {
    findings.push(
      problem(
        "github",
        "repository",
        `cannot read ${owner}/${repo} (HTTP ${status(e) ?? "error"})`,
        "check --repo and that GITHUB_TOKEN (or GH_TOKEN) can read the repository",
      ),
    );
    return findings;
  }

  // The config on the default branch (what the Action and the app read).
  let config = options.localConfig ?? defaultConfig();
  try {
    const r = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      ...base,
      path: CONFIG_PATH,
      ref: defaultBranch,
      headers: { accept: "application/vnd.github.raw+json" },
    });
    const parsed = readConfigText(String(r.data), `${CONFIG_PATH} on ${defaultBranch}`);
    if (parsed.ok) {
      config = parsed.config;
      findings.push(ok("github", "config", `${CONFIG_PATH} on ${defaultBranch} is valid`));
    } else
      findings.push(
        problem(
          "github",
          "config",
          `${CONFIG_PATH} on ${defaultBranch} is invalid (nothing is dispatched):\n${parsed.listed ?? ""}`,
          "fix the keys above and push",
        ),
      );
  } catch (e: unknown) {
    if (status(e) !== 404) throw e;
    findings.push(
      problem(
        "github",
        "config",
        `no ${CONFIG_PATH} on ${defaultBranch}: the defaults apply`,
        "conveyor init, then commit .github/conveyor.yml",
        "warn",
      ),
    );
  }

  for (const path of WORKFLOWS) {
    try {
      await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
        ...base,
        path,
        ref: defaultBranch,
      });
      findings.push(ok("github", "workflow", `${path} on ${defaultBranch}`));
    } catch (e: unknown) {
      if (status(e) !== 404) throw e;
      findings.push(
        problem(
          "github",
          "workflow",
          `${path} is missing on ${defaultBranch}${path.endsWith("agent.yml") ? ": no agent can run" : " (not needed with the GitHub App)"}`,
          `conveyor init writes it; commit it on ${defaultBranch}`,
          path.endsWith("agent.yml") ? "problem" : "warn",
        ),
      );
    }
  }

  const labels = (
    await octokit.paginate("GET /repos/{owner}/{repo}/labels", { ...base, per_page: 100 })
  ).map((l) => l.name.toLowerCase());
  const missing = handLabels(config).filter((l) => !labels.includes(l.toLowerCase()));
  if (missing.length === 0)
    findings.push(ok("github", "labels", "the todo and priority labels exist"));
  else if (options.fix) {
    for (const name of missing)
      await octokit.request("POST /repos/{owner}/{repo}/labels", {
        ...base,
        name,
        color: name === config.labels.todo ? "0e8a16" : "fbca04",
        description:
          name === config.labels.todo ? "Conveyor: schedule this task" : "Conveyor: task priority",
      });
    findings.push(ok("github", "labels", `created ${missing.join(", ")}`));
  } else
    findings.push(
      problem(
        "github",
        "labels",
        `missing labels people pick by hand: ${missing.join(", ")}`,
        "conveyor doctor --fix creates them",
        "warn",
      ),
    );

  try {
    const r = await octokit.request("GET /repos/{owner}/{repo}/actions/permissions/workflow", base);
    findings.push(
      r.data.can_approve_pull_request_reviews
        ? ok("github", "workflow permissions", "GitHub Actions may create pull requests")
        : problem(
            "github",
            "workflow permissions",
            "GITHUB_TOKEN may not create pull requests: the task agent's PR fails with 403 (unless the agent workflow uses an App token)",
            'Settings → Actions → General → Workflow permissions: tick "Allow GitHub Actions to create and approve pull requests"',
          ),
    );
  } catch (e: unknown) {
    if (status(e) !== 403 && status(e) !== 404) throw e;
    findings.push(
      problem(
        "github",
        "workflow permissions",
        "cannot read the Actions settings (the token needs admin access to the repository)",
        'check Settings → Actions → General → "Allow GitHub Actions to create and approve pull requests" by hand',
        "warn",
      ),
    );
  }

  findings.push(...(await branchRules(octokit, owner, repo, defaultBranch, config)));
  return findings;
}

/** Branch protection and rulesets of the branch Conveyor merges into and mirrors on. */
async function branchRules(
  octokit: Octokit,
  owner: string,
  repo: string,
  defaultBranch: string,
  config: Config,
): Promise<Finding[]> {
  const branch = config.baseBranch ?? defaultBranch;
  const findings: Finding[] = [];
  const writes = config.mirror.enabled ? "its merges and the tracking-file commit" : "its merges";
  let approvals = 0;
  let linear = false;
  let checks: string[] = [];
  let readable = true;
  try {
    const p = await octokit.request("GET /repos/{owner}/{repo}/branches/{branch}/protection", {
      owner,
      repo,
      branch,
    });
    approvals = p.data.required_pull_request_reviews?.required_approving_review_count ?? 0;
    if (p.data.required_pull_request_reviews && approvals === 0) approvals = -1; // PR required
    linear = p.data.required_linear_history?.enabled === true;
    checks = p.data.required_status_checks?.contexts ?? [];
  } catch (e: unknown) {
    if (status(e) === 403) readable = false;
    else if (status(e) !== 404) throw e;
  }
  try {
    const rules = await octokit.paginate("GET /repos/{owner}/{repo}/rules/branches/{branch}", {
      owner,
      repo,
      branch,
      per_page: 100,
    });
    for (const rule of rules as { type: string; parameters?: Record<string, unknown> }[]) {
      if (rule.type === "pull_request") {
        const n = Number(rule.parameters?.required_approving_review_count ?? 0);
        approvals = Math.max(approvals, n === 0 ? -1 : n);
      }
      if (rule.type === "required_linear_history") linear = true;
      if (rule.type === "required_status_checks")
        checks.push(
          ...((rule.parameters?.required_status_checks as { context: string }[]) ?? []).map(
            (c) => c.context,
          ),
        );
    }
  } catch (e: unknown) {
    if (status(e) !== 404 && status(e) !== 403) throw e;
  }
  if (!readable)
    findings.push(
      problem(
        "github",
        "branch protection",
        `cannot read the protection of ${branch} (needs admin access); rulesets were checked`,
        "check it by hand against the README's checklist",
        "warn",
      ),
    );
  if (approvals !== 0)
    findings.push(
      problem(
        "github",
        "branch protection",
        `${branch} requires a pull request${approvals > 0 ? ` with ${approvals} approval${approvals > 1 ? "s" : ""}` : ""}: ${writes} are refused unless the writer may bypass it`,
        config.mirror.enabled
          ? "add Conveyor's App to the ruleset's bypass list, or set mirror.enabled: false and approve the PRs before they merge"
          : "add Conveyor's App to the ruleset's bypass list, or approve the PRs before they merge",
      ),
    );
  if (linear && config.merge.method === "merge")
    findings.push(
      problem(
        "github",
        "branch protection",
        `${branch} requires a linear history but merge.method is merge (merge commits)`,
        "set merge.method: squash (or rebase) in .github/conveyor.yml",
      ),
    );
  if (!checks.includes("conveyor/test"))
    findings.push(
      problem(
        "github",
        "required checks",
        `${branch} does not require conveyor/test: a PR can be merged by hand before Conveyor's tester passed it`,
        "require the check conveyor/test (and your CI) in the branch's protection or ruleset",
        "warn",
      ),
    );
  if (findings.length === 0)
    findings.push(ok("github", "branch protection", `${branch} lets Conveyor write ${writes}`));
  return findings;
}

/** The report for people: one line per check, each problem followed by its fix. */
export function formatFindings(
  findings: readonly Finding[],
  paint: (f: "red" | "yellow" | "green", t: string) => string,
): string {
  const out: string[] = [];
  for (const area of ["local", "github"] as const) {
    const mine = findings.filter((f) => f.area === area);
    if (mine.length === 0) continue;
    out.push(area === "local" ? "This machine:" : "On GitHub:");
    for (const f of mine) {
      const mark =
        f.status === "ok"
          ? paint("green", "ok  ")
          : f.status === "warn"
            ? paint("yellow", "warn")
            : paint("red", "FAIL");
      const [first, ...rest] = f.detail.split("\n");
      out.push(`  ${mark}  ${f.check}: ${first}`);
      for (const l of rest) out.push(`          ${l}`);
      if (f.fix) out.push(`        fix: ${f.fix}`);
    }
    out.push("");
  }
  const problems = findings.filter((f) => f.status === "problem").length;
  const warnings = findings.filter((f) => f.status === "warn").length;
  out.push(
    problems === 0 && warnings === 0
      ? "Everything Conveyor needs is in place."
      : `${problems} problem${problems === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}.`,
  );
  return `${out.join("\n")}\n`;
}
