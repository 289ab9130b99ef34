/**
 * The two backends of the executor contract (test/engine/executor-contract.test.ts), each
 * seeded from one abstract board (`BoardSpec`), driven through its real executor and read
 * back through its real loader:
 *
 * - GitHub: the fake GitHub (issues with stage and priority labels, PRs linked by
 *   "Closes #n", the bot's status comments holding the memory marker, runs of the agent
 *   workflow, the dashboard holding the repository memory); `loadSnapshot`
 *   (fetch-facts + interpret-facts) reads it; `executeEffects` of `src/github/executor.ts`.
 * - local: a temporary git repository (tracking files rendered from the board, committed,
 *   `.conveyor/state.json`, a branch per task with a PR, agent runs as child processes of
 *   the real supervisor with a launcher that only waits); `loadBoard` reads it; the local
 *   `executeEffects`.
 *
 * `observe` turns a board (the expected one from `applyEffects`, or the one read back) into
 * the fields the contract compares (see `Observed`).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type AgentResult,
  type Board,
  correlationId,
  emptyMemory,
  type RepoMemory,
  type Stage,
  type TaskMemory,
} from "../../src/core/board.js";
import type { Config, Priority, Role } from "../../src/core/config.js";
import type { Effect } from "../../src/core/effects.js";
import { encodeMarker, readMarker, resultHeader, upsertMarker } from "../../src/core/markers.js";
import { labelOfStage, stageFrom, stageLabels } from "../../src/core/stage-labels.js";
import { executeEffects as executeGitHub } from "../../src/github/executor.js";
import { ESCALATION_HEADER } from "../../src/github/format-escalation.js";
import { formatStatusComment, STATUS_HEADER } from "../../src/github/format-status-comment.js";
import { ACTIONS_BOT, runsByCorrelation, type Snapshot } from "../../src/github/interpret-facts.js";
import { loadSnapshot } from "../../src/github/load-board.js";
import { DASHBOARD_TITLE } from "../../src/github/port.js";
import { newSealKey, sealKeyHash, sealResult } from "../../src/local/agents/result-seal.js";
import { isRunAlive, readRunRecord, writeRunRecord } from "../../src/local/agents/run-record.js";
import { killGroup, Supervisor } from "../../src/local/agents/supervisor.js";
import { type LoadedBoard, loadBoard } from "../../src/local/board/load-board.js";
import { renderLocalFiles } from "../../src/local/board/render-local-files.js";
import { emptyState, type LocalState, writeState } from "../../src/local/board/state-store.js";
import type { LocalRepo } from "../../src/local/repo/local-repo.js";
import { jobFile, resultFile, sealKeyFile } from "../../src/local/repo/repo-layout.js";
import {
  executeEffects as executeLocal,
  type PassOutcome,
} from "../../src/local/run/execute-effects.js";
import { cleanup, gitSync, makeRepo, openRepo } from "../local/temp-repo.js";
import { FakeGitHub } from "./fake-github/index.js";

export const BOT = "conveyor[bot]";

/**
 * A run a task's memory remembers, as the backend shows it: waiting or running, ended
 * without a result, or ended with a result that is `good` (task: ok; reviewer: approve;
 * tester: passed) or `bad` (task: failed; reviewer: request changes; tester: failed).
 */
export type RunSpec = "queued" | "in_progress" | "failed" | "good" | "bad";

/** One task of an abstract board: what both backends are seeded with. */
export interface TaskSpec {
  stage: Exclude<Stage, "done" | "abandoned">;
  priority: Priority;
  locations: string[];
  /** The task has a PR (local: a branch with a commit) changing these files ([]: its own). */
  prFiles?: string[];
  /** Memory remembers a run of the stage's role, dispatched `minutesAgo` before now. */
  run?: { status: RunSpec; minutesAgo: number };
  /** Failures so far in the stage (the task role's, reviewer's or tester's). */
  failures: number;
  /** Escalated (memory and, on GitHub, the label and the notice). */
  escalated: boolean;
  /** Reviewed and tested at the PR's head (a merge-queue task the planner can merge). */
  tested: boolean;
}

export interface BoardSpec {
  tasks: TaskSpec[];
  paused: boolean;
}

/**
 * What the contract compares, per task: the stage, the priority, the memory (both backends
 * persist all of it: the status comment's marker, `.conveyor/state.json`), whether its PR is
 * merged; the runs the memory names (their state as a class: `active` for queued or running,
 * since a backend legitimately cannot say which of the two a fresh run is); the repository
 * memory.
 */
