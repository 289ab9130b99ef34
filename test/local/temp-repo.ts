import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { plan } from "../../src/core/plan.js";
import { Supervisor } from "../../src/local/agents/supervisor.js";
import { type LoadedBoard, loadBoard } from "../../src/local/board/load-board.js";
import { type LocalRepo, openLocalRepo } from "../../src/local/repo/local-repo.js";
import { executeEffects } from "../../src/local/run/execute-effects.js";

export const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.invalid",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.invalid",
};

export function gitSync(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "commit.gpgsign=false", ...args], {
    cwd,
    env: GIT_ENV,
    encoding: "utf8",
  }).trim();
}

/** A fresh repository on `main` holding `files`, committed. Remove it with `cleanup`. */
export function makeRepo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "conveyor-local-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  gitSync(dir, "init", "-q", "-b", "main");
  gitSync(dir, "add", "-A");
  gitSync(dir, "commit", "-q", "-m", "initial");
  return dir;
}

export async function openRepo(dir: string): Promise<LocalRepo> {
  const repo = await openLocalRepo(dir, GIT_ENV);
  if (repo instanceof Error) throw repo;
  return repo;
}

export function cleanup(dir: string): void {
  gitSync(dir, "worktree", "prune");
  rmSync(dir, { recursive: true, force: true });
}

/**
 * One pass of `conveyor run` at `now`: load, plan, execute. Agents started are `true`: they
 * end at once with no result. A dispatch writes the files before it and again at the end of
 * the pass, so one pass may rewrite a file several times. Returns the board as loaded.
 */
export async function planAndRun(dir: string, now: Date): Promise<LoadedBoard> {
  const repo = await openRepo(dir);
  const loaded = await loadBoard(repo, { now, preflight: [] });
  if (loaded instanceof Error) throw loaded;
  const supervisor = new Supervisor({
    layout: repo.layout,
    launcher: { command: "true", args: [] },
    env: {},
  });
  const planned = plan(loaded.board, repo.config, now);
  await executeEffects(loaded, planned.effects, { repo, supervisor, emit: () => {}, now });
  await supervisor.stopAll();
  return loaded;
}
