import { applyEffects } from "./apply.js";
import type { Board, PreflightResult, RepoMemory } from "./board.js";
import { planCommand } from "./commands.js";
import type { Config } from "./config.js";
import { conveyorChecks } from "./conveyor-check.js";
import { type Effect, ESCALATION_CHOICES, type Plan } from "./effects.js";
import { renderTrackingFiles } from "./markdown/render-tracking.js";
import { plan, sameJson } from "./plan.js";
import { acceptedScheduling, refusedScheduling, type SchedulingFacts } from "./scheduling.js";

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
  /**
   * The mirror: the digest of the tracking files last written, and how to digest them.
   * With `lastWrittenAt` and `coalesceMinutes`, a change within that many minutes of the
   * last write waits while an agent run is in flight: the mirror is a view of the board, and
   * the pass that run's end starts (or the sweep) writes what it shows then, so a busy
   * backlog costs one mirror commit per window instead of one per pass.
   */
  mirror?: {
    lastDigest?: string;
    digest: (files: Record<string, string>) => string;
    lastWrittenAt?: string;
    coalesceMinutes?: number;
  };
  /** Who put work on the board, for the scheduling check (`refusedScheduling`). */
  scheduling?: SchedulingFacts;
  /**
   * The backend shows a dashboard (GitHub): whether it exists already (and is open), the
   * pre-flight it shows from an earlier pass, and when it was last written. With
   * `lastWrittenAt` and `coalesceMinutes`, a routine change (tasks moving on while agents
   * work) within that many minutes of the last write waits, as the mirror does: the next
   * pass (each run's end starts one) writes what the board shows then. Absent: no dashboard
   * (local mode).
   */
  dashboard?: {
    exists: boolean;
    closed?: boolean;
    lastPreflight?: PreflightResult[];
    lastWrittenAt?: string;
    coalesceMinutes?: number;
  };
  /** Pre-flight as checked in this pass (set by the pass body when it checked). */
  preflight?: PreflightResult[];
  /** The commit the config was read at: an invalid config fails a check run there. */
  configSha?: string;
}

/** Every decision of one pass: the plan, and the effects to apply in order. */
export interface PassPlan {
  /** The board the pass works on: the one read, less the work refused by the scheduling check. */
  board: Board;
  /** What `plan()` decided for the tasks still on the board. */
  plan: Plan;
  /**
   * In order: refused scheduling, abandons of closed issues, the plan's effects, repairs of
   * escalations, the mirror, the dashboard, the config check.
   */
  effects: Effect[];
  /** The `write-mirror` effect among them, when the tracking files changed. */
  mirrorWrite?: Extract<Effect, { type: "write-mirror" }>;
  /** Digest of the tracking files the plan leads to (kept once the mirror is written). */
  mirrorDigest?: string;
}

/**
 * One pass's decisions, composed: refuse work scheduled by someone not allowed to, abandon
 * what a person closed, plan the rest, repair escalations the memory records but the issue
 * does not show, write the mirror when the tracking files the plan leads to differ from the
 * ones last written, bring the dashboard up to date, and report an invalid config. Pure.
 */
export function planPass(read: Board, config: Config, now: Date, facts: PassFacts): PassPlan {
  const refusals = facts.scheduling ? refusedScheduling(read, config, facts.scheduling) : [];
  const board = refusals.length > 0 ? applyEffects(read, refusals, now) : read;
  const closed = [...facts.closedByPerson].filter((id) => board.tasks.some((t) => t.id === id));
  const closedEffects = closed.flatMap(
    (id) =>
      planCommand(board, id, { kind: "abandon", reason: "its issue was closed" }, config, now)
        .effects,
  );
  // The plan does not see them (the executor does: it writes their status and labels).
  const open = { ...board, tasks: board.tasks.filter((t) => !facts.closedByPerson.has(t.id)) };
  const thePlan = plan(open, config, now);
  if (facts.scheduling) rememberAccepted(open, thePlan, facts.scheduling);
  const effects = [
    ...refusals,
    ...closedEffects,
    ...thePlan.effects,
    ...missingEscalations(open, thePlan.effects, facts.escalatedShown),
  ];
  const out: PassPlan = { board, plan: thePlan, effects };
  // The Conveyor check runs last (a failed check write holds nothing back); it is computed
  // from the effects before the mirror and the dashboard (they change no task).
  const checks = conveyorChecks(board, config, effects, thePlan.mergeQueue);
  const configErrors = board.configErrors ?? [];
  // The board the plan leads to, for the mirror and the dashboard (when there are any).
  const after =
    facts.mirror || facts.dashboard
      ? applyEffects(board, [...closedEffects, ...thePlan.effects], now)
      : board;
  const mirror = facts.mirror;
  if (mirror && config.mirror.enabled && configErrors.length === 0) {
    // The mirror: rendered from the board the plan leads to, written only when it changed.
    const files = renderTrackingFiles(after, { folder: config.mirror.folder });
    const digest = mirror.digest(files);
    if (digest !== mirror.lastDigest && !mirrorMayWait(mirror, after, now)) {
      out.mirrorDigest = digest;
      if (!effects.some((e) => e.type === "write-mirror")) {
        out.mirrorWrite = { type: "write-mirror", files };
        effects.push(out.mirrorWrite);
      }
    }
  }
  const dashboard = dashboardWrite(after, thePlan, configErrors, facts, out.mirrorDigest);
  if (dashboard && !dashboardMayWait(after, effects, configErrors, facts, now))
    effects.push(dashboard);
  if (configErrors.length > 0 && facts.configSha)
    effects.push({ type: "report-config-check", sha: facts.configSha, errors: [...configErrors] });
  effects.push(...checks);
  return out;
}