export interface Observed {
  tasks: Record<string, { stage: Stage; priority: Priority; memory: TaskMemory; merged?: boolean }>;
  runs: Record<string, string>;
  repoMemory: RepoMemory;
}

export const runClass = (r: { status: string; conclusion?: string | null } | undefined): string =>
  r === undefined
    ? "unknown"
    : r.status === "completed"
      ? `completed:${r.conclusion ?? "none"}`
      : "active";

/** JSON round trip: what a backend that stores JSON keeps (no undefined fields). */
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** The runs worth comparing: the ones an unfinished task's memory names. */
function namedRuns(board: Board): string[] {
  return board.tasks
    .filter((t) => t.stage !== "done" && t.stage !== "abandoned")
    .flatMap((t) => [
      ...(t.memory.run ? [t.memory.run.correlationId] : []),
      ...(t.memory.cancelling ?? []).map((c) => c.correlationId),
    ]);
}

/** The runs the effects cancel (compared whether or not a memory still names them). */
export const cancelledRuns = (effects: readonly Effect[]): string[] =>
  effects.flatMap((e) => (e.type === "cancel-run" ? [e.correlationId] : []));

/** The compared fields of a board; `merged` says per task whether its PR is merged. */
export function observe(
  board: Board,
  merged: (taskId: string) => boolean | undefined,
  runsOf: Board = board,
  effects: readonly Effect[] = [],
): Observed {
  const tasks: Observed["tasks"] = {};
  for (const t of board.tasks) {
    const m = merged(t.id);
    tasks[t.id] = {
      stage: t.stage,
      priority: t.priority,
      memory: plain(t.memory),
      ...(m !== undefined ? { merged: m } : {}),
    };
  }
  const runs: Record<string, string> = {};
  for (const cid of [...namedRuns(runsOf), ...cancelledRuns(effects)])
    runs[cid] = runClass(board.runs[cid]);
  return { tasks, runs, repoMemory: plain(board.repoMemory) };
}

// --- memory from a spec ----------------------------------------------------------------

const ROLE_OF_STAGE: Partial<Record<Stage, Role>> = {
  "in-progress": "task",
  review: "reviewer",
  testing: "tester",
};

/** The memory a spec stands for, once the task's id, its PR head and the base are known. */
function memoryOf(
  spec: TaskSpec,
  id: string,
  now: Date,
  head: string | undefined,
  base: string,
): TaskMemory {
  const m = emptyMemory();
  const role = ROLE_OF_STAGE[spec.stage];
  if (role) m.attempts[role] = spec.failures;
  const since = new Date(now.getTime() - 240 * 60_000).toISOString();
  m.stageSince = since;
  if (spec.stage !== "todo") m.runs = 1 + spec.failures;
  if (spec.run && role) {
    m.runs += 1;
    m.run = {
      role,
      attempt: spec.failures,
      correlationId: correlationId(id, role, spec.failures, m.runs),
      dispatchedAt: new Date(now.getTime() - spec.run.minutesAgo * 60_000).toISOString(),
      ...(head && role !== "task" ? { headSha: head } : {}),
    };
  }
  if (head && (spec.tested || spec.stage === "testing" || spec.stage === "merge-queue")) {
    m.verdicts.review = { role: "reviewer", value: "approve", sha: head, at: since };
  }
  if (head && spec.tested) {
    m.verdicts.test = {
      role: "tester",
      value: "pass",
      sha: head,
      startSha: head,
      baseSha: base,
      at: since,
    };
  }
  if (spec.escalated) {
    const reason = "the tests failed twice";
    m.lastFailure = reason;
    m.escalation = { reason, at: since, stage: spec.stage };
  }
  return m;
}

/** The files a task's PR changes: its own file unless the spec names them. */
const prFilesOf = (t: TaskSpec, i: number): string[] =>
  t.prFiles && t.prFiles.length > 0 ? t.prFiles : [`src/pr${i + 1}.ts`];

/** The result a finished run with a verdict published. */
function resultOf(
  spec: RunSpec,
  memory: TaskMemory,
  head: string | undefined,
  base: string,
  pr: { number?: number; branch: string },
): AgentResult | undefined {
  const run = memory.run;
  if (!run || (spec !== "good" && spec !== "bad")) return undefined;
  const good = spec === "good";
  const common = { correlationId: run.correlationId, summary: good ? "done" : "not done" };
  switch (run.role) {
    case "task":
      return {
        ...common,
        role: "task",
        outcome: good ? "ok" : "failed",
        ...(head ? { headSha: head } : {}),
        ...(pr.number !== undefined ? { pr: pr.number } : {}),
        branch: pr.branch,
      };
    case "reviewer":
      return {
        ...common,
        role: "reviewer",
        outcome: "ok",
        verdict: good ? "approve" : "request_changes",
        ...(head ? { headSha: head } : {}),
      };
    case "tester":
      return {
        ...common,
        role: "tester",
        outcome: "ok",
        passed: good,
        ...(head ? { headSha: head, startSha: head } : {}),
        baseSha: base,
      };
  }
}

