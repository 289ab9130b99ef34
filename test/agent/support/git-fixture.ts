import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.invalid",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.invalid",
};

export function sh(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "commit.gpgsign=false", ...args], {
    cwd,
    env: GIT_ENV,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export interface Fixture {
  root: string;
  /** Bare "remote" repository. */
  remote: string;
  /** Work tree cloned from the remote (the role's workspace). */
  work: string;
  /** A second clone to inspect what was pushed. */
  inspect(): string;
  cleanup(): void;
}

/** A temporary repo: commits `files` on main, pushes to a bare remote, clones a workspace. */
export function makeFixture(files: Record<string, string>): Fixture {
  const root = mkdtempSync(join(tmpdir(), "conveyor-agent-"));
  const seed = join(root, "seed");
  const remote = join(root, "remote.git");
  const work = join(root, "work");
  mkdirSync(seed);
  sh(root, "init", "-q", "--bare", "-b", "main", remote);
  sh(seed, "init", "-q", "-b", "main");
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(seed, path)), { recursive: true });
    writeFileSync(join(seed, path), content);
  }
  sh(seed, "add", "-A");
  sh(seed, "commit", "-q", "-m", "seed");
  sh(seed, "remote", "add", "origin", remote);
  sh(seed, "push", "-q", "origin", "main");
  sh(root, "clone", "-q", remote, work);
  sh(work, "config", "user.name", "Test");
  sh(work, "config", "user.email", "test@example.invalid");
  let n = 0;
  return {
    root,
    remote,
    work,
    inspect() {
      n += 1;
      const dir = join(root, `inspect-${n}`);
      sh(root, "clone", "-q", remote, dir);
      return dir;
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Commits a change on the remote's `branch` through a scratch clone. */
export function pushChange(
  f: Fixture,
  branch: string,
  files: Record<string, string>,
  message: string,
): void {
  const dir = f.inspect();
  sh(dir, "checkout", "-q", "-B", branch, `origin/${branch}`);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  sh(dir, "add", "-A");
  sh(dir, "commit", "-q", "-m", message);
  sh(dir, "push", "-q", "origin", branch);
}
