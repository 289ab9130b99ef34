import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { type Config, readConfigText } from "../../core/config.js";
import { TRACKING_FILES, trackingFilePath } from "../../core/markdown/index.js";
import { git, userIdentity } from "../git/git.js";
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
  /**
   * Environment of Conveyor's own git commands: an identity when git has none, and the merge
   * settings of its merges (`conveyorGitConfig`), never written to the user's git config.
   */
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
  const read = readConfigText(configText, CONFIG_PATH);
  const config: Config = read.config;
  const configErrors = read.ok ? undefined : [`${CONFIG_PATH}:\n${read.listed ?? ""}`];
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
  const layout = repoLayout(root);
  const gitEnv = conveyorGitConfig(await identityEnv(root, env), layout.mergeAttributesFile);
  const repo: LocalRepo = {
    root,
    layout,
    config,
    base,
    trackingPaths,
    changelogPath,
    gitEnv,
  };
  if (configErrors) repo.configErrors = configErrors;
  await prepareGitDir(root, layout.mergeAttributesFile, changelogPath, trackingPaths);
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
 * Keeps `.conveyor/` and `.worktrees/` out of git (`info/exclude`: `git status` stays clean).
 * Nothing else of the user's git changes: the merge settings Conveyor's own merges need are
 * given to its own git commands only (`conveyorGitConfig`), and the ones older versions wrote
 * into `.git/info/attributes` and `.git/config` (which changed how the user's own `git merge`
 * treats the tracking files) are removed.
 */
async function prepareGitDir(
  root: string,
  attributesFile: string,
  changelogPath: string,
  trackingPaths: string[],
): Promise<void> {
  const common = await git(root, ["rev-parse", "--git-common-dir"]);
  const dir = common.stdout.trim();
  const gitDir = isAbsolute(dir) ? dir : join(root, dir);
  const info = join(gitDir, "info");
  mkdirSync(info, { recursive: true });
  ensureLines(join(info, "exclude"), ["/.conveyor/", "/.worktrees/"]);
  removeLines(join(info, "attributes"), (line) => OLD_ATTRIBUTE.test(line.trim()));
  const driver = await git(root, [
    "config",
    "--local",
    "--get-regexp",
    "^merge\\.conveyor-keep\\.",
  ]);
  if (driver.code === 0)
    await git(root, ["config", "--local", "--remove-section", "merge.conveyor-keep"]);
  const text = mergeAttributes(changelogPath, trackingPaths);
  if (readText(attributesFile) !== text) {
    mkdirSync(dirname(attributesFile), { recursive: true });
    writeFileSync(attributesFile, text);
  }
}

/** The lines older versions wrote to `.git/info/attributes`. */
const OLD_ATTRIBUTE = /^\/\S+ merge=conveyor-keep$|^\/(?:\S+\/)?CHANGELOG\.md merge=union$/;

/**
 * The attributes of Conveyor's own merges: CHANGELOG.md with git's union driver (every task
 * adds an Unreleased line, and those never conflict), the tracking files with a driver that
 * keeps the base's version (the board is Conveyor's to write, never a branch's).
 */
function mergeAttributes(changelogPath: string, trackingPaths: readonly string[]): string {
  return `${[
    `/${changelogPath} merge=union`,
    ...trackingPaths.map((p) => `/${p} merge=conveyor-keep`),
  ].join("\n")}\n`;
}

/**
 * Settings for Conveyor's own git commands, as `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_<n>`/
 * `GIT_CONFIG_VALUE_<n>` (git >= 2.31; they apply to that process only, after any already in
 * `env`): its attributes file (read with less priority than the repository's own
 * `.gitattributes` and `.git/info/attributes`) and the driver it names.
 */
export function conveyorGitConfig(
  env: NodeJS.ProcessEnv,
  attributesFile: string,
): NodeJS.ProcessEnv {
  const pairs: [string, string][] = [
    ["core.attributesFile", attributesFile],
    ["merge.conveyor-keep.name", "Conveyor: keep the base's tracking file"],
    ["merge.conveyor-keep.driver", "true"],
  ];
  const start = Number.parseInt(env.GIT_CONFIG_COUNT ?? "0", 10) || 0;
  const out: NodeJS.ProcessEnv = { ...env, GIT_CONFIG_COUNT: String(start + pairs.length) };
  pairs.forEach(([key, value], i) => {
    out[`GIT_CONFIG_KEY_${start + i}`] = key;
    out[`GIT_CONFIG_VALUE_${start + i}`] = value;
  });
  return out;
}

function ensureLines(path: string, wanted: string[]): void {
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  const have = new Set(text.split("\n").map((l) => l.trim()));
  const missing = wanted.filter((l) => !have.has(l));
  if (missing.length === 0) return;
  const sep = text === "" || text.endsWith("\n") ? "" : "\n";
  appendFileSync(path, `${sep}${missing.join("\n")}\n`);
}

function removeLines(path: string, drop: (line: string) => boolean): void {
  const text = readText(path);
  if (text === undefined) return;
  const lines = text.split("\n");
  const kept = lines.filter((l) => !drop(l));
  if (kept.length !== lines.length) writeFileSync(path, kept.join("\n"));
}
