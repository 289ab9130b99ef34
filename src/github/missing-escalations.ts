import type { Config } from "../core/config.js";
import { type Effect, ESCALATION_CHOICES } from "../core/effects.js";
import type { Snapshot } from "./interpret-facts.js";

/**
 * Escalations the memory records but the issue does not show: the pass that escalated the
 * task saved its memory, then stopped (a crash, GitHub down) before the label and the
 * comment. The escalated label is written after the comment, so a missing label means the
 * maintainer was not told yet: tell them now. The way out of an escalation is a command,
 * so the label follows the memory.
 */
export function missingEscalations(
  snapshot: Snapshot,
  planned: readonly Effect[],
  config: Config,
): Effect[] {
  const out: Effect[] = [];
  for (const task of snapshot.board.tasks) {
    const escalation = task.memory.escalation;
    if (!escalation) continue;
    if (snapshot.github.labels.get(task.id)?.includes(config.labels.escalated)) continue;
    const touched = planned.some(
      (e) =>
        (e.type === "escalate" || e.type === "clear-escalation" || e.type === "save-memory") &&
        e.task === task.id,
    );
    if (touched) continue;
    out.push({
      type: "escalate",
      task: task.id,
      reason: escalation.reason,
      choices: [...ESCALATION_CHOICES],
    });
  }
  return out;
}
