import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { RunInfo } from "../../core/board.js";
import type { Role } from "../../core/config.js";
import { readJson, writeJsonAtomic } from "../repo/json-file.js";
import { cidFileName, type RepoLayout, runFile } from "../repo/repo-layout.js";

/**
 * One agent child process as the supervisor recorded it in `.conveyor/runs/<cid>.json`:
 * written when it is spawned (pid, start time) and again when it exits. A `conveyor run`
 * that restarts reads these to tell a live agent (in progress) from a dead one (completed).
 */
export interface RunRecord {
  correlationId: string;
  task: string;
  role: Role;
  attempt: number;
  pid?: number;
  startedAt: string;
  /** `running` while the child lives; `interrupted`: stopped by Ctrl-C, to be started again. */
  status: "running" | "exited" | "interrupted";
  exitCode?: number | null;
  signal?: string | null;
  timedOut?: boolean;
  cancelled?: boolean;
  endedAt?: string;
  /**
   * sha256 of the key this run seals its result with (see `result-seal.ts`): a result counts
   * only when its seal opens with a key of this hash.
   */
  sealKeyHash?: string;
}

export function writeRunRecord(layout: RepoLayout, record: RunRecord): void {
  writeJsonAtomic(runFile(layout, record.correlationId), record);
}

export function readRunRecord(layout: RepoLayout, cid: string): RunRecord | undefined {
  const raw = readJson(runFile(layout, cid));
  return raw === undefined || raw instanceof Error ? undefined : (raw as RunRecord);
}

export function readRunRecords(layout: RepoLayout): RunRecord[] {
  let names: string[];
  try {
    names = readdirSync(layout.runsDir).filter((n) => n.endsWith(".json"));
  } catch {
    return [];
  }
  const out: RunRecord[] = [];
  for (const name of names) {
    const raw = readJson(join(layout.runsDir, name));
    if (raw && !(raw instanceof Error) && typeof (raw as RunRecord).correlationId === "string")
      out.push(raw as RunRecord);
  }
  return out;
}

/** True when `pid` is alive and (where /proc tells) its command line names the run. */
export function isRunAlive(pid: number, correlationId: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (e: unknown) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.includes(cidFileName(correlationId));
  } catch {
    return true;
  }
}

/**
 * The run as the planner sees it. Interrupted runs (Ctrl-C) and records without a pid are
 * left out: the agent never ran to the end, and the loop starts it again under the same id.
 */
export function runInfoOf(
  record: RunRecord,
  alive: (pid: number, cid: string) => boolean = isRunAlive,
): RunInfo | undefined {
  if (record.status === "interrupted" || record.pid === undefined) return undefined;
  const base = {
    correlationId: record.correlationId,
    runId: String(record.pid),
    startedAt: record.startedAt,
  };
  if (record.status === "running" && alive(record.pid, record.correlationId))
    return { ...base, status: "in_progress" };
  // Gone without its exit recorded (its `conveyor run` died): cancelled if Conveyor said so.
  if (record.status === "running")
    return { ...base, status: "completed", conclusion: record.cancelled ? "cancelled" : null };
  const conclusion = record.timedOut
    ? "timed_out"
    : record.cancelled
      ? "cancelled"
      : record.exitCode === 0
        ? "success"
        : "failure";
  return { ...base, status: "completed", conclusion };
}
