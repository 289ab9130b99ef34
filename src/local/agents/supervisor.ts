import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { writeJsonAtomic } from "../repo/json-file.js";
import { jobFile, logFile, type RepoLayout, resultFile, sealKeyFile } from "../repo/repo-layout.js";
import type { AgentJob } from "./agent-job.js";
import type { AgentLauncher } from "./agent-launcher.js";
import { newSealKey, sealKeyHash } from "./result-seal.js";
import { claimHolder } from "./run-claim.js";
import { type RunRecord, readRunRecord, writeRunRecord } from "./run-record.js";

/** Grace between SIGTERM and SIGKILL of an agent's process group. */
const KILL_GRACE_MS = 2000;

interface Child {
  process: ChildProcess;
  record: RunRecord;
  timer?: NodeJS.Timeout;
  killTimer?: NodeJS.Timeout;
  exited: Promise<void>;
}

/**
 * Agents as child processes: each in its own process group (`detached`), so a timeout or a
 * cancel kills everything it started (`process.kill(-pid)`). The pid and start time are
 * recorded in `.conveyor/runs/<cid>.json` before anything else happens, and the exit after.
 */
export class Supervisor {
  readonly #children = new Map<string, Child>();
  readonly #layout: RepoLayout;
  readonly #launcher: AgentLauncher;
  readonly #env: NodeJS.ProcessEnv;
  readonly #onExit: (record: RunRecord) => void;

  constructor(options: {
    layout: RepoLayout;
    launcher: AgentLauncher;
    env: NodeJS.ProcessEnv;
    onExit?: (record: RunRecord) => void;
  }) {
    this.#layout = options.layout;
    this.#launcher = options.launcher;
    this.#env = options.env;
    this.#onExit = options.onExit ?? (() => {});
  }

  /** Correlation ids of the children this process started and that still run. */
  running(): string[] {
    return [...this.#children.keys()];
  }

  /** Starts the agent of `job` in `job.workspace`; the supervisor kills it at its timeout. */
  spawn(job: AgentJob, timeoutMs: number): RunRecord {
    const path = jobFile(this.#layout, job.correlationId);
    const holder = claimHolder(path, job.correlationId);
    if (holder !== undefined) {
      // Started by a `conveyor run` that died before recording it: adopt it, never rerun it.
      const earlier = readRunRecord(this.#layout, job.correlationId);
      const adopted: RunRecord = {
        correlationId: job.correlationId,
        task: job.task.id,
        role: job.role,
        attempt: job.attempt,
        pid: holder,
        startedAt: new Date().toISOString(),
        status: "running",
        ...(earlier?.sealKeyHash ? { sealKeyHash: earlier.sealKeyHash } : {}),
      };
      writeRunRecord(this.#layout, adopted);
      return adopted;
    }
    writeJsonAtomic(path, job);
    // Whatever lies where this run's result goes was not written by this run.
    removeResult(this.#layout, job.task.id, job.correlationId);
    const key = newSealKey();
    const log = logFile(this.#layout, job.correlationId);
    mkdirSync(dirname(log), { recursive: true });
    const fd = openSync(log, "a");
    let child: ChildProcess;
    try {
      child = spawn(this.#launcher.command, [...this.#launcher.args, "agent", "--job", path], {
        cwd: job.workspace,
        detached: true,
        stdio: ["pipe", fd, fd],
        env: this.#env,
      });
    } finally {
      closeSync(fd);
    }
    // The key reaches the agent process on its stdin only; the record keeps its hash.
    child.stdin?.on("error", () => {});
    child.stdin?.end(`${key}\n`);
    const record: RunRecord = {
      correlationId: job.correlationId,
      task: job.task.id,
      role: job.role,
      attempt: job.attempt,
      startedAt: new Date().toISOString(),
      status: "running",
      ...(child.pid !== undefined ? { pid: child.pid } : {}),
      sealKeyHash: sealKeyHash(key),
    };
    writeRunRecord(this.#layout, record);
    let resolveExit: () => void = () => {};
    const entry: Child = {
      process: child,
      record,
      exited: new Promise<void>((r) => {
        resolveExit = r;
      }),
    };
    this.#children.set(job.correlationId, entry);
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (entry.timer) clearTimeout(entry.timer);
      if (entry.killTimer) clearTimeout(entry.killTimer);
      this.#children.delete(job.correlationId);
      // Ctrl-C marks the record interrupted first; keep that.
      const latest = readRunRecord(this.#layout, job.correlationId) ?? record;
      if (latest.status !== "interrupted") {
        const ended: RunRecord = {
          ...latest,
          status: "exited",
          exitCode: code,
          signal,
          endedAt: new Date().toISOString(),
          ...(record.sealKeyHash ? { sealKeyHash: record.sealKeyHash } : {}),
          ...(entry.record.timedOut ? { timedOut: true } : {}),
          ...(entry.record.cancelled ? { cancelled: true } : {}),
        };
        writeRunRecord(this.#layout, ended);
        entry.record = ended;
      }
      resolveExit();
      this.#onExit(entry.record);
    };
    child.once("exit", finish);
    child.once("error", () => finish(null, null));
    entry.timer = setTimeout(() => {
      entry.record.timedOut = true;
      this.#killGroup(entry, false);
    }, timeoutMs);
    entry.timer.unref();
    return record;
  }

  /**
   * Cancels a run: SIGTERM to its group, SIGKILL after a grace (or at once with `force`).
   * Works for children of an earlier `conveyor run` too, from the pid in their record.
   */
  cancel(correlationId: string, force: boolean): void {
    const entry = this.#children.get(correlationId);
    if (entry) {
      entry.record.cancelled = true;
      this.#killGroup(entry, force);
      return;
    }
    const record = readRunRecord(this.#layout, correlationId);
    if (record?.pid !== undefined && record.status === "running") {
      killGroup(record.pid, force ? "SIGKILL" : "SIGTERM");
      if (!force) setTimeout(() => killGroup(record.pid!, "SIGKILL"), KILL_GRACE_MS).unref();
      writeRunRecord(this.#layout, { ...record, cancelled: true });
    }
  }

  /**
   * Ctrl-C: stops every agent this process started and marks them interrupted. What a
   * stopped agent published on its way out is not a verdict on the attempt: it is removed,
   * and the next `conveyor run` starts the same attempt again.
   */
  async stopAll(): Promise<void> {
    const entries = [...this.#children.values()];
    for (const entry of entries) {
      writeRunRecord(this.#layout, { ...entry.record, status: "interrupted" });
      this.#killGroup(entry, false);
    }
    await Promise.all(entries.map((e) => e.exited));
    for (const entry of entries)
      removeResult(this.#layout, entry.record.task, entry.record.correlationId);
  }

  #killGroup(entry: Child, force: boolean): void {
    const pid = entry.process.pid;
    if (pid === undefined) return;
    killGroup(pid, force ? "SIGKILL" : "SIGTERM");
    if (!force && !entry.killTimer) {
      entry.killTimer = setTimeout(() => killGroup(pid, "SIGKILL"), KILL_GRACE_MS);
      entry.killTimer.unref();
    }
  }
}

/** Removes the result of a run (its JSON, its text and its disclosed key). */
function removeResult(layout: RepoLayout, task: string, cid: string): void {
  const json = resultFile(layout, task, cid);
  rmSync(json, { force: true });
  rmSync(json.replace(/\.json$/, ".md"), { force: true });
  rmSync(sealKeyFile(layout, task, cid), { force: true });
}

/** Signals a whole process group; a group already gone is not an error. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