const BODY = (locations: string[]) =>
  `Do it.\n\n## Location\n${locations.map((l) => `- \`${l}\``).join("\n")}\n`;

// --- GitHub ----------------------------------------------------------------------------

export interface GitHubBackend {
  gh: FakeGitHub;
  load(): Promise<Snapshot>;
  execute(snapshot: Snapshot, effects: readonly Effect[]): ReturnType<typeof executeGitHub>;
  /**
   * The board read back. Finished tasks (done, abandoned) are no longer tracked issues, so
   * the loader does not return them: they are read from the issue itself (its labels and
   * state give the stage, its status comment the memory), which is all GitHub keeps.
   */
  observe(expected: Board, effects: readonly Effect[]): Promise<Observed>;
  /** The escalated label is on the task's issue. */
  escalatedLabel(id: string): boolean;
}

export async function seedGitHub(
  spec: BoardSpec,
  config: Config,
  clock: () => Date,
  /** False: dispatches are answered 204 without the run (older servers, GHE). */
  runDetails = true,
): Promise<GitHubBackend> {
  const gh = new FakeGitHub({ now: clock, botLogin: BOT, runDetails });
  const now = clock();
  const base = gh.refs.get("heads/main")!;
  const ids = spec.tasks.map((t, i) =>
    String(
      gh.addIssue({
        title: `Task ${i + 1}`,
        body: BODY(t.locations),
        labels: [
          labelOfStage(config, t.stage)!,
          config.priorities[t.priority],
          ...(t.escalated ? [config.labels.escalated] : []),
        ],
      }),
    ),
  );
  let runId = 90_000;
  spec.tasks.forEach((t, i) => {
    const id = ids[i]!;
    let head: string | undefined;
    let prNumber: number | undefined;
    if (t.prFiles) {
      const pr = gh.openPull({
        branch: `conveyor/${id}-task`,
        files: prFilesOf(t, i),
        body: `Closes #${id}`,
      });
      head = gh.pull(pr).headSha;
      prNumber = pr;
      // An earlier pass queued it: the label is on the PR too.
      if (t.stage === "merge-queue") gh.labelAs(BOT, pr, [config.labels.mergeQueue]);
    }
    const memory = memoryOf(t, id, now, head, base);
    if (memory.run && t.run) {
      const status = t.run.status;
      const ended = status !== "queued" && status !== "in_progress";
      gh.runs.push({
        id: runId++,
        title: `conveyor ${memory.run.correlationId}`,
        status: ended ? "completed" : status,
        conclusion: !ended ? null : status === "good" ? "success" : "failure",
        createdAt: memory.run.dispatchedAt,
        ...(t.run.status !== "queued" ? { startedAt: memory.run.dispatchedAt } : {}),
        url: `https://github.com/o/r/actions/runs/${runId}`,
        inputs: {},
      });
    }
    if (t.stage !== "todo" || t.failures > 0) {
      const body = formatStatusComment({ id, stage: t.stage }, memory);
      gh.addComment(Number(id), body, BOT);
    }
    const result =
      t.run &&
      resultOf(t.run.status, memory, head, base, {
        ...(prNumber !== undefined ? { number: prNumber } : {}),
        branch: `conveyor/${id}-task`,
      });
    if (result) {
      const summary = `${resultHeader(result.role)} ${result.outcome} (run ${result.correlationId})`;
      gh.addComment(Number(id), `${summary}\n\n${encodeMarker("result", result)}`, ACTIONS_BOT);
    }
    if (t.escalated) gh.addComment(Number(id), `${ESCALATION_HEADER}\n\n…`, BOT);
  });
  if (spec.paused) {
    const memory: RepoMemory = { paused: true, pausedReason: "release", dispatches: [] };
    gh.addIssue({
      title: DASHBOARD_TITLE,
      body: upsertMarker("board", `# ${DASHBOARD_TITLE}`, { memory }),
      labels: [config.labels.board],
      author: BOT,
    });
  }
  const load = () =>
    loadSnapshot(gh, config, clock(), { botLogin: BOT, defaultBranch: gh.defaultBranch });
  const stageOf = stageLabels(config);
  return {
    gh,
    load,
    // The executor as a pass calls it, except that it writes the repository memory itself
    // (`deferRepoMemory` off, as for `/conveyor pause`): the pass writes it with the rest of
    // the dashboard after the effects, which is not the executor's.
    execute: (snapshot, effects) =>
      executeGitHub(gh, snapshot, effects, {
        dryRun: false,
        log: () => {},
        config,
        now: clock(),
        knownHeads: new Map(),
      }),
    escalatedLabel: (id) => gh.issue(Number(id)).labels.includes(config.labels.escalated),
    async observe(expected, effects) {
      const board = (await load()).board;
      // A run no memory names any more is not listed by the loader: read it from the list
      // of runs itself, as the loader would map it.
      for (const cid of cancelledRuns(effects)) {
        const run = gh.runByCorrelation(cid);
        if (board.runs[cid] || !run) continue;
        board.runs[cid] = runsByCorrelation([run]).runs[cid]!;
      }
      for (const t of expected.tasks) {
        if (board.tasks.some((x) => x.id === t.id)) continue;
        const issue = gh.issue(Number(t.id));
        const stage = stageFrom(issue.labels, stageOf);
        const status = gh
          .commentsOn(Number(t.id))
          .find((c) => c.author === BOT && c.body.startsWith(`${STATUS_HEADER}\n`));
        const memory = status ? readMarker("state", status.body) : undefined;
        board.tasks.push({
          ...t,
          stage:
            issue.state === "closed" && stage === "done"
              ? "done"
              : stage === undefined
                ? "abandoned"
                : stage,
          priority: (Object.entries(config.priorities).find(([, l]) =>
            issue.labels.includes(l),
          )?.[0] ?? config.priorities.default) as Priority,
          memory: { ...emptyMemory(), ...((memory as TaskMemory | undefined) ?? {}) },
        });
      }
      const mergedOf = (id: string) => {
        const pr = expected.tasks.find((t) => t.id === id)?.pr;
        return pr?.number !== undefined ? gh.pull(pr.number).merged : undefined;
      };
      return observe(board, mergedOf, expected, effects);
    },
  };
}

