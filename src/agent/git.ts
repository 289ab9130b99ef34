import { execFile } from "node:child_process";

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Identity for commits when the repository has none configured (Actions runners). */
export const CONVEYOR_IDENTITY = {
  name: "conveyor[bot]",
  email: "conveyor[bot]@users.noreply.github.com",
};

/** Runs git in the workspace. Never throws: the exit code is in the result. */
export function git(cwd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<GitResult> {
  return new Promise((resolve) => {
    execFile(
      "git",
      [
        // Nothing the agent may have planted in .git runs when Conveyor uses git: no hooks,
        // no fsmonitor command, no textconv programs in diffs.
        "-c",
        "core.hooksPath=/dev/null",
        "-c",
        "core.fsmonitor=false",
        "-c",
        "diff.noprefix=false",
        "-c",
        "commit.gpgsign=false",
        "-c",
        "core.quotepath=off",
        ...args,
      ],
      { cwd, env: env ?? process.env, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code =
          error === null ? 0 : typeof error.code === "number" ? error.code : error.code ? 1 : 1;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

export class GitError extends Error {
  override name = "GitError";
}

/** Runs git and returns stdout, or throws a GitError with git's own message. */
export async function gitOk(cwd: string, args: string[]): Promise<string> {
  const r = await git(cwd, args);
  if (r.code !== 0)
    throw new GitError(
      `git ${args.join(" ")} failed: ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" / ")}`,
    );
  return r.stdout;
}

/** `-c user.name/email` arguments when the repository has no identity of its own. */
export async function identityArgs(cwd: string): Promise<string[]> {
  const email = await git(cwd, ["config", "user.email"]);
  if (email.code === 0 && email.stdout.trim() !== "") return [];
  return [
    "-c",
    `user.name=${CONVEYOR_IDENTITY.name}`,
    "-c",
    `user.email=${CONVEYOR_IDENTITY.email}`,
  ];
}
