import type { AgentResult, PreflightResult, RepoMemory, Stage, TaskMemory } from "./board.js";
import type { Priority, Role } from "./config.js";

/**
 * Effects are data. The planner returns them; one executor per backend applies them in
 * order and stops at the first one that fails (the next reconcile plans again from what
 * then is). Dry-run, budgets and idempotency live in the executor.
 */
export type Effect =
  /** Move the task's stage label (GitHub) / tracking-file section (local). */
  | { type: "set-stage"; task: string; from: Stage; to: Stage; reason: string }
  /** Replace the task's remembered state (hidden marker of the status comment). */
  | { type: "save-memory"; task: string; memory: TaskMemory }
  /** Start one agent run. The correlation id makes the dispatch idempotent. */
  | {
      type: "dispatch";
      task: string;
      role: Role;
      attempt: number;
      correlationId: string;
      model: string;
      timeoutMinutes: number;
      /** Reviewer or tester notes for a retry; review text for "approach wrong". */
      feedback?: string;
      /** PR the reviewer / tester works on. */
      pr?: number;
      branch?: string;
    }
  /** Cancel a run (timeout, task done/abandoned). `force` after the grace period. */
  | {
      type: "cancel-run";
      task: string;
      correlationId: string;
      runId?: string;
      force: boolean;
      reason: string;
    }
  /** Merge one PR, or a batch of PRs with pairwise-disjoint changed files, each pinned. */
  | {
      type: "merge";
      method: "merge" | "squash" | "rebase";
      /** `pr`: the pull request number (GitHub); none for a local branch. */
      batch: { task: string; pr?: number; sha: string; branch: string }[];
      deleteBranch: boolean;
    }
  /** Add the escalated label and post the comment that offers the choices. */
  | { type: "escalate"; task: string; reason: string; choices: string[] }
  /** Remove the escalated label (a maintainer chose to retry / re-scope). */
  | { type: "clear-escalation"; task: string }
  | { type: "set-priority"; task: string; from: Priority; to: Priority }
  /** A plain comment on the task (e.g. answer to `/conveyor status`). */
  | { type: "comment"; task: string; body: string }
  | { type: "close-issue"; task: string; reason: "completed" | "not_planned" }
  /** Record an abandoned task in CHANGELOG.md with the reason. */
  | { type: "record-abandoned"; task: string; title: string; reason: string }
  | { type: "save-repo-memory"; memory: RepoMemory }
  /** Write the tracking files (only emitted when their content changed). */
  | { type: "write-mirror"; files: Record<string, string> }
  /**
   * Write the `Conveyor` check run on the task's PR head (its stage, its place in the merge
   * queue); emitted only when it differs from the one the task's memory says was written.
   */
  | {
      type: "conveyor-check";
      task: string;
      pr: number;
      sha: string;
      status: "in_progress" | "completed";
      conclusion?: "success" | "neutral" | "cancelled";
      title: string;
      summary: string;
    }
  /**
   * Take off a stage label someone not allowed to schedule added, and say why (a comment).
   * On the task's issue, or on its PR (`pr`: the merge-queue label, put there by hand; the
   * task goes back to `stage`). Decided by `refusedScheduling` (`scheduling.ts`).
   */
  | {
      type: "refuse-scheduling";
      task: string;
      label: string;
      /** Who added it ("" when the history no longer shows it). */
      by: string;
      reason: string;
      pr?: number;
      /** The stage the task stays in (a refused merge-queue label on its PR). */
      stage?: Stage;
    }
  /**
   * Bring the repository's dashboard up to date with the board as the pass left it (created
   * the first time there is anything to show). Carries what the board does not: the plan's
   * view, the config errors, pre-flight and the mirror's digest.
   */
  | {
      type: "write-dashboard";
      view: Omit<Plan, "effects">;
      configErrors: string[];
      preflight?: PreflightResult[];
      mirror?: {
        /** Digest of the tracking files last written. */
        last?: string;
        /** Digest to keep instead once this pass's `write-mirror` is done. */
        next?: string;
        /** When the mirror was last written (kept, or now once this pass's write is done). */
        lastAt?: string;
      };
      /**
       * When the dashboard was last written (its marker), kept while its body is unchanged;
       * a write that changes the body records its own time instead.
       */
      lastAt?: string;
    }
  /** A failing check run on the commit whose config is invalid (once per commit). */
  | { type: "report-config-check"; sha: string; errors: string[] };