/**
 * The dashboard, written once there is anything to show (tasks, config errors, a pause)
 * and kept up to date from then on; the executor leaves an unchanged body alone.
 */
function dashboardWrite(
  after: Board,
  thePlan: Plan,
  configErrors: string[],
  facts: PassFacts,
  nextDigest: string | undefined,
): Effect | undefined {
  const shown = facts.dashboard;
  if (!shown) return undefined;
  const worthShowing =
    after.tasks.length > 0 || configErrors.length > 0 || after.repoMemory.paused === true;
  if (!shown.exists && !worthShowing) return undefined;
  const { effects: _, ...view } = thePlan;
  const preflight = facts.preflight ?? shown.lastPreflight;
  const last = facts.mirror?.lastDigest;
  const lastAt = facts.mirror?.lastWrittenAt;
  const dashboardAt = shown.lastWrittenAt;
  return {
    type: "write-dashboard",
    view,
    configErrors: [...configErrors],
    ...(preflight ? { preflight } : {}),
    ...(dashboardAt ? { lastAt: dashboardAt } : {}),
    ...(last || nextDigest
      ? {
          mirror: {
            ...(last ? { last } : {}),
            ...(nextDigest ? { next: nextDigest } : {}),
            ...(lastAt ? { lastAt } : {}),
          },
        }
      : {}),
  };
}

/**
 * Keeps the checked and allowed scheduling of the tasks still waiting in the repository
 * memory (`RepoMemory.accepted`), so the next pass does not read their schedulers'
 * permissions again: into the plan's `save-repo-memory`, or a new one when the plan has
 * none and the record changed.
 */
function rememberAccepted(board: Board, thePlan: Plan, scheduling: SchedulingFacts): void {
  const remembered = new Set(
    thePlan.effects.flatMap((e) =>
      e.type === "save-memory" || e.type === "dispatch" ? [e.task] : [],
    ),
  );
  const accepted = acceptedScheduling(board, scheduling, (id) => remembered.has(id));
  const withAccepted = (m: RepoMemory): RepoMemory => {
    const { accepted: _, ...rest } = m;
    return Object.keys(accepted).length > 0 ? { ...rest, accepted } : rest;
  };
  const saved = thePlan.effects.find((e) => e.type === "save-repo-memory");
  if (saved) {
    saved.memory = withAccepted(saved.memory);
    return;
  }
  const memory = withAccepted(board.repoMemory);
  if (!sameJson(memory, board.repoMemory))
    thePlan.effects.push({ type: "save-repo-memory", memory });
}

/**
 * Effects after which the dashboard is written at once: what a maintainer must see or
 * answer (escalations, refusals, a priority change), and tasks leaving the board (their
 * finished runs go into the dashboard's chart from the board of this pass only).
 */
const SHOWN_AT_ONCE = new Set<Effect["type"]>([
  "escalate",
  "clear-escalation",
  "refuse-scheduling",
  "set-priority",
  "merge",
  "close-issue",
  "record-abandoned",
  "write-mirror",
  "save-repo-memory",
]);

/**
 * Whether the dashboard may skip this pass: it exists and is open, was written less than
 * `coalesceMinutes` ago, an agent run is still in flight after this pass (its end starts
 * another pass), the repository memory its marker holds is unchanged, and the pass does
 * nothing a maintainer must see at once (`SHOWN_AT_ONCE`, config errors, a changed
 * pre-flight). A board at rest is written at once, so the dashboard never lags behind a
 * board that stopped; a routine pass in between (a run ended, the next one dispatched) costs
 * no edit. The labels and status comments, which people act on, are never deferred.
 */
function dashboardMayWait(
  after: Board,
  effects: readonly Effect[],
  configErrors: readonly string[],
  facts: PassFacts,
  now: Date,
): boolean {
  const shown = facts.dashboard;
  if (!shown?.exists || shown.closed) return false;
  if (configErrors.length > 0) return false;
  if (facts.preflight && !sameJson(facts.preflight, shown.lastPreflight ?? [])) return false;
  // The repository memory changes only through `save-repo-memory`, which is among these.
  if (effects.some((e) => SHOWN_AT_ONCE.has(e.type))) return false;
  return mayWait(shown.lastWrittenAt, shown.coalesceMinutes, after, now);
}

/**
 * The rule both views coalesce by: the last write is less than `coalesceMinutes` old, and an
 * agent run is still in flight after this pass (its end starts another pass).
 */
function mayWait(
  lastWrittenAt: string | undefined,
  coalesceMinutes: number | undefined,
  after: Board,
  now: Date,
): boolean {
  if (lastWrittenAt === undefined || !coalesceMinutes) return false;
  const since = now.getTime() - Date.parse(lastWrittenAt);
  if (!(since >= 0 && since < coalesceMinutes * 60_000)) return false;
  return after.tasks.some((t) => t.memory.run !== undefined && !t.memory.escalation);
}

/**
 * Whether a changed mirror may wait for a later pass: written less than `coalesceMinutes`
 * ago, and an agent run still in flight after this pass (its end starts another pass). A
 * board at rest is written at once, so the mirror never lags behind a board that stopped.
 */
function mirrorMayWait(mirror: NonNullable<PassFacts["mirror"]>, after: Board, now: Date): boolean {
  if (mirror.lastDigest === undefined) return false;
  return mayWait(mirror.lastWrittenAt, mirror.coalesceMinutes, after, now);
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
