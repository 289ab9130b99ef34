import { execFile } from "node:child_process";
import {
  existsSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  unlinkSync,
} from "node:fs";
import { isAbsolute, join } from "node:path";
import { safeGitArgs, safeGitEnv } from "../../agent/safe-git-env.js";

/** The outcome of one git command; a non-zero exit is a value, not an exception. */
export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Settings every git call of local mode uses (see safe-git-env.ts): no global or system
 * config, no attributes or excludes file from outside the repository, no fsmonitor, no
 * signing, no pager, no prompts, a minimal environment. The repository's own hooks still run
 * (they are the user's, in the user's repository; the agents' sandbox cannot write them).
 */

/** Runs `git args` in `cwd`. Never throws on a non-zero exit: read `code`. */
export function git(
  cwd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<GitResult> {
  // Settings Conveyor gives one call through the environment (its own merge attributes:
  // `GIT_CONFIG_COUNT` in `repo.gitEnv`) are kept; a `-c` would override them, so the
  // attributes file given that way is the one `safeGitArgs` sets.
  const config = configFromEnv(env);
  const attributesFile = config["core.attributesFile"];
  const flags = safeGitArgs({ hooks: "repo", ...(attributesFile ? { attributesFile } : {}) });
  return new Promise((resolve) => {
    execFile(
      "git",
      [...flags, ...args],
      {
        cwd,
        env: { ...safeGitEnv(env, { config }), LC_ALL: "C" },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr || (error?.message ?? "")) });
      },
    );
  });
}

/** The `GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n` pairs an environment gives git. */
function configFromEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  const count = Number(env.GIT_CONFIG_COUNT ?? 0);
  for (let i = 0; i < count; i++) {
    const key = env[`GIT_CONFIG_KEY_${i}`];
    const value = env[`GIT_CONFIG_VALUE_${i}`];
    if (key !== undefined && value !== undefined) out[key] = value;
  }
  return out;
}

/** Runs git and returns trimmed stdout; a non-zero exit throws with git's message. */
export async function gitOk(
  cwd: string,
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
): Promise<string> {
  const r = await git(cwd, args, env);
  if (r.code !== 0)
    throw new Error(
      `git ${args.join(" ")} failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`,
    );
  return r.stdout.trim();
}

/** Lines of a command's output, without empties. */
export const lines = (text: string): string[] =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");

/** A path inside the repository's git dir (`git rev-parse --git-path`), absolute. */
export async function gitPath(root: string, name: string): Promise<string> {
  const r = await git(root, ["rev-parse", "--git-path", name]);
  const path = r.stdout.trim() || `.git/${name}`;
  return isAbsolute(path) ? path : join(root, path);
}

/**
 * A `.git/index.lock` left by a git that was killed blocks every later git command of the
 * repository ("Unable to create …/index.lock: File exists"). Removed when no process holds
 * it: none has the file open, and no git process works in the repository (`/proc`). Returns
 * what it did, or undefined when there was no lock.
 */
export async function clearStaleIndexLock(
  root: string,
  ignoreBelow: readonly string[] = [],
): Promise<"removed" | "held" | undefined> {
  const lock = await gitPath(root, "index.lock");
  if (!existsSync(lock)) return undefined;
  if (lockHeld(lock, root, ignoreBelow)) return "held";
  try {
    unlinkSync(lock);
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") return "held";
  }
  return "removed";
}

function lockHeld(lock: string, root: string, ignoreBelow: readonly string[]): boolean {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((n) => /^\d+$/.test(n));
  } catch {
    return true; // no /proc: cannot tell, so never remove it
  }
  const top = realOr(root);
  const held = new Set([lock, realOr(lock)]);
  const ignored = ignoreBelow.map(realOr);
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      if (comm === "git" || comm.startsWith("git-")) {
        const cwd = readlinkSync(`/proc/${pid}/cwd`);
        const inside = (dir: string) => cwd === dir || cwd.startsWith(`${dir}/`);
        if (inside(top) && !ignored.some(inside)) return true;
      }
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        if (held.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return true;
      }
    } catch {
      // gone, or not ours to look at
    }
  }
  return false;
}

function realOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * The user's own git identity (`user.name`, `user.email`, global config included), for
 * Conveyor's commits: every other git call reads no global config. Reading configuration
 * runs nothing.
 */
export async function userIdentity(
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ name?: string; email?: string }> {
  const read = (key: string) =>
    new Promise<string | undefined>((resolve) => {
      execFile(
        "git",
        ["config", "--get", key],
        { cwd, env: { ...env, GIT_CONFIG_NOSYSTEM: "1" } },
        (error, stdout) => resolve(error ? undefined : String(stdout).trim() || undefined),
      );
    });
  const [name, email] = await Promise.all([read("user.name"), read("user.email")]);
  return { ...(name ? { name } : {}), ...(email ? { email } : {}) };
}