// --- local -----------------------------------------------------------------------------

/** An agent that only waits to be stopped (its command line names the job, as a real one's). */
const WAITING_AGENT = { command: "sh", args: ["-c", "sleep 300", "agent"] };

export interface LocalBackend {
  dir: string;
  repo: LocalRepo;
  supervisor: Supervisor;
  load(): Promise<LoadedBoard>;
  execute(loaded: LoadedBoard, effects: readonly Effect[]): Promise<PassOutcome>;
  /** The board read back; a finished task's merge is read from git (its branch is gone). */
  observe(
    expected: Board,
    effects: readonly Effect[],
    heads: Map<string, string>,
  ): Promise<Observed>;
  /** Stops the agents and removes the repository. */
  dispose(): Promise<void>;
}

export async function seedLocal(
  spec: BoardSpec,
  config: Config,
  clock: () => Date,
): Promise<LocalBackend> {
  const now = clock();
  const dir = makeRepo({ ".github/conveyor.yml": JSON.stringify(config, null, 2) });
  const repo = await openRepo(dir);
  const supervisor = new Supervisor({ layout: repo.layout, launcher: WAITING_AGENT, env: {} });
  // The runs of the board were started by an earlier `conveyor run`, which is gone: the
  // agents live on by themselves (their own process group), only their records say so.
  const orphans: number[] = [];
  const base = gitSync(dir, "rev-parse", "HEAD");
  const state: LocalState = emptyState();
  const board: Board = {
    repo: dir,
    tasks: [],
    runs: {},
    results: {},
    preflight: [],
    repoMemory: spec.paused
      ? { paused: true, pausedReason: "release", dispatches: [] }
      : { paused: false, dispatches: [] },
  };
  const createdAt = new Date(now.getTime() - 300 * 60_000).toISOString();
  for (const [i, t] of spec.tasks.entries()) {
    const id = `T${i + 1}`;
    let head: string | undefined;
    if (t.prFiles) {
      gitSync(dir, "switch", "-q", "-c", id);
      for (const f of prFilesOf(t, i)) {
        mkdirSync(join(dir, f, ".."), { recursive: true });
        writeFileSync(join(dir, f), `push to ${id}\n`);
      }
      gitSync(dir, "add", "-A");
      gitSync(dir, "commit", "-q", "-m", `push to ${id}`);
      head = gitSync(dir, "rev-parse", "HEAD");
      gitSync(dir, "switch", "-q", repo.base);
    }
    const memory = memoryOf(t, id, now, head, base);
    board.tasks.push({
      id,
      title: `Task ${i + 1}`,
      body: BODY(t.locations),
      priority: t.priority,
      stage: t.stage,
      createdAt,
      locations: t.locations,
      memory,
    });
    state.tasks[id] = {
      title: `Task ${i + 1}`,
      priority: t.priority,
      stage: t.stage,
      createdAt,
      locations: t.locations,
      body: BODY(t.locations),
      memory,
      ...(t.prFiles ? { forkSha: base } : {}),
    };
    if (t.escalated) {
      // An earlier pass wrote the escalation report (the local place of GitHub's label).
      mkdirSync(join(repo.layout.reportsDir, id), { recursive: true });
      writeFileSync(join(repo.layout.reportsDir, id, "escalation.md"), `# ${id} escalated\n`);
    }
    if (memory.run && t.run) {
      const status = t.run.status;
      if (status !== "queued" && status !== "in_progress") {
        const cid = memory.run.correlationId;
        const key = newSealKey();
        writeRunRecord(repo.layout, {
          correlationId: cid,
          task: id,
          role: memory.run.role,
          attempt: memory.run.attempt,
          pid: 1,
          startedAt: memory.run.dispatchedAt,
          status: "exited",
          exitCode: status === "failed" ? 1 : 0,
          endedAt: now.toISOString(),
          sealKeyHash: sealKeyHash(key),
        });
        const result = resultOf(status, memory, head, base, { branch: id });
        if (result) {
          mkdirSync(join(repo.layout.reportsDir, id), { recursive: true });
          writeFileSync(resultFile(repo.layout, id, cid), sealResult(result, key));
          writeFileSync(sealKeyFile(repo.layout, id, cid), key);
        }
      } else {
        const cid = memory.run.correlationId;
        const job = jobFile(repo.layout, cid);
        const pid = Number(
          execFileSync(
            "sh",
            [
              "-c",
              `setsid sh -c 'sleep 300' agent --job "$1" >/dev/null 2>&1 & echo $!`,
              "sh",
              job,
            ],
            { encoding: "utf8" },
          ).trim(),
        );
        orphans.push(pid);
        writeRunRecord(repo.layout, {
          correlationId: cid,
          task: id,
          role: memory.run.role,
          attempt: memory.run.attempt,
          pid,
          startedAt: memory.run.dispatchedAt,
          status: "running",
        });
      }
    }
  }
  state.repoMemory = board.repoMemory;
  const files = renderLocalFiles(board, config.mirror.folder, {});
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  writeState(repo.layout.stateFile, state);
  gitSync(dir, "add", "-A");
  gitSync(dir, "commit", "-q", "-m", "tracking files");
  const load = async () => {
    const loaded = await loadBoard(repo, { now: clock(), preflight: [] });
    if (loaded instanceof Error) throw loaded;
    return loaded;
  };
  return {
    dir,
    repo,
    supervisor,
    load,
    async execute(loaded, effects) {
      const forced = effects.flatMap((e) =>
        e.type === "cancel-run" && e.force ? [e.correlationId] : [],
      );
      const out = await executeLocal(loaded, effects, {
        repo,
        supervisor,
        emit: () => {},
        now: clock(),
      });
      // A force-cancelled agent ends a moment later: wait for it to be gone (bounded).
      const alive = (cid: string) => {
        if (supervisor.running().includes(cid)) return true;
        const pid = readRunRecord(repo.layout, cid)?.pid;
        return pid !== undefined && isRunAlive(pid, cid);
      };
      for (let i = 0; i < 200 && forced.some(alive); i++)
        await new Promise((r) => setTimeout(r, 25));
      return out;
    },
    async observe(expected, effects, heads) {
      const board = (await load()).board;
      const mergedOf = (id: string) => {
        if (!expected.tasks.find((t) => t.id === id)?.pr) return undefined;
        const read = board.tasks.find((t) => t.id === id)?.pr;
        if (read) return read.merged;
        const head = heads.get(id);
        if (!head) return undefined;
        try {
          gitSync(dir, "merge-base", "--is-ancestor", head, repo.base);
          return true;
        } catch {
          return false;
        }
      };
      return observe(board, mergedOf, expected, effects);
    },
    async dispose() {
      await supervisor.stopAll();
      for (const pid of orphans) killGroup(pid, "SIGKILL");
      cleanup(dir);
    },
  };
}

/** Text of a file in the local repository ("" when missing). */
export function localFile(dir: string, path: string): string {
  try {
    return readFileSync(join(dir, path), "utf8");
  } catch {
    return "";
  }
}
