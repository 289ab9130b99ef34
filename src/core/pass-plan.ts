import { applyEffects } from "./apply.js";
import type { Board } from "./board.js";
import { planCommand } from "./commands.js";
import type { Config } from "./config.js";
import { conveyorChecks } from "./conveyor-check.js";
import { type Effect, ESCALATION_CHOICES, type Plan } from "./effects.js";
import { renderTrackingFiles } from "./markdown/render-tracking.js";
import { plan } from "./plan.js";

/** What a pass knows besides the board, for the decisions `plan()` does not make. */
export interface PassFacts {
  /**
   * Tasks whose issue a person closed while work was under way (no PR of theirs merged):
   * abandoned, as `/conveyor abandon` would (agent stopped, stage labels off, recorded in
   * CHANGELOG.md), and left out of the plan.
   */
  closedByPerson: ReadonlySet<string>;
  /** Tasks whose issue shows the escalated label. */
  escalatedShown: ReadonlySet<string>;
  /** The mirror: the digest of the tracking files last written, and how to digest them. */
  mirror?: { lastDigest?: string; digest: (files: Record<string, string>) => string };
}

/** Every decision of one pass: the plan, and the effects to apply in order. */
export interface PassPlan {
  /** What `plan()` decided for the tasks still on the board. */
  plan: Plan;
  /** Abandons of closed issues, the plan's effects, repairs of escalations, the mirror. */
  effects: Effect[];
  /** The `write-mirror` effect among them, when the tracking files changed. */
  mirrorWrite?: Extract<Effect, { type: "write-mirror" }>;
  /** Digest of the tracking files the plan leads to (kept once the mirror is written). */
  mirrorDigest?: string;
}

/**
 * One pass's decisions, composed: abandon what a person closed, plan the rest, repair
 * escalations the memory records but the issue does not show, and write the mirror when
 * the tracking files the plan leads to differ from the ones last written. Pure.
 */
export function planPass(board: Board, config: Config, now: Date, facts: PassFacts): PassPlan {
  const closedEffects = [...facts.closedByPerson].flatMap(
    (id) =>
      planCommand(board, id, { kind: "abandon", reason: "its issue was closed" }, config, now)
        .effects,
  );
  // The plan does not see them (the executor does: it writes their status and labels).
  const open = { ...board, tasks: board.tasks.filter((t) => !facts.closedByPerson.has(t.id)) };
  const thePlan = plan(open, config, now);
  const effects = [
    ...closedEffects,
    ...thePlan.effects,
    ...missingEscalations(open, thePlan.effects, facts.escalatedShown),
  ];
  const out: PassPlan = { plan: thePlan, effects };
  // The Conveyor check runs last (a failed check write holds nothing back); the mirror
  // below is computed from the effects before them (they change no tracking file).
  const checks = conveyorChecks(board, config, effects, thePlan.mergeQueue);
  const mirror = facts.mirror;
  if (!mirror || !config.mirror.enabled || (board.configErrors ?? []).length > 0) {
    effects.push(...checks);
    return out;
  }
  // The mirror: rendered from the board the plan leads to, written only when it changed.
  const after = applyEffects(board, [...closedEffects, ...thePlan.effects], now);
  const files = renderTrackingFiles(after, { folder: config.mirror.folder });
  const digest = mirror.digest(files);
  if (digest !== mirror.lastDigest) {
    out.mirrorDigest = digest;
    if (!effects.some((e) => e.type === "write-mirror")) {
      out.mirrorWrite = { type: "write-mirror", files };
      effects.push(out.mirrorWrite);
    }
  }
  effects.push(...checks);
  return out;
}

/**
 * Escalations the memory records but the issue does not show: the pass that escalated the
 * task saved its memory, then stopped (a crash, GitHub down) before the label and the
 * comment. The escalated label is written after the comment, so a missing label means the
 * maintainer was not told yet: tell them now. The way out of an escalation is a command,
 * so the label follows the memory.
 */
export function missingEscalations(
  board: Board,
  planned: readonly Effect[],
  escalatedShown: ReadonlySet<string>,
): Effect[] {
  const out: Effect[] = [];
  for (const task of board.tasks) {
    const escalation = task.memory.escalation;
    if (!escalation || escalatedShown.has(task.id)) continue;
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
