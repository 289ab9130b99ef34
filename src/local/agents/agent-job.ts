import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isatty } from "node:tty";
import type { TaskInput } from "../../agent/role-types.js";
import { runRole } from "../../agent/run-role.js";
import type { Config, Role } from "../../core/config.js";
import { readJson, writeTextAtomic } from "../repo/json-file.js";
import { cidFileName } from "../repo/repo-layout.js";
import { LocalHost } from "./local-host.js";
import { modelDriver } from "./model-driver.js";
import { claimJob } from "./run-claim.js";

/** Everything one agent child needs, written by `conveyor run` to `.conveyor/jobs/<cid>.json`. */
export interface AgentJob {
  correlationId: string;
  role: Role;
  attempt: number;
  task: TaskInput;
  feedback?: string;
  branch: string;
  baseBranch: string;
  pr?: number;
  model: string;
  /** ISO time by which the role must have published its result. */
  deadline: string;
  /** The task's worktree. */
  workspace: string;
  /** `.conveyor/reports/<task>/` of the main repository. */
  reportsDir: string;
  config: Config;
}

/**
 * The key this run seals its result with, as the supervisor wrote it on stdin (then closed
 * it). Undefined when stdin is a terminal or empty: such a run's result never counts.
 */
export function readSealKey(): string | undefined {
  if (isatty(0)) return undefined;
  try {
    const key = readFileSync(0, "utf8").trim();
    return /^[0-9a-f]{64}$/.test(key) ? key : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs one job in this process (the body of `conveyor agent --job <file>`): the same role
 * and agent loop as the GitHub Action, with the local host. Returns the exit code; the
 * result itself is the report file the role publishes, sealed with `sealKey`. The key is
 * disclosed next to it once the role has finished (see `result-seal.ts`).
 */
export async function runAgentJob(
  jobPath: string,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
  signal?: AbortSignal,
  sealKey?: string,
): Promise<number> {
  const raw = readJson(jobPath);
  if (raw === undefined || raw instanceof Error) {
    log(`cannot read the job ${jobPath}: ${raw instanceof Error ? raw.message : "missing"}`);
    return 2;
  }
  const job = raw as AgentJob;
  const claim = claimJob(jobPath, job.correlationId);
  if (claim !== true) {
    log(`${job.correlationId}: already running as pid ${claim}; not starting it twice`);
    return 3;
  }
  const driver = modelDriver(job.config, env);
  if (sealKey === undefined)
    log(`${job.correlationId}: no seal key on stdin; the result of this run will not count`);
  const host = new LocalHost({
    reportsDir: job.reportsDir,
    correlationId: job.correlationId,
    ...(sealKey !== undefined ? { sealKey } : {}),
    issue: {
      id: job.task.id,
      title: job.task.title,
      body: job.task.body ?? "",
      comments: job.task.comments ?? [],
    },
  });
  if (driver instanceof Error) {
    log(driver.message);
    return 2;
  }
  log(`${job.correlationId}: ${job.role} attempt ${job.attempt} in ${job.workspace}`);
  const outcome = await runRole({
    role: job.role,
    workspace: job.workspace,
    task: job.task,
    attempt: job.attempt,
    ...(job.feedback ? { feedback: job.feedback } : {}),
    correlationId: job.correlationId,
    branch: job.branch,
    baseBranch: job.baseBranch,
    ...(job.pr !== undefined ? { pr: job.pr } : {}),
    config: job.config,
    model: job.model,
    driver,
    host,
    deadline: new Date(job.deadline),
    remote: null,
    log,
    ...(signal ? { signal } : {}),
  });
  if (sealKey !== undefined)
    writeTextAtomic(
      join(job.reportsDir, `${cidFileName(job.correlationId)}.key`),
      `${sealKey}\n`,
      job.reportsDir,
    );
  log(
    `${job.correlationId}: ${outcome.result.outcome} (${outcome.stop.reason}) — ${outcome.result.summary}`,
  );
  return 0;
}
