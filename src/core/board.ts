import type { Priority, Role } from "./config.js";

/**
 * The board: one snapshot of everything Conveyor knows about a repository, loaded by a
 * backend (GitHub API, or the local repository and its markdown files) and handed to the
 * pure planner. Time is not in here: `plan` takes `now` as an argument.
 *
 * Two kinds of fields: what the backend *observes* (stage labels, the PR, agent runs, the
 * agents' published results) and what Conveyor *remembers* (`memory`: the hidden JSON
 * marker of the status comment on GitHub, `.conveyor/state.json` locally). The planner only
 * changes memory through effects.
 */

export const STAGES = [
  "todo",
  "in-progress",
  "review",
  "testing",
  "merge-queue",
  "done",
  "abandoned",
] as const;
export type Stage = (typeof STAGES)[number];

/** Stages that hold one of the in-flight slots (in-progress … testing). */
export const IN_FLIGHT_STAGES: readonly Stage[] = ["in-progress", "review", "testing"];

/** The stage in which each role works a task. */
export const STAGE_OF_ROLE: Record<Role, Stage> = {
  task: "in-progress",
  reviewer: "review",
  tester: "testing",
};

export type Verdict = "approve" | "request_changes" | "approach_wrong";

/** What an agent run published when it ended (result comment on GitHub, report file locally). */
export interface AgentResult {
  /** Correlation id of the run: `<task>/<role>/<attempt>` plus a run counter. */
  correlationId: string;
  role: Role;
  /** `ok`: the role did its job (for the reviewer see `verdict`, for the tester `passed`). */
  outcome: "ok" | "failed" | "incomplete";
  /** Reviewer only. */
  verdict?: Verdict;
  /** Tester only: did the targeted tests pass on `headSha`? */
  passed?: boolean;
  /** Head of the PR branch after the run's own pushes: the commit this result judged. */
  headSha?: string;
  /**
   * Head of the PR branch the run checked out when it started (the tester records it): the
   * run's own commits are those between `startSha` and `headSha`. A tester's pass covers
   * only those; what was there at the start must be the reviewed head.
   */
  startSha?: string;
  /** Base branch commit the tester merged in (tester only). */
  baseSha?: string;
  /**
   * Tester only: the targeted tests run by run, the first run, then one after each fix by
   * the agent (at most `fixRounds` in a run). Optional: older results have none.
   */
  tests?: { runs: TestCount[]; fixRounds: number };
  /** PR opened or updated by the task role. */
  pr?: number;
  branch?: string;
  /** Plain words: what happened, or why it failed. Fed back to the next agent. */
  summary: string;
  tokens?: number;
  costUsd?: number;
  finishedAt?: string;
}

/** Failing of total targeted tests: counted in tests when the runners say, else in commands. */
export interface TestCount {
  failed: number;
  total: number;
  unit: "tests" | "commands";
}

/** An agent run as the backend observes it (Actions run, or child process). */
export interface RunInfo {
  correlationId: string;
  runId?: string;
  status: "queued" | "in_progress" | "completed";
  conclusion?: "success" | "failure" | "cancelled" | "timed_out" | "skipped" | null;
  startedAt?: string;
  url?: string;
}

export interface PullRequest {
  /** The pull request number on GitHub; none for a local task's branch (`wording.ts`). */
  number?: number;
  headSha: string;
  branch: string;
  /** Paths changed by the PR relative to its base. */
  changedFiles: string[];
  merged: boolean;
  /** True when closed without being merged. */
  closed?: boolean;
  /** `null`: GitHub is still computing it; ask again later. */
  mergeable: boolean | null;
  /**
   * Files changed on the base branch since the base the tester merged in (the loader
   * computes it from `memory.verdict.baseSha`); undefined when unknown or not tested.
   */
  baseDrift?: string[];
  /** The PR changes `.github/**` (workflows, conveyor.yml): see `security`. Set by the loader. */
  touchesProtectedPaths?: boolean;
  /** An approving review of its current head by someone allowed to schedule work. */
  maintainerApproved?: boolean;
}

/** The run Conveyor dispatched and is waiting for. */
export interface ActiveRun {
  role: Role;
  /** 0 for the first try in the current stage, 1 for the retry, … */
  attempt: number;
  correlationId: string;
  dispatchedAt: string;
  /** Head SHA the run was started on, if any. */
  headSha?: string;
}

/** A run Conveyor asked to cancel; force-cancelled if still running after the grace period. */
export interface Cancelling {
  correlationId: string;
  runId?: string;
  at: string;
}

export interface Escalation {
  reason: string;
  at: string;
  /** Stage the task was in when it was escalated. */
  stage: Stage;
}

