import { execFile } from "node:child_process";

/** The outcome of one git command; a non-zero exit is a value, not an exception. */
export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Identity and settings every git call of local mode uses (no signing, no pager, no prompts). */
const GIT_FLAGS = ["-c", "commit.gpgsign=false", "-c", "core.pager=cat", "-c", "color.ui=false"];

/** Runs `git args` in `cwd`. Never throws on a non-zero exit: read `code`. */
export function git(
  cwd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<GitResult> {
  return new Promise((resolve) => {
    execFile(
      "git",
      [...GIT_FLAGS, ...args],
      {
        cwd,
        env: { ...env, GIT_TERMINAL_PROMPT: "0", GIT_EDITOR: "true", LC_ALL: "C" },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr || (error?.message ?? "")) });
      },
    );
  });
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
