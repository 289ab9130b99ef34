import {
  decideActor,
  isBot,
  labelRefusal,
  type PermissionLevel,
} from "../core/actor-permission.js";
import type { Config } from "../core/config.js";
import type { Snapshot } from "./interpret-facts.js";
import { type GitHubPort, isGitHubError } from "./port.js";

/** How long a permission read for someone who scheduled work is trusted. */
const PERMISSION_TTL_MS = 10 * 60_000;

export interface SchedulingRefusal {
  task: string;
  /** The stage label refused. */
  label: string;
  /** Who added it ("" when the timeline no longer shows it). */
  by: string;
  reason: string;
}

export interface SchedulingCheckOptions {
  botLogin: string;
  now: Date;
  dryRun: boolean;
  log: (line: string) => void;
  /** Kept across passes (`ConfigCache.facts`): permission levels with when they were read. */
  facts?: Map<string, unknown>;
}

/**
 * A task Conveyor has no memory of (no status comment, no agent run) must have been put on
 * the board by someone allowed to: EVERY stage label it carries (todo, in-progress, review,
 * testing, …) added by a user with at least `permissions.schedule`, a bot that
 * `permissions.allowBots` names, or Conveyor itself. Otherwise a triager could start an
 * agent by adding `conveyor:in-progress`, `review` or `testing` (or todo plus one of them).
 * The app checks each `labeled` event as it comes; this check runs in every pass too,
 * because an event can be missed (the sweep then finds the label) and the orchestrator
 * Action has no per-event check. A refused task leaves the board of this pass; the refused
 * labels are removed with a comment that says why. The same holds for a PR put in the merge
 * queue by hand.
 */
export async function refuseUnauthorizedScheduling(
  port: GitHubPort,
  snapshot: Snapshot,
  config: Config,
  options: SchedulingCheckOptions,
): Promise<SchedulingRefusal[]> {
  const { board, github } = snapshot;
  const refused: SchedulingRefusal[] = [];
  for (const task of board.tasks) {
    if (task.memory.runs > 0 || task.memory.run || github.statusComments.has(task.id)) continue;
    const added = github.stageLabeledBy.get(task.id);
    if (added === undefined) continue;
    for (const { label, by } of added) {
      if (by === options.botLogin) continue;
      const reason = by === "" ? UNKNOWN : await reasonToRefuse(port, by, config, options);
      if (reason !== undefined) refused.push({ task: task.id, label, by, reason });
    }
  }
  await refuseUnauthorizedQueueing(port, snapshot, config, options);
  if (refused.length === 0) return [];
  const ids = new Set(refused.map((r) => r.task));
  board.tasks = board.tasks.filter((t) => !ids.has(t.id));
  for (const r of refused) {
    options.log(`#${r.task}: ${r.label} from ${r.by || "someone"} refused: ${r.reason}`);
    if (options.dryRun) continue;
    try {
      await port.removeLabel(Number(r.task), r.label);
    } catch (e: unknown) {
      if (!isGitHubError(e, 404)) throw e; // already gone: the comment still explains
    }
    const labels = github.labels.get(r.task);
    if (labels)
      github.labels.set(
        r.task,
        labels.filter((l) => l !== r.label),
      );
    await port.createComment(Number(r.task), labelRefusal(r.by || "there", r.label, r.reason));
  }
  return refused;
}

const UNKNOWN = "the issue's history no longer shows who added it";

/**
 * The merge-queue label on a PR whose task is still in review or testing queues it by hand
 * (the plan then has it tested, skipping what is left of the review): only someone allowed
 * to schedule may do that. Refused, the task stays where it was, and the label comes off
 * the PR with a comment that says why.
 */
async function refuseUnauthorizedQueueing(
  port: GitHubPort,
  snapshot: Snapshot,
  config: Config,
  options: SchedulingCheckOptions,
): Promise<void> {
  const label = config.labels.mergeQueue;
  for (const [id, { pr, stage }] of snapshot.github.queuedByHand) {
    const events = await port.labelEvents(pr);
    const by = events.find((e) => e.label === label)?.by ?? "";
    if (by === options.botLogin) continue; // Conveyor's own, from a pass cut short
    const reason = by === "" ? UNKNOWN : await reasonToRefuse(port, by, config, options);
    if (reason === undefined) continue;
    const task = snapshot.board.tasks.find((t) => t.id === id);
    if (task) task.stage = stage;
    snapshot.github.queuedByHand.delete(id);
    options.log(`PR #${pr}: ${label} from ${by || "someone"} refused: ${reason}`);
    if (options.dryRun) continue;
    try {
      await port.removeLabel(pr, label);
    } catch (e: unknown) {
      if (!isGitHubError(e, 404)) throw e;
    }
    const labels = snapshot.github.pullLabels.get(pr);
    if (labels)
      snapshot.github.pullLabels.set(
        pr,
        labels.filter((l) => l !== label),
      );
    await port.createComment(pr, labelRefusal(by || "there", label, reason));
  }
}

async function reasonToRefuse(
  port: GitHubPort,
  login: string,
  config: Config,
  options: SchedulingCheckOptions,
): Promise<string | undefined> {
  const actor = { login, type: login.endsWith("[bot]") ? "Bot" : "User" };
  const level = isBot(actor) ? undefined : await permissionOf(port, login, options);
  const decision = decideActor(actor, level, config);
  return decision.allowed ? undefined : decision.reason;
}

async function permissionOf(
  port: GitHubPort,
  login: string,
  options: SchedulingCheckOptions,
): Promise<PermissionLevel> {
  const key = `permission ${login}`;
  const known = options.facts?.get(key) as { level: PermissionLevel; at: number } | undefined;
  const now = options.now.getTime();
  if (known && now - known.at < PERMISSION_TTL_MS && now >= known.at) return known.level;
  const level = await port.getPermission(login);
  options.facts?.set(key, { level, at: now });
  return level;
}
