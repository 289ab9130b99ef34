import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type AgentResult,
  type Board,
  emptyMemory,
  type PreflightResult,
  type RunInfo,
  type Task,
} from "../../core/board.js";
import {
  isKeptEmpty,
  type KeptText,
  keptText,
  type ParsedTask,
  parseTrackingFiles,
} from "../../core/markdown/index.js";
import { openSealed, sealKeyHash } from "../agents/result-seal.js";
import { type RunRecord, readRunRecords, runInfoOf } from "../agents/run-record.js";
import { branchHeads, branchPr, mergeConflicts } from "../git/branch-pr.js";
import type { LocalRepo } from "../repo/local-repo.js";
import { cidFileName } from "../repo/repo-layout.js";
import { settledText } from "./pending-writes.js";
import { type LocalState, readState, type StoredTask } from "./state-store.js";

/** A line of a tracking file that could not be read (reported, left untouched). */
export interface BoardProblem {
  file: string;
  line: number;
  /** Last line that goes with it (the lines nested under an unreadable item). */
  end?: number;
  text: string;
  message: string;
  /** False for problems that are not lines to keep (a duplicate copy of a task). */
  keep?: boolean;
}

export interface LoadedBoard {
  board: Board;
  state: LocalState;
  /**
   * Tracking files as the board was read from them (path relative to the root → text;
   * missing files are ""): the text on disk, or the text of a write that a killed run had
   * announced but not made (see `LocalState.pending`).
   */
  files: Record<string, string>;
  /** Tracking files exactly as on disk when read (an edit since then stops a write). */
  disk: Record<string, string>;
  /** CHANGELOG.md as an announced, unfinished write meant it (the next flush writes it). */
  changelog?: string;
  problems: BoardProblem[];
  /**
   * The lines of each tracking file that are not Conveyor's (prose, headings, comments, lines
   * it could not read), by content, taken from `files` as read: every rewrite of the file
   * keeps them where they were (see `keptText`, `renderLocalFiles`).
   */
  kept: Record<string, KeptText>;
  /** Ids given to hand-written tasks in this load (their file must be rewritten). */
  assigned: string[];
  /** The files in conflict of each task whose branch cannot merge into the base. */
  conflicts?: Record<string, string[]>;
}

export interface LoadOptions {
  now: Date;
  /** Pre-flight results (computed by the caller, so tests can inject them). */
  preflight: PreflightResult[];
}

/**
 * The board of a local repository: tasks from the tracking files (the board people edit),
 * their memory from `.conveyor/state.json`, runs from the supervisor's records, results from
 * the agents' report files, and each task's branch observed as its pull request.
 */
