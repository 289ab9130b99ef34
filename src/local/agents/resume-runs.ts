import type { Board } from "../../core/board.js";
import { type Config, modelFor } from "../../core/config.js";
import type { Effect } from "../../core/effects.js";

/**
 * Dispatches the planner already decided (the task's memory names the run) but whose agent
 * never started: `conveyor run` stopped between committing the tracking files and spawning,
 * or Ctrl-C interrupted the agent. They start again under the SAME correlation id, so no
 * attempt is counted or run twice.
 */
export function resumeEffects(board: Board, config: Config): Effect[] {
  const effects: Effect[] = [];
  for (const task of board.tasks) {
    const run = task.memory.run;
    if (!run || task.stage === "done" || task.stage === "abandoned") continue;
    if (board.runs[run.correlationId] || board.results[run.correlationId]) continue;
    effects.push({
      type: "dispatch",
      task: task.id,
      role: run.role,
      attempt: run.attempt,
      correlationId: run.correlationId,
      model: modelFor(config, run.role, run.attempt),
      timeoutMinutes: config.roles[run.role].timeoutMinutes,
      ...(task.memory.feedback ? { feedback: task.memory.feedback } : {}),
      ...(task.pr?.number !== undefined ? { pr: task.pr.number } : {}),
      branch: task.id,
    });
  }
  return effects;
}
