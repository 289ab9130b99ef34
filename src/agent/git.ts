import { execFile } from "node:child_process";
import { redact, safeGitArgs, safeGitEnv } from "./safe-git-env.js";

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

export interface GitCallOptions {
  /** Config for this call only, passed through the environment (credentials for fetch, push). */
  config?: Record<string, string>;
  /** Texts to cut out of stdout and stderr (the credentials' forms). */
  secrets?: readonly string[];
}

/**
 * Runs git in the workspace, the safe way (see safe-git-env.ts): no global or system
 * config, no hooks, no fsmonitor, no textconv in diffs, a minimal environment built from
 * `env` (default the process's). Never throws: the exit code is in the result.
 */
export function git(
  cwd: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
  options: GitCallOptions = {},
): Promise<GitResult> {
  return new Promise((resolve) => {
    execFile(
      "git",
      [...safeGitArgs(), "-c", "diff.noprefix=false", "-c", "core.quotepath=off", ...args],
      {
        cwd,
        env: safeGitEnv(env ?? process.env, options.config ? { config: options.config } : {}),
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code =
          error === null ? 0 : typeof error.code === "number" ? error.code : error.code ? 1 : 1;
        const clean = (t: unknown) => redact(String(t), options.secrets ?? []);
        resolve({ code, stdout: clean(stdout), stderr: clean(stderr) });
      },
    );
  });
}

export class GitError extends Error {
  override name = "GitError";
}

/** Runs git and returns stdout, or throws a GitError with git's own message. */
export async function gitOk(
  cwd: string,
  args: string[],
  options: GitCallOptions = {},
): Promise<string> {
  const r = await git(cwd, args, undefined, options);
  if (r.code !== 0)
    throw new GitError(
      redact(
        `git ${args.join(" ")} failed: ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" / ")}`,
        options.secrets ?? [],
      ),
    );
  return r.stdout;
}

/**
 * `-c user.name/email` arguments when the repository has no identity of its own (global
 * configuration is never read; `GIT_AUTHOR_*` in the environment still wins).
 */
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
