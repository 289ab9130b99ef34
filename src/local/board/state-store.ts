import { readFileSync } from "node:fs";
import {
  emptyMemory,
  emptyRepoMemory,
  type RepoMemory,
  type Stage,
  type TaskMemory,
} from "../../core/board.js";
import type { Priority } from "../../core/config.js";
import { readJson, writeTextAtomic } from "../repo/json-file.js";
import type { PendingWrite } from "./pending-writes.js";

/**
 * What local mode remembers beside the tracking files: `.conveyor/state.json`. The tracking
 * files are the board people read and edit; the state holds what they do not show (task
 * memory, the fork point of each branch, repo memory) and the tasks that left the files
 * (done, abandoned).
 */
export interface StoredTask {
  title: string;
  priority: Priority;
  /** Last stage written; authoritative only for tasks no longer in the tracking files. */
  stage: Stage;
  createdAt: string;
  locations: string[];
  body?: string;
  memory: TaskMemory;
  /** Commit the task's branch was created from (its PR exists once it has commits past it). */
  forkSha?: string;
}

export interface LocalState {
  version: 1;
  repoMemory: RepoMemory;
  tasks: Record<string, StoredTask>;
  /**
   * The tracking files (and CHANGELOG.md) being rewritten, announced here before the first of
   * them is written and cleared once all are: a run killed in between left some files old
   * and some new, and the next load reads them as the write meant them to be.
   */
  pending?: PendingWrite[];
}

export const emptyState = (): LocalState => ({
  version: 1,
  repoMemory: emptyRepoMemory(),
  tasks: {},
});

/** Reads the state; a missing file is an empty state, an unreadable one an error value. */
export function readState(path: string): LocalState | Error {
  const raw = readJson(path);
  if (raw === undefined) return emptyState();
  if (raw instanceof Error) return raw;
  if (typeof raw !== "object" || raw === null || (raw as { version?: unknown }).version !== 1)
    return new Error(`${path}: not a Conveyor state file (version 1)`);
  const state = raw as LocalState;
  state.repoMemory = { ...emptyRepoMemory(), ...(state.repoMemory ?? {}) };
  state.tasks = state.tasks ?? {};
  for (const t of Object.values(state.tasks)) {
    t.memory = { ...emptyMemory(), ...t.memory };
    upgradeBranchNames(t.memory);
  }
  if (state.pending !== undefined && !isPendingList(state.pending)) delete state.pending;
  return state;
}

/**
 * Versions before the core named a branch by itself numbered a local branch's "PR" 0 and
 * stored reasons like "PR #0 conflicts with the base branch": read them as today's words.
 */
function upgradeBranchNames(m: TaskMemory): void {
  const upgrade = (text: string) => text.replaceAll("PR #0 ", "the branch ");
  if (m.lastFailure !== undefined) m.lastFailure = upgrade(m.lastFailure);
  if (m.feedback !== undefined) m.feedback = upgrade(m.feedback);
  if (m.escalation) m.escalation = { ...m.escalation, reason: upgrade(m.escalation.reason) };
}

/** Writes the state atomically; a file that already holds exactly this state is left alone. */
export function writeState(path: string, state: LocalState): void {
  const text = `${JSON.stringify(state, null, 2)}\n`;
  if (readText(path) === text) return;
  writeTextAtomic(path, text);
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function isPendingList(value: unknown): value is PendingWrite[] {
  return (
    Array.isArray(value) &&
    value.every(
      (w: Partial<PendingWrite> | null) =>
        typeof w?.path === "string" && typeof w.before === "string" && typeof w.text === "string",
    )
  );
}
