import type { PermissionLevel } from "../core/actor-permission.js";
import type { Config } from "../core/config.js";
import { type SchedulingFacts, schedulersToAsk } from "../core/scheduling.js";
import type { Snapshot } from "./interpret-facts.js";
import type { GitHubPort } from "./port.js";

/** How long a permission read for someone who scheduled work is trusted. */
const PERMISSION_TTL_MS = 10 * 60_000;

export interface SchedulingReadOptions {
  botLogin: string;
  now: Date;
  /** Kept across passes (`ConfigCache.facts`): permission levels with when they were read. */
  facts?: Map<string, unknown>;
}

/**
 * The reading half of the scheduling check (the rule is the core's: `refusedScheduling`).
 * What the snapshot already shows (who added each stage label, the PRs queued by hand) plus
 * two rounds: who added the merge-queue label of each PR queued by hand (its label events),
 * then the permission of each person who scheduled, once per person (kept for ten minutes
 * across the passes of one process). Decides nothing.
 */
export async function readSchedulingFacts(
  port: GitHubPort,
  snapshot: Snapshot,
  config: Config,
  options: SchedulingReadOptions,
): Promise<SchedulingFacts> {
  const { github } = snapshot;
  const label = config.labels.mergeQueue;
  const queued = await Promise.all(
    [...github.queuedByHand].map(async ([id, { pr, stage }]) => {
      const events = await port.labelEvents(pr);
      return [id, { pr, stage, by: events.find((e) => e.label === label)?.by ?? "" }] as const;
    }),
  );
  const partial = {
    botLogin: options.botLogin,
    remembered: new Set(github.statusComments.keys()),
    stageLabeledBy: github.stageLabeledBy,
    queuedByHand: new Map(queued),
  };
  const people = schedulersToAsk(snapshot.board, partial);
  const levels = await Promise.all(people.map((login) => permissionOf(port, login, options)));
  return { ...partial, permissions: new Map(people.map((login, i) => [login, levels[i]!])) };
}

async function permissionOf(
  port: GitHubPort,
  login: string,
  options: SchedulingReadOptions,
): Promise<PermissionLevel> {
  const key = `permission ${login}`;
  const known = options.facts?.get(key) as { level: PermissionLevel; at: number } | undefined;
  const now = options.now.getTime();
  if (known && now - known.at < PERMISSION_TTL_MS && now >= known.at) return known.level;
  const level = await port.getPermission(login);
  options.facts?.set(key, { level, at: now });
  return level;
}
