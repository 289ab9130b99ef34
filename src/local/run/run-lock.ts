import {
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { claimPath } from "../agents/run-claim.js";
import { isRunAlive } from "../agents/run-record.js";
import type { LocalRepo } from "../repo/local-repo.js";

/**
 * One writer per repository: `conveyor run` holds this lock while it works, and the
 * maintainer commands (`retry`, `abandon`) take it too, so they never rewrite the state
 * from a snapshot that a running loop is changing under them.
 */
export type RunLock = { release: () => void } | { heldBy: number };

/** A break-in that takes longer than this was killed half-way: its marker is stale. */
const BREAK_STALE_MS = 10_000;

/**
 * Takes the lock `.conveyor/run.lock`, which holds the holder's pid and its start time (from
 * `/proc/<pid>/stat`), so a pid reused by an unrelated process is not taken for a live
 * holder. The lock is created whole and at once (a hard link of a finished temp file: no
 * reader ever sees it empty); a stale one is broken under a second exclusive marker, and
 * re-read inside it, so two processes that both found it stale never both get it.
 */
export function takeRunLock(repo: LocalRepo): RunLock {
  mkdirSync(repo.layout.dir, { recursive: true });
  const lock = claimPath(join(repo.layout.dir, "run"));
  const mine = `${process.pid} ${startTimeOf(process.pid) ?? "?"}\n`;
  let holder = 0;
  for (let attempt = 0; attempt < 200; attempt++) {
    if (createWhole(lock, mine))
      return {
        release: () => {
          if (readOr(lock) === mine) unlinkSync(lock);
        },
      };
    const text = readOr(lock);
    if (text === undefined) continue; // released meanwhile: try again
    const live = liveHolder(text);
    if (live !== undefined) return { heldBy: live };
    holder = Number(text.trim().split(/\s+/)[0]) || 0;
    breakStale(lock, text);
    sleepSync(5);
  }
  return { heldBy: holder };
}

/** Creates `path` holding `text`, only if it does not exist; false when it does. */
function createWhole(path: string, text: string): boolean {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, text);
  try {
    linkSync(tmp, path);
    return true;
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

/** Removes the lock if it still holds `seen` (a dead holder's), under the break marker. */
function breakStale(lock: string, seen: string): void {
  const marker = `${lock}.break`;
  let fd: number;
  try {
    fd = openSync(marker, "wx");
  } catch {
    try {
      if (Date.now() - statSync(marker).mtimeMs > BREAK_STALE_MS) unlinkSync(marker);
    } catch {
      // gone meanwhile
    }
    return;
  }
  try {
    if (readOr(lock) === seen) unlinkSync(lock);
  } finally {
    closeSync(fd);
    unlinkSync(marker);
  }
}

/** The pid in a lock's text when that process still lives (and is the same process). */
function liveHolder(text: string): number | undefined {
  const [pidText, start] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (start === undefined) return isRunAlive(pid, "run") ? pid : undefined; // an older lock
  try {
    process.kill(pid, 0);
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return undefined;
  }
  if (start === "?") return pid;
  const now = startTimeOf(pid);
  return now === undefined || now === start ? pid : undefined;
}

/** Field 22 of `/proc/<pid>/stat`: when the process started (clock ticks since boot). */
export function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19];
  } catch {
    return undefined;
  }
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
