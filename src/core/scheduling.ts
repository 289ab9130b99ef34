import { decideActor, isBot, type PermissionLevel } from "./actor-permission.js";
import type { Board, Stage } from "./board.js";
import type { Config } from "./config.js";
import type { Effect } from "./effects.js";

/** What the pass read about who put work on the board (plain data; GitHub's fetch step). */
export interface SchedulingFacts {
  /** Conveyor's own login: its labels are never refused (a pass cut short). */
  botLogin: string;
  /** Tasks Conveyor already keeps memory of elsewhere (GitHub: its status comment). */
  remembered: ReadonlySet<string>;
  /**
   * Who added each stage label a task's issue carries (the last time); "" when the issue's
   * history no longer shows it. Tasks without an entry are not checked (no history read).
   */
  stageLabeledBy: ReadonlyMap<string, readonly { label: string; by: string; at?: string }[]>;
  /**
   * Tasks whose PR someone put in the merge queue by hand (the issue is still in review or
   * testing): the PR, the stage the issue is in, and who added the label ("" unknown).
   */
  queuedByHand: ReadonlyMap<string, { pr: number; stage: Stage; by: string }>;
  /** The permission of each person named above (read once per person per pass). */
  permissions: ReadonlyMap<string, PermissionLevel>;
}

export const UNKNOWN_SCHEDULER = "the issue's history no longer shows who added it";

/**
 * A task Conveyor has no memory of (no status comment, no agent run) must have been put on
 * the board by someone allowed to: EVERY stage label it carries (todo, in-progress, review,
 * testing, …) added by a user with at least `permissions.schedule`, a bot that
 * `permissions.allowBots` names, or Conveyor itself. Otherwise a triager could start an
 * agent by adding `conveyor:in-progress`, `review` or `testing` (or todo plus one of them).
 * The app checks each `labeled` event as it comes; this rule holds in every pass too,
 * because an event can be missed (the sweep then finds the label) and the orchestrator
 * Action has no per-event check. The same holds for a PR put in the merge queue by hand
 * (the plan would have it tested, skipping what is left of the review).
 *
 * Returns one `refuse-scheduling` effect per refused label: on the issue (the task leaves
 * the board of this pass) or on the PR (the task stays in the stage its issue shows).
 */
export function refusedScheduling(board: Board, config: Config, facts: SchedulingFacts): Effect[] {
  const out: Effect[] = [];
  for (const task of board.tasks) {
    if (isRemembered(task, facts)) continue;
    if (wasAccepted(board, task.id, facts)) continue;
    for (const { label, by } of facts.stageLabeledBy.get(task.id) ?? []) {
      const reason = refusalReason(by, config, facts);
      if (reason !== undefined)
        out.push({ type: "refuse-scheduling", task: task.id, label, by, reason });
    }
  }
  const label = config.labels.mergeQueue;
  for (const [task, { pr, stage, by }] of facts.queuedByHand) {
    const reason = refusalReason(by, config, facts);
    if (reason !== undefined)
      out.push({ type: "refuse-scheduling", task, label, by, reason, pr, stage });
  }
  return out;
}

/** The people whose permission `refusedScheduling` needs (bots and Conveyor are not asked). */
export function schedulersToAsk(
  board: Board,
  facts: Omit<SchedulingFacts, "permissions">,
): string[] {
  const people = new Set<string>();
  const ask = (by: string) => {
    if (by !== "" && by !== facts.botLogin && !isBot({ login: by })) people.add(by);
  };
  for (const task of board.tasks) {
    if (isRemembered(task, facts)) continue;
    if (wasAccepted(board, task.id, facts)) continue;
    for (const { by } of facts.stageLabeledBy.get(task.id) ?? []) ask(by);
  }
  for (const { by } of facts.queuedByHand.values()) ask(by);
  return [...people].sort();
}

/** Conveyor keeps memory of the task (a run, or elsewhere: GitHub's status comment). */
const isRemembered = (
  task: Board["tasks"][number],
  facts: Pick<SchedulingFacts, "remembered">,
): boolean =>
  task.memory.runs > 0 || task.memory.run !== undefined || facts.remembered.has(task.id);

function refusalReason(by: string, config: Config, facts: SchedulingFacts): string | undefined {
  if (by === facts.botLogin) return undefined;
  if (by === "") return UNKNOWN_SCHEDULER;
  const actor = { login: by, type: by.endsWith("[bot]") ? "Bot" : "User" };
  const decision = decideActor(actor, isBot(actor) ? undefined : facts.permissions.get(by), config);
  return decision.allowed ? undefined : decision.reason;
}

/**
 * What identifies the scheduling of a task that was checked: each stage label it carries
 * with when it was added, in label order. Undefined when any is unknown (never remembered:
 * such a task is checked, and refused, every time).
 */
export function schedulingStamp(
  labeled: readonly { label: string; by: string; at?: string }[] | undefined,
): string | undefined {
  if (!labeled || labeled.length === 0) return undefined;
  if (labeled.some((l) => l.by === "" || !l.at)) return undefined;
  return [...labeled]
    .map((l) => `${l.label}@${l.at}`)
    .sort()
    .join(",");
}

/** True when the repository memory records this very scheduling as checked and allowed. */
function wasAccepted(
  board: Board,
  id: string,
  facts: Omit<SchedulingFacts, "permissions">,
): boolean {
  const stamp = schedulingStamp(facts.stageLabeledBy.get(id));
  return stamp !== undefined && board.repoMemory.accepted?.[id] === stamp;
}

/**
 * The `accepted` record of the repository memory after a pass: every task still on the
 * board (refused work is gone from it) that had its stage labels checked, and of which
 * Conveyor keeps no memory elsewhere yet after this pass (`remembersAfter`: its first
 * dispatch writes it). Entries of tasks that got memory or left the board are dropped.
 */
export function acceptedScheduling(
  board: Board,
  facts: SchedulingFacts,
  remembersAfter: (id: string) => boolean,
): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const task of board.tasks) {
    // Bounded: the record lives in the dashboard's marker, whose body GitHub limits; a task
    // beyond it is checked in every pass, as without the record.
    if (n >= MAX_ACCEPTED) break;
    if (isRemembered(task, facts)) continue;
    if (remembersAfter(task.id)) continue;
    const stamp = schedulingStamp(facts.stageLabeledBy.get(task.id));
    if (stamp === undefined) continue;
    out[task.id] = stamp;
    n++;
  }
  return out;
}

/** At most this many waiting tasks are recorded (about 5 KB of the dashboard's marker). */
export const MAX_ACCEPTED = 100;
