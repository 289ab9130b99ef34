import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { LocalRepo } from "./local-repo.js";
import { claimJob, claimPath } from "./run-claim.js";

/**
 * One writer per repository: `conveyor run` holds this lock while it works, and the
 * maintainer commands (`retry`, `abandon`) take it too, so they never rewrite the state
 * from a snapshot that a running loop is changing under them.
 */
export type RunLock = { release: () => void } | { heldBy: number };

export function takeRunLock(repo: LocalRepo): RunLock {
  const lock = join(repo.layout.dir, "run");
  mkdirSync(repo.layout.dir, { recursive: true });
  const holder = claimJob(lock, "run");
  if (holder !== true) return { heldBy: holder };
  return { release: () => rmSync(claimPath(lock), { force: true }) };
}