export async function loadBoard(
  repo: LocalRepo,
  options: LoadOptions,
): Promise<LoadedBoard | Error> {
  const state = readState(repo.layout.stateFile);
  if (state instanceof Error) return state;
  const files: Record<string, string> = {};
  const disk: Record<string, string> = {};
  for (const path of repo.trackingPaths) {
    disk[path] = readOptional(join(repo.root, path));
    files[path] = settledText(state.pending, path, disk[path]);
  }
  const changelogWrite = state.pending?.find((w) => w.path === repo.changelogPath);
  // Written (perhaps not committed) or still to write: either way the next flush finishes it.
  const changelog =
    changelogWrite &&
    settledText(
      state.pending,
      repo.changelogPath,
      readOptional(join(repo.root, repo.changelogPath)),
    ) === changelogWrite.text
      ? changelogWrite.text
      : undefined;
  const parsed = parseFiles(files, liveStages(state));
  const problems: BoardProblem[] = parsed.errors.map((e) => ({ ...e }));

  const nowIso = options.now.toISOString();
  const seen = new Set<string>();
  let nextNumber = nextTaskNumber([
    ...Object.keys(state.tasks),
    ...Object.values(parsed.byStage).flatMap((list) => list.map((t) => t.id ?? "")),
  ]);
  const assigned: string[] = [];
  const tasks: Task[] = [];
  const fileOrder = ["todo", "in-progress", "review", "testing", "merge-queue"] as const;
  for (const stage of fileOrder) {
    for (const p of parsed.byStage[stage]) {
      let id = p.id;
      if (id === undefined) {
        id = `T${nextNumber++}`;
        assigned.push(id);
      }
      if (!VALID_ID.test(id)) {
        problems.push({
          file: fileOfStage(repo, stage),
          line: p.line,
          end: p.end,
          text: p.title,
          message: `task id "${id}" is not usable as a branch and folder name (letters, digits, - and _; e.g. T12)`,
        });
        continue;
      }
      if (seen.has(id)) {
        problems.push({
          file: fileOfStage(repo, stage),
          line: p.line,
          text: p.title,
          message: `task ${id} is listed twice in the tracking files; this copy is ignored`,
          keep: false,
        });
        continue;
      }
      const before = state.tasks[id];
      if (before && (before.stage === "done" || before.stage === "abandoned")) {
        // A new task under a finished one's id would inherit its memory, branch and reports.
        problems.push({
          file: fileOfStage(repo, stage),
          line: p.line,
          end: p.end,
          text: p.title,
          message: `task id ${id} belongs to a task that is ${before.stage} ("${before.title}"); ids are never reused: leave the id out (Conveyor numbers the task) or choose another`,
        });
        continue;
      }
      seen.add(id);
      tasks.push(taskFrom(id, p, before, repo, nowIso));
    }
  }
  // Tasks that left the tracking files: done and abandoned ones stay on the board, and so
  // does a task in flight whose line was deleted by hand (its agents, branch and state are
  // still there): it is written back, and the user is told how to drop it for real.
  for (const [id, stored] of Object.entries(state.tasks)) {
    if (seen.has(id)) continue;
    const inFlight = IN_FLIGHT.has(stored.stage);
    if (stored.stage !== "done" && stored.stage !== "abandoned" && !inFlight) continue;
    if (inFlight) {
      const file = fileOfStage(repo, stored.stage);
      problems.push({
        file,
        line: 0,
        text: `- **${id}** ${stored.title}`,
        message: `task ${id} (${stored.stage}) was deleted from ${file} by hand; Conveyor keeps it (its state and branch are still there) and writes it back: to drop it, run \`conveyor abandon ${id} --reason "…"\``,
        keep: false,
      });
    }
    tasks.push({
      id,
      title: stored.title,
      ...(stored.body !== undefined ? { body: stored.body } : {}),
      priority: stored.priority,
      stage: stored.stage,
      createdAt: stored.createdAt,
      locations: stored.locations,
      memory: stored.memory,
    });
  }

  // Order matters while agents work: runs, then results, then branches. An agent commits,
  // then publishes its result, then exits; read in this order, a run seen ended has its
  // result seen, and a result seen has its commit on the branch seen.
  const runs: Record<string, RunInfo> = {};
  const records = readRunRecords(repo.layout);
  for (const record of records) {
    const info = runInfoOf(record);
    if (info) runs[record.correlationId] = info;
  }

  const results = readResults(repo.layout.reportsDir, records);

  const shared = [...repo.trackingPaths, repo.changelogPath];
  const conflicts: Record<string, string[]> = {};
  const heads = await branchHeads(repo.root, repo.gitEnv);
  for (const task of tasks) {
    if (task.stage === "done" || task.stage === "abandoned") continue;
    const stored = state.tasks[task.id];
    // Most tasks (the whole backlog) never got a branch: no git call, no await for them.
    if (heads && !heads.has(task.id)) {
      if (stored?.forkSha) task.branch = task.id;
      continue;
    }
    const pr = await branchPr({
      ...(heads ? { heads } : {}),
      root: repo.root,
      base: repo.base,
      branch: task.id,
      ...(stored?.forkSha ? { forkSha: stored.forkSha } : {}),
      ...(task.memory.verdicts.test?.baseSha
        ? { testedBaseSha: task.memory.verdicts.test.baseSha }
        : {}),
      shared,
      env: repo.gitEnv,
    });
    if (pr) {
      task.pr = pr;
      task.branch = task.id;
      if (pr.mergeable === false) {
        conflicts[task.id] = await mergeConflicts(repo.root, repo.base, pr.headSha, repo.gitEnv);
      }
    } else if (stored?.forkSha) task.branch = task.id;
  }

  const board: Board = {
    repo: repo.root,
    tasks,
    runs,
    results,
    preflight: options.preflight,
    repoMemory: state.repoMemory,
    host: "local",
  };
  if (repo.configErrors) board.configErrors = repo.configErrors;
  const kept: Record<string, KeptText> = {};
  for (const path of repo.trackingPaths) {
    const layout = parsed.layouts[path];
    if (!layout) continue;
    const unusable = problems.filter((p) => p.file === path && p.keep !== false && p.line > 0);
    const zones = keptText(files[path] ?? "", layout, unusable);
    if (!isKeptEmpty(zones)) kept[path] = zones;
  }
  return {
    board,
    state,
    files,
    disk,
    ...(changelog !== undefined ? { changelog } : {}),
    problems,
    kept,
    assigned,
    ...(Object.keys(conflicts).length > 0 ? { conflicts } : {}),
  };
}