/** A verdict bound to the commit it judged. */
export interface BoundVerdict {
  role: "reviewer" | "tester";
  /** Reviewer: approve / request_changes / approach_wrong. Tester: pass / fail. */
  value: Verdict | "pass" | "fail";
  sha: string;
  /** Tester: the head it started from (the reviewed head); it pushed `startSha..sha` itself. */
  startSha?: string;
  /** Tester: the base commit it merged in. */
  baseSha?: string;
  at: string;
}

/** What Conveyor remembers about one task (the hidden marker). Plain JSON. */
export interface TaskMemory {
  /** Failures so far in the current stage's cycle, per role, plus merge conflicts. */
  attempts: { task: number; reviewer: number; tester: number; merge: number };
  /** Agent runs dispatched for this task in total; never decreases (it numbers the runs). */
  runs: number;
  /** `runs` when a maintainer last retried the task: the loop guard counts runs since then. */
  runsAtRetry?: number;
  run?: ActiveRun;
  /** Runs being cancelled (timeouts, tasks finished under them). */
  cancelling?: Cancelling[];
  /** Correlation ids of results already folded in (so a result is acted on once). */
  handled: string[];
  verdicts: { review?: BoundVerdict; test?: BoundVerdict };
  /** Notes for the next agent: the review that said "approach wrong", the failing tests… */
  feedback?: string;
  lastFailure?: string;
  escalation?: Escalation;
  tokens: number;
  costUsd: number;
  /** When the task entered its current stage. */
  stageSince?: string;
  /** The `Conveyor` check run last written on the PR head (quiet mode): written on change only. */
  check?: { sha: string; text: string };
}

export interface Task {
  /** Issue number on GitHub (as a string), task id locally (e.g. `T3`). */
  id: string;
  title: string;
  /** Task body as written (issue body / TODO.md details). Data, never instructions. */
  body?: string;
  priority: Priority;
  stage: Stage;
  /** When the task was scheduled (enqueue time): the age in "then priority, then age". */
  createdAt: string;
  /** File paths of the task's "Location" section. */
  locations: string[];
  branch?: string;
  pr?: PullRequest;
  memory: TaskMemory;
}

export interface PreflightResult {
  name: string;
  ok: boolean;
  /** e.g. "http://localhost:6333/readyz answered 503" */
  detail: string;
}

/** Repository-wide memory (dashboard marker on GitHub, state file locally). */
export interface RepoMemory {
  paused: boolean;
  pausedReason?: string;
  /** ISO times of dispatches in the last hour (rolling window, pruned by the planner). */
  dispatches: string[];
  /**
   * Tasks waiting in todo whose scheduling was checked and allowed, before Conveyor keeps
   * any memory of them elsewhere (GitHub: the status comment its first dispatch writes): by
   * task, the stage labels checked with when each was added (`schedulingStamp`). A label
   * added since changes the stamp, and the task is checked again. Spares a permission read
   * per pass for every person whose work waits for a slot.
   */
  accepted?: Record<string, string>;
}

export interface Board {
  repo: string;
  tasks: Task[];
  /** Runs observed, by correlation id. */
  runs: Record<string, RunInfo>;
  /** Results published by agents, by correlation id. */
  results: Record<string, AgentResult>;
  preflight: PreflightResult[];
  repoMemory: RepoMemory;
  /** Set when the configuration could not be read: nothing is dispatched. */
  configErrors?: string[];
  /**
   * Current content of the tracking files (file name -> text) as last written, so the
   * planner emits `write-mirror` only when the rendering differs. Undefined: not loaded.
   */
  mirror?: Record<string, string>;
  /**
   * The backend that loaded the board, for the words of what the core tells people
   * (`wording.ts`): undefined is GitHub.
   */
  host?: "local";
}

export const emptyMemory = (): TaskMemory => ({
  attempts: { task: 0, reviewer: 0, tester: 0, merge: 0 },
  runs: 0,
  handled: [],
  verdicts: {},
  tokens: 0,
  costUsd: 0,
});

/** A copy of task memory deep enough that changing the copy never changes the original. */
export function cloneMemory(m: TaskMemory): TaskMemory {
  const copy: TaskMemory = {
    ...m,
    attempts: { ...m.attempts },
    handled: [...m.handled],
    verdicts: { ...m.verdicts },
  };
  if (m.run) copy.run = { ...m.run };
  if (m.cancelling) copy.cancelling = m.cancelling.map((c) => ({ ...c }));
  if (m.escalation) copy.escalation = { ...m.escalation };
  return copy;
}

export const emptyRepoMemory = (): RepoMemory => ({ paused: false, dispatches: [] });

/** Correlation id of a dispatch: unique per task, role, attempt and run number. */
export const correlationId = (task: string, role: Role, attempt: number, run: number): string =>
  `${task}/${role}/${attempt}/${run}`;