export type EffectType = Effect["type"];

/**
 * What a waiting reason is about, for backends that render it in their own words (the
 * GitHub backend says "GitHub is still computing…" for `mergeability-unknown`). Never
 * match `text`: match `code`.
 */
export type WaitCode =
  | "escalated"
  | "config-invalid"
  | "paused"
  | "preflight-failed"
  | "dispatch-limit"
  | "slots-full"
  | "in-flight-full"
  | "slots-and-in-flight-full"
  | "location-clash"
  | "cancelling"
  | "running"
  | "not-started"
  | "merge-queue"
  | "merge-held"
  | "approval-needed"
  | "mergeability-unknown";

/**
 * Why a task is not moving right now: the answer to "why is nothing happening?". One per
 * task the pass leaves as it is (running tasks included); `text` is platform-neutral.
 */
export interface Waiting {
  task: string;
  code: WaitCode;
  text: string;
}

export interface Plan {
  effects: Effect[];
  waiting: Waiting[];
  /** Agent slots in use after the plan, and the capacity. */
  slots: { used: number; capacity: number };
  inFlight: { used: number; capacity: number };
  /** Merge queue in order (task ids), head first. */
  mergeQueue: string[];
}

/** The four choices offered on escalation (the workflow's escalation comment). */
export const ESCALATION_CHOICES = [
  "manual fix: push to the branch yourself, then `/conveyor retry`",
  "re-scope: edit the issue, then `/conveyor retry`",
  "deprioritize: `/conveyor deprioritize <notes>` (back to the backlog at low priority)",
  "abandon: `/conveyor abandon <reason>` (closes the issue, recorded in CHANGELOG.md)",
] as const;

/** One line per effect, for logs, dry-run output and tests (Prow's fakegithub style). */
export function describeEffect(e: Effect): string {
  switch (e.type) {
    case "set-stage":
      return `#${e.task}: ${e.from} -> ${e.to} (${e.reason})`;
    case "save-memory":
      return `#${e.task}: save memory (runs ${e.memory.runs}, attempts ${fmtAttempts(e.memory)})`;
    case "dispatch":
      return `#${e.task}: dispatch ${e.role} attempt ${e.attempt} [${e.correlationId}] model ${e.model}`;
    case "cancel-run":
      return `#${e.task}: ${e.force ? "force-cancel" : "cancel"} run ${e.runId ?? e.correlationId} (${e.reason})`;
    case "merge":
      return `merge ${e.batch.map((b) => `#${b.task} (${b.pr !== undefined ? `PR ${b.pr} ` : ""}@ ${b.sha.slice(0, 7)})`).join(" + ")} by ${e.method}`;
    case "escalate":
      return `#${e.task}: escalate (${e.reason})`;
    case "clear-escalation":
      return `#${e.task}: clear escalation`;
    case "set-priority":
      return `#${e.task}: priority ${e.from} -> ${e.to}`;
    case "comment":
      return `#${e.task}: comment`;
    case "close-issue":
      return `#${e.task}: close (${e.reason})`;
    case "record-abandoned":
      return `#${e.task}: record abandoned in CHANGELOG (${e.reason})`;
    case "save-repo-memory":
      return `repo: save memory (paused ${e.memory.paused}, ${e.memory.dispatches.length} dispatches in the last hour)`;
    case "write-mirror":
      return `write mirror: ${Object.keys(e.files).sort().join(", ")}`;
    case "conveyor-check":
      return `#${e.task}: Conveyor check on PR ${e.pr} @ ${e.sha.slice(0, 7)}: ${e.title}`;
    case "refuse-scheduling":
      return `#${e.task}: ${e.label}${e.pr !== undefined ? ` on PR #${e.pr}` : ""} from ${e.by || "someone"} refused: ${e.reason}`;
    case "write-dashboard":
      return "repo: update the dashboard";
    case "report-config-check":
      return `repo: report the invalid config on ${e.sha.slice(0, 7)} (${e.errors.length} ${e.errors.length === 1 ? "problem" : "problems"})`;
  }
}

function fmtAttempts(m: TaskMemory): string {
  const a = m.attempts;
  return `task ${a.task}, reviewer ${a.reviewer}, tester ${a.tester}, merge ${a.merge}`;
}

/** Result fields an executor needs to fold a published result in; re-exported for ports. */
export type { AgentResult };