/**
 * `parseTrackingFiles`, remembered for the last texts read: an idle pass reads the same
 * files again, and a board of a thousand tasks need not be parsed every second. The result
 * is only read, never changed (tasks copy what they take from it).
 */
let lastParse: { key: string; parsed: ReturnType<typeof parseTrackingFiles> } | undefined;

function parseFiles(
  files: Record<string, string>,
  stages: Record<string, string>,
): ReturnType<typeof parseTrackingFiles> {
  const key = JSON.stringify([files, stages]);
  if (lastParse?.key !== key) lastParse = { key, parsed: parseTrackingFiles(files, stages) };
  return lastParse.parsed;
}

/** Where Conveyor last put each task (its stage in the state): that copy of an id is live. */
function liveStages(state: LocalState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [id, t] of Object.entries(state.tasks)) out[id] = t.stage;
  return out;
}

function taskFrom(
  id: string,
  p: ParsedTask,
  stored: StoredTask | undefined,
  repo: LocalRepo,
  nowIso: string,
): Task {
  const task: Task = {
    id,
    title: p.title,
    priority: p.priority ?? stored?.priority ?? repo.config.priorities.default,
    stage: p.stage,
    createdAt: stored?.createdAt ?? nowIso,
    locations: [...p.locations],
    memory: stored?.memory ?? emptyMemory(),
  };
  if (p.body !== undefined) task.body = p.body;
  return task;
}

function fileOfStage(repo: LocalRepo, stage: string): string {
  const index = { todo: 0, "in-progress": 1, review: 2, testing: 3, "merge-queue": 3 }[stage] ?? 0;
  return repo.trackingPaths[index] ?? "TODO.md";
}

/** Stages of a task whose agents, branch or merge are under way. */
const IN_FLIGHT = new Set<string>(["in-progress", "review", "testing", "merge-queue"]);

/** Task ids become branch names and `.worktrees/<id>` folders: keep them plain. */
const VALID_ID = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;

/** Next free `T<n>` number after every id in use. */
export function nextTaskNumber(ids: readonly string[]): number {
  let max = 0;
  for (const id of ids) {
    const m = /^T(\d+)$/.exec(id);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max + 1;
}

function readOptional(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/**
 * Every `<task>/<cid>.json` report that holds an agent result of that run: sealed with the
 * key whose hash the supervisor recorded when it started the run (see `result-seal.ts`).
 * A report without a seal, sealed with another key (an earlier run's, one the agent made up)
 * or filed under another task or run is not a result.
 */
export function readResults(
  reportsDir: string,
  records: readonly RunRecord[],
): Record<string, AgentResult> {
  const results: Record<string, AgentResult> = {};
  const byCid = new Map(records.map((r) => [r.correlationId, r]));
  let taskDirs: string[];
  try {
    taskDirs = readdirSync(reportsDir);
  } catch {
    return results;
  }
  for (const dir of taskDirs) {
    let names: string[];
    try {
      names = readdirSync(join(reportsDir, dir)).filter((n) => n.endsWith(".json"));
    } catch {
      continue;
    }
    for (const name of names) {
      const stem = name.slice(0, -".json".length);
      const record = [...byCid.values()].find(
        (r) => r.task === dir && cidFileName(r.correlationId) === stem,
      );
      if (!record?.sealKeyHash) continue;
      const key = readOptional(join(reportsDir, dir, `${stem}.key`)).trim();
      if (key === "" || sealKeyHash(key) !== record.sealKeyHash) continue;
      const r = openSealed(readOptional(join(reportsDir, dir, name)), key);
      if (!r || r.correlationId !== record.correlationId || r.role !== record.role) continue;
      results[r.correlationId] = r;
    }
  }
  return results;
}
