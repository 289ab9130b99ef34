import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { type Config, defaultConfig, formatConfigErrors, parseConfig } from "../core/config.js";
import { TRACKING_FILES, trackingFilePath } from "../core/markdown/index.js";
import { git, userIdentity } from "./git.js";
import { type RepoLayout, repoLayout } from "./repo-layout.js";

/** A local git repository opened for `conveyor run` and its sibling commands. */
export interface LocalRepo {
  root: string;
  layout: RepoLayout;
  config: Config;
  /** Set when `.github/conveyor.yml` could not be read: nothing is dispatched. */
  configErrors?: string[];
  /** Branch the tasks merge into (checked out in the main work tree). */
  base: string;
  /** Tracking files, relative to the root (`TODO.md` or `<folder>/TODO.md`). */
  trackingPaths: string[];
  changelogPath: string;
  /** Environment for git commits (an identity is supplied when git has none). */
  gitEnv: NodeJS.ProcessEnv;
}

export const CONFIG_PATH = ".github/conveyor.yml";

/** Opens the repository at (or above) `cwd`. Bad input is an `Error` value with the fix. */
export async function openLocalRepo(
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<LocalRepo | Error> {
  const top = await git(cwd, ["rev-parse", "--show-toplevel"]);
  if (top.code !== 0)
    return new Error(`${cwd} is not inside a git repository (run \`git init -b main\` first)`);
  const root = top.stdout.trim();
  const configText = readText(join(root, CONFIG_PATH));
  let config = defaultConfig();
  let configErrors: string[] | undefined;
  if (configText !== undefined) {
    const parsed = parseConfig(configText);
    if (parsed.ok) config = parsed.config;
    else configErrors = [`${CONFIG_PATH}:\n${formatConfigErrors(parsed.errors)}`];
  }
  const branch = await git(root, ["symbolic-ref", "--quiet", "--short", "HEAD"]);
  const current = branch.code === 0 ? branch.stdout.trim() : undefined;
  const base = config.baseBranch ?? current;
  if (base === undefined)
    return new Error("HEAD is detached: check out the base branch (e.g. `git switch main`)");
  if (current !== base)
    return new Error(
      `the main work tree is on '${current ?? "(detached)"}', not on the base branch '${base}': run \`git switch ${base}\``,
    );
  const folder = config.mirror.folder;
  const trackingPaths = TRACKING_FILES.map((f) => trackingFilePath(f.name, folder));
  const changelogPath = folder.replace(/\/+$/, "")
    ? `${folder.replace(/\/+$/, "")}/CHANGELOG.md`
    : "CHANGELOG.md";
  const gitEnv = await identityEnv(root, env);
  const repo: LocalRepo = {
    root,
    layout: repoLayout(root),
    config,
    base,
    trackingPaths,
    changelogPath,
    gitEnv,
  };
  if (configErrors) repo.configErrors = configErrors;
  await prepareGitDir(root, changelogPath, trackingPaths);
  return repo;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * Git needs an author for Conveyor's commits. Conveyor's git calls read no global config,
 * so the user's identity (global config included) is read once here and given to every
 * call through the environment; "Conveyor" when there is none.
 */
async function identityEnv(root: string, env: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  const who = await userIdentity(root, env);
  const out = { ...env };
  const name = who.name ?? "Conveyor";
  const email = who.email ?? "conveyor@localhost";
  out.GIT_AUTHOR_NAME ??= name;
  out.GIT_COMMITTER_NAME ??= name;
  out.GIT_AUTHOR_EMAIL ??= email;
  out.GIT_COMMITTER_EMAIL ??= email;
  return out;
}

/**
 * Keeps `.conveyor/` and `.worktrees/` out of git (`info/exclude`); merges CHANGELOG.md with
 * git's union driver (every task adds an Unreleased line, and those never conflict) and the
 * tracking files with a driver that keeps the base's version (the board is Conveyor's to
 * write, never a branch's). All local to this clone (`info/`, `.git/config`): nothing is
 * committed.
 */
async function prepareGitDir(
  root: string,
  changelogPath: string,
  trackingPaths: string[],
): Promise<void> {
  const common = await git(root, ["rev-parse", "--git-common-dir"]);
  const dir = common.stdout.trim();
  const gitDir = isAbsolute(dir) ? dir : join(root, dir);
  const info = join(gitDir, "info");
  mkdirSync(info, { recursive: true });
  ensureLines(join(info, "exclude"), ["/.conveyor/", "/.worktrees/"]);
  ensureLines(join(info, "attributes"), [
    `/${changelogPath} merge=union`,
    ...trackingPaths.map((p) => `/${p} merge=conveyor-keep`),
  ]);
  const driver = await git(root, ["config", "--local", "--get", "merge.conveyor-keep.driver"]);
  if (driver.code !== 0)
    await git(root, ["config", "--local", "merge.conveyor-keep.driver", "true"]);
}

function ensureLines(path: string, wanted: string[]): void {
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  const have = new Set(text.split("\n").map((l) => l.trim()));
  const missing = wanted.filter((l) => !have.has(l));
  if (missing.length === 0) return;
  const sep = text === "" || text.endsWith("\n") ? "" : "\n";
  appendFileSync(path, `${sep}${missing.join("\n")}\n`);
}
