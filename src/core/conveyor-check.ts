/**
 * The `Conveyor` check run on a task's PR head (config `conveyorCheck`, on in quiet mode):
 * the stage the pass leaves the task in and, in the merge queue, its place ("Merge queue: 2
 * of 3"); completed when the task is merged, escalated or abandoned. Decided from the pass's
 * effects, so it shows what the pass leads to; written only when it changed: the memory
 * keeps the last written (sha, text), so an unchanged pass sends no request. Pure.
 */
import type { Board, Stage, Task, TaskMemory } from "./board.js";
import type { Config } from "./config.js";
import type { Effect } from "./effects.js";

/** The check run's name. Conveyor's own checks never count as CI (see `OWN_CHECKS`). */
export const CONVEYOR_CHECK = "Conveyor";

/** The check runs Conveyor writes itself: never waited on as CI of a commit. */
export const OWN_CHECKS: readonly string[] = [CONVEYOR_CHECK, "Conveyor config"];

type CheckEffect = Extract<Effect, { type: "conveyor-check" }>;

const TITLES: Record<Stage, string> = {
  todo: "Todo",
  "in-progress": "In progress: task agent",
  review: "Review",
  testing: "Testing",
  "merge-queue": "Merge queue",
  done: "Merged",
  abandoned: "Abandoned",
};

/** What the check says for a task in `stage` with `memory`; `place` in the merge queue. */
export function checkOf(
  stage: Stage,
  memory: TaskMemory,
  place?: { at: number; of: number },
): Pick<CheckEffect, "status" | "conclusion" | "title" | "summary"> {
  if (stage === "done")
    return {
      status: "completed",
      conclusion: "success",
      title: "Merged",
      summary: "Conveyor merged this pull request.",
    };
  if (stage === "abandoned")
    return {
      status: "completed",
      conclusion: "cancelled",
      title: "Abandoned",
      summary: "The task was abandoned: Conveyor does no more work on it.",
    };
  if (memory.escalation)
    return {
      status: "completed",
      conclusion: "neutral",
      title: `Escalated: ${TITLES[stage]}`.slice(0, 200),
      summary: `Waiting for a maintainer's choice (see the escalation comment on the issue): ${memory.escalation.reason}`,
    };
  const title =
    stage === "merge-queue" && place ? `Merge queue: ${place.at} of ${place.of}` : TITLES[stage];
  return {
    status: "in_progress",
    title,
    summary: `Conveyor is working on this pull request: ${title}.`,
  };
}

/**
 * The check writes of a pass: for each task with a PR whose check would say something else
 * than the last one written (or on another head), a `conveyor-check` followed by a
 * `save-memory` that records it. Appended after every other effect: a failed check write
 * holds nothing back, and its memory is saved only once the check is written.
 */
export function conveyorChecks(
  board: Board,
  config: Config,
  effects: readonly Effect[],
  mergeQueue: readonly string[],
): Effect[] {
  if (!config.conveyorCheck || (board.configErrors ?? []).length > 0) return [];
  const out: Effect[] = [];
  const byId = new Map(board.tasks.map((t) => [t.id, t]));
  // The queue after the pass: without what this pass merges (or sends back).
  const queue = mergeQueue.filter((id) => {
    const t = byId.get(id);
    return t !== undefined && after(t, effects).stage === "merge-queue";
  });
  for (const task of board.tasks) {
    const pr = task.pr;
    // A PR without a number is a local branch: there is no check to write.
    if (!pr?.headSha || pr.number === undefined || (pr.closed && !pr.merged)) continue;
    const { stage, memory } = after(task, effects);
    const at = queue.indexOf(task.id);
    const check = checkOf(stage, memory, at >= 0 ? { at: at + 1, of: queue.length } : undefined);
    const text = `${check.status}/${check.conclusion ?? ""}/${check.title}`;
    if (memory.check?.sha === pr.headSha && memory.check.text === text) continue;
    out.push(
      { type: "conveyor-check", task: task.id, pr: pr.number, sha: pr.headSha, ...check },
      {
        type: "save-memory",
        task: task.id,
        memory: { ...memory, check: { sha: pr.headSha, text } },
      },
    );
  }
  return out;
}

/** The stage and memory the effects leave a task with (the last of each that names it). */
function after(task: Task, effects: readonly Effect[]): { stage: Stage; memory: TaskMemory } {
  let stage = task.stage;
  let memory = task.memory;
  for (const e of effects) {
    if (!("task" in e) || e.task !== task.id) continue;
    if (e.type === "set-stage") stage = e.to;
    if (e.type === "save-memory") memory = e.memory;
  }
  return { stage, memory };
}
