import type { Task } from "../board.js";
import { PRIORITIES } from "../config.js";

/** Stable orders of tasks inside a tracking file. */

const rank = (t: Task): number => {
  const i = PRIORITIES.indexOf(t.priority);
  return i < 0 ? PRIORITIES.length : i;
};

const time = (iso: string | undefined): number => {
  const ms = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
};

/** Natural order of ids, so `T9` comes before `T10`; locale-independent. */
export function compareIds(a: string, b: string): number {
  const parts = (s: string) => s.match(/\d+|\D+/g) ?? [];
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
    }
    return x < y ? -1 : 1;
  }
  if (pa.length !== pb.length) return pa.length - pb.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

const byTime =
  (key: (t: Task) => string | undefined) =>
  (a: Task, b: Task): number => {
    const ta = time(key(a));
    const tb = time(key(b));
    if (ta !== tb) return ta < tb ? -1 : 1;
    return 0;
  };

/** Priority (critical first), then `createdAt` (oldest first), then id. */
export const compareBacklog = (a: Task, b: Task): number =>
  rank(a) - rank(b) || byTime((t) => t.createdAt)(a, b) || compareIds(a.id, b.id);

/** Merge-queue order: priority, then time the task entered the queue, then id. */
export const compareMergeQueue = (a: Task, b: Task): number =>
  rank(a) - rank(b) || byTime((t) => t.memory.stageSince)(a, b) || compareIds(a.id, b.id);

/**
 * `tasks` sorted by `compare`'s order, each task's keys computed once (priority rank, time,
 * id parts) rather than in every comparison: the same order, for a thousand tasks at once.
 */
function sortedBy(tasks: readonly Task[], when: (t: Task) => string | undefined): Task[] {
  const keyed = tasks.map((t) => ({ t, r: rank(t), at: time(when(t)) }));
  keyed.sort(
    (a, b) =>
      a.r - b.r || (a.at !== b.at ? (a.at < b.at ? -1 : 1) : 0) || compareIds(a.t.id, b.t.id),
  );
  return keyed.map((k) => k.t);
}

/** `tasks` in `compareBacklog` order. */
export const sortBacklog = (tasks: readonly Task[]): Task[] => sortedBy(tasks, (t) => t.createdAt);

/** `tasks` in `compareMergeQueue` order. */
export const sortMergeQueue = (tasks: readonly Task[]): Task[] =>
  sortedBy(tasks, (t) => t.memory.stageSince);
