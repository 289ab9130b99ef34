import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { emptyRepoMemory } from "../../core/board.js";
import { readConfigText } from "../../core/config.js";
import { renderChangelogSkeleton, renderTrackingFiles } from "../../core/markdown/index.js";
import { packageRoot as findPackageRoot } from "../../package-info.js";
import { git } from "../git/git.js";
import { CONFIG_PATH } from "./local-repo.js";

export interface InitResult {
  root: string;
  written: string[];
  kept: string[];
  /** Templates that could not be found in this installation. */
  missing: string[];
  /** The agent runner the configuration (written or already there) names. */
  runner: "builtin" | "command";
}

export interface InitOptions {
  /** Also write the two workflow templates of the GitHub setup. */
  github?: boolean;
}

const WORKFLOWS = ["conveyor.yml", "conveyor-agent.yml"];

/**
 * `conveyor init`: a commented `.github/conveyor.yml`, empty tracking files, CHANGELOG.md,
 * and, with `github`, the two workflow templates of the GitHub setup. Existing files are
 * never overwritten.
 */
export async function initRepo(
  cwd: string,
  options: InitOptions = {},
): Promise<InitResult | Error> {
  const top = await git(cwd, ["rev-parse", "--show-toplevel"]);
  if (top.code !== 0)
    return new Error(`${cwd} is not inside a git repository: run \`git init -b main\` first`);
  const root = top.stdout.trim();
  const pkg = packageRoot();
  const result: InitResult = { root, written: [], kept: [], missing: [], runner: "builtin" };
  const put = (path: string, text: string | undefined, template?: string) => {
    if (text === undefined) {
      result.missing.push(template ?? path);
      return;
    }
    const at = join(root, path);
    if (existsSync(at)) {
      result.kept.push(path);
      return;
    }
    mkdirSync(dirname(at), { recursive: true });
    writeFileSync(at, text);
    result.written.push(path);
  };
  put(CONFIG_PATH, readTemplate(pkg, ["templates/conveyor.yml"]), "templates/conveyor.yml");
  const empty = renderTrackingFiles({
    repo: root,
    tasks: [],
    runs: {},
    results: {},
    preflight: [],
    repoMemory: emptyRepoMemory(),
  });
  for (const [path, text] of Object.entries(empty)) put(path, text);
  put("CHANGELOG.md", renderChangelogSkeleton());
  if (options.github)
    for (const name of WORKFLOWS) {
      const candidates = [`templates/workflows/${name}`, `.github/workflows/${name}`];
      put(`.github/workflows/${name}`, readTemplate(pkg, candidates), candidates[0]);
    }
  const configFile = join(root, CONFIG_PATH);
  const read = readConfigText(
    existsSync(configFile) ? readFileSync(configFile, "utf8") : undefined,
    CONFIG_PATH,
  );
  if (read.ok && read.config.agent.runner === "command") result.runner = "command";
  return result;
}

/** The folder of Conveyor's own package.json (sources or bundle alike). */
function packageRoot(): string {
  return findPackageRoot() ?? dirname(dirname(dirname(dirname(fileURLToPath(import.meta.url)))));
}

function readTemplate(root: string, candidates: string[]): string | undefined {
  for (const c of candidates) {
    try {
      return readFileSync(join(root, c), "utf8");
    } catch {
      // next candidate
    }
  }
  return undefined;
}
