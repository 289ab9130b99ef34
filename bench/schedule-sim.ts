/**
 * A schedule simulator: drives the real `plan` and `applyEffects` (src/core) on a simulated
 * clock, playing the part of the backend and of the agents.
 *
 * - Each task draws its agents' work times and outcomes from its own seeded streams, one per
 *   role, so a task's n-th reviewer run takes as long and says the same whatever the
 *   schedule around it: schedules are compared on the same work.
 * - Dispatched runs start after a start latency and hold their slot until they end; the
 *   result is then published under the run's correlation id, as the backends do.
 * - Merges are serialized: a merge keeps the merge lane busy for `mergeMinutes`, during which
 *   GitHub "computes mergeability" (`mergeable: null`) of every other PR.
 * - The base drifts: each merge is a base commit; a PR's `baseDrift` is the files changed on
 *   the base since the commit its tester merged in (what the loaders compute), and a tester
 *   that merges a moved base in pushes a new head.
 * - A plan runs on every event (a run ends, the merge lane frees), once more right after a
 *   plan with effects (its dispatches come back as events), and on the sweep.
 *
 * The lower bound of a run (issue 14's) is max(total agent work ÷ agents, the longest task's
 * chain plus its merge, total merge time), where a task's work and chain are those it needs
 * alone (the same simulation with one task and no limits): runs that the schedule caused
 * (re-tests after a merge, re-reviews) count against the schedule, not in the bound. It
 * ignores two rules the planner keeps at its defaults; the rule-aware bound adds them (see
 * `inFlightBound` and `locationsBound`, each with its proof).
 *
 * Both proofs use one fact of the simulation, the "first pass": up to the moment a task first
 * enters the merge queue, it makes exactly the runs it makes alone, in the same order. Its
 * transitions until then depend only on its own results (its streams give the k-th run of
 * a role the same duration and outcome whatever the schedule); what other tasks do reaches
 * it only through the base (drift and mergeability, which the planner reads only for a PR in
 * the merge queue; the sim never reports a conflict) and through a tester's merge of a moved
 * base, a push its own pass covers (it started from the reviewed head). A run of a role
 * never outlives the role's timeout here (the work ranges stay below it), so nothing is
 * cancelled. Runs of one task never overlap (one run per task at a time). Runs the schedule
 * causes after the first pass (re-tests after a merge, the re-reviews and task-agent runs
 * they lead to) only come later, so leaving them out keeps the bounds below the makespan.
 * A test (test/bench/schedule-sim.test.ts) checks these premises on the real plan.
 */
import { applyEffects } from "../src/core/apply.js";
import type { AgentResult, Board, Task } from "../src/core/board.js";
import { emptyMemory, emptyRepoMemory } from "../src/core/board.js";
import type { Config, Role } from "../src/core/config.js";
import { normalizedLocations } from "../src/core/locations.js";
import { plan } from "../src/core/plan.js";

/**
 * How tasks share files. `one-file`: every task names its own file, and every PR also
 * changes one common file its Location does not name (an index, a shared test): the task
 * agents run side by side and the PRs meet in the merge queue.
 */
export type Overlap = "disjoint" | "some" | "heavy" | "one-file";

export interface SimOptions {
  tasks: number;
  overlap: Overlap;
  seed: number;
  config: Config;
  /** Work time of one run per role, minutes, drawn uniformly in [min, max]. */
  work?: Record<Role, [number, number]>;
  /** Minutes from dispatch until the agent starts (its slot is held meanwhile). */
  startLatencyMinutes?: number;
  mergeMinutes?: number;
  /** Chance that a review asks for changes, and that a test run fails. */
  pRequestChanges?: number;
  pTestFail?: number;
}

export interface SimResult {
  makespanMin: number;
  /** Issue 14's bound (`value`), and the rule-aware terms (see `inFlightBound`, `locationsBound`). */
  bound: {
    work: number;
    chain: number;
    merge: number;
    value: number;
    inFlight: number;
    locations: number;
    /** max(value, inFlight, locations). */
    rules: number;
  };
  /** makespan ÷ issue 14's bound (the targets are stated on it). */
  ratio: number;
  /** makespan ÷ the rule-aware bound. */
  ruleRatio: number;
  /**
   * The clairvoyant longest-chain-first lane schedule of the same chains under the in-flight
   * cap (`laneSchedule`), minutes, and its ratio to issue 14's bound; `fifoRatio`: the same
   * lanes taking the chains oldest first (the rules' start order), ÷ issue 14's bound.
   */
  lptMin: number;
  lptRatio: number;
  fifoRatio: number;
  /** What the proofs of the bounds assume, as this run saw it (minutes; merged tasks only). */
  trace: {
    /** Each merged task's first pass: left todo, first entered the merge queue; its alone runs. */
    firstPass: { task: string; from: number; to: number; aloneBusy: number }[];
    /** Every task-agent run of a merged task, with the task's locations. */
    taskRuns: { task: string; files: string[]; from: number; to: number }[];
  };
  /** Mean minutes from todo (t = 0) until the merge completed, over merged tasks. */
  meanToMergeMin: number;
  /** Busy agent-minutes ÷ (agents × makespan). */
  utilisation: number;
  merged: number;
  escalated: number;
  /** Escalated after their tests had passed once (the schedule caused it). */
  escalatedAfterPass: number;
  runs: number;
  /** Runs beyond those each task needs alone. */
  extraRuns: number;
  merges: number;
  tasks: number;
  /**
   * Where free agent slots went unused: agent-minutes of free slots while at least one task
   * waited for this reason (a slot idle with two reasons counts under both). `none`: no task
   * waited for anything but running agents or the merge queue (the backlog's tail).
   */
  idleBy: Record<string, number>;
  agents: number;
}

export const DEFAULT_WORK: Record<Role, [number, number]> = {
  task: [3, 12],
  reviewer: [2, 7],
  tester: [3, 10],
};

const T0 = Date.parse("2026-11-25T00:00:00.000Z");
const MIN = 60_000;
const ROLE_INDEX: Record<Role, number> = { task: 0, reviewer: 1, tester: 2 };

/** mulberry32: small, fast, good enough for a simulation. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const mix = (...xs: number[]) =>
  xs.reduce((h, x) => Math.imul(h ^ (x + 0x9e3779b9), 0x85ebca6b) >>> 0, 0x12345678);

/** The files a task touches (its Location section and its PR's changed files). */
export function filesOf(i: number, n: number, overlap: Overlap, seed: number): string[] {
  const r = rng(mix(seed, i, 99));
  switch (overlap) {
    case "disjoint":
      return [`src/t${i}.ts`];
    case "some": {
      const files = [`src/t${i}.ts`];
      if (r() < 0.35) files.push(`src/shared${Math.floor(r() * Math.max(2, n / 6))}.ts`);
      return files;
    }
    case "heavy": {
      const pool = Math.max(2, Math.ceil(n / 10));
      const files = new Set([`src/hot${Math.floor(r() * pool)}.ts`]);
      if (r() < 0.5) files.add(`src/hot${Math.floor(r() * pool)}.ts`);
      return [...files];
    }
    case "one-file":
      return [`src/t${i}.ts`];
  }
}

/** Files a task's PR changes beyond its Location section. */
const hiddenFiles = (overlap: Overlap): string[] => (overlap === "one-file" ? ["src/hot.ts"] : []);

interface Draw {
  minutes: number;
  ok: boolean;
}

/** A task's own streams: the k-th run of a role always draws the same. */
class Script {
  private readonly streams: (() => number)[];
  constructor(
    seed: number,
    index: number,
    private readonly opts: Required<Pick<SimOptions, "work" | "pRequestChanges" | "pTestFail">>,
  ) {
    this.streams = [0, 1, 2].map((r) => rng(mix(seed, index, r)));
  }
  next(role: Role): Draw {
    const r = this.streams[ROLE_INDEX[role]]!;
    const [lo, hi] = this.opts.work[role];
    const minutes = lo + (hi - lo) * r();
    const u = r();
    const ok =
      role === "reviewer"
        ? u >= this.opts.pRequestChanges
        : role === "tester"
          ? u >= this.opts.pTestFail
          : true;
    return { minutes, ok };
  }
}

interface ActiveRun {
  task: string;
  role: Role;
  dispatchAt: number;
  start: number;
  end: number;
  ok: boolean;
  baseAtStart: number;
}

/** One agent run: its slot is held from `dispatchAt` until `end` (start latency included). */
interface RunRecord {
  task: string;
  role: Role;
  dispatchAt: number;
  end: number;
}

interface Outcome {
  runs: number;
  /** Every run that ran to its end (cancelled ones left out), in the order they ended. */
  log: RunRecord[];
  /** When each task left todo, and when it first entered the merge queue (or done). */
  leftTodoAt: Map<string, number>;
  firstQueuedAt: Map<string, number>;
  busyMs: number;
  makespanMs: number;
  mergedAt: Map<string, number>;
  escalatedAt: Map<string, number>;
  escalatedAfterPass: number;
  merges: number;
  idleBy: Record<string, number>;
}

/** Wait codes of tasks that do not want a slot: agents at work, escalated tasks. */
const NOT_WAITING = new Set(["running", "not-started", "escalated"]);

/** Plays the backend and the agents around `plan` until every task is merged or escalated. */
function play(
  tasks: { id: string; files: string[]; changed: string[]; script: Script }[],
  config: Config,
  latencyMs: number,
  mergeMs: number,
): Outcome {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  let board: Board = {
    repo: "sim/repo",
    tasks: tasks.map(
      (t, i): Task => ({
        id: t.id,
        title: `Task ${t.id}`,
        priority: "medium",
        stage: "todo",
        createdAt: new Date(T0 - (tasks.length - i) * 1000).toISOString(),
        locations: t.files,
        memory: emptyMemory(),
      }),
    ),
    runs: {},
    results: {},
    preflight: [],
    repoMemory: emptyRepoMemory(),
  };
  /** Files changed by each base commit, oldest first; index = base commit number. */
  const base: string[][] = [];
  const prBase = new Map<string, number>();
  const active = new Map<string, ActiveRun>();
  const mergedAt = new Map<string, number>();
  const escalatedAt = new Map<string, number>();
  const passed = new Set<string>();
  let escalatedAfterPass = 0;
  let laneFreeAt = 0;
  let runs = 0;
  let busyMs = 0;
  let merges = 0;
  let heads = 0;
  const sweepMs = config.sweepMinutes * MIN;
  let t = 0;
  let again = 0;
  const limitMs = 7 * 24 * 60 * MIN;
  const idleBy: Record<string, number> = {};
  let waiting: readonly { code: string }[] = [];
  const log: RunRecord[] = [];
  const leftTodoAt = new Map<string, number>();
  const firstQueuedAt = new Map<string, number>();

  const baseSha = (n: number) => `base${n}`;
  const load = () => {
    for (const task of board.tasks) {
      const pr = task.pr;
      if (!pr || pr.merged) continue;
      pr.mergeable = t < laneFreeAt ? null : true;
      const tested = task.memory.verdicts.test?.baseSha;
      if (tested === undefined) delete pr.baseDrift;
      else {
        const from = Number(tested.slice(4));
        pr.baseDrift = [...new Set(base.slice(from).flat())];
      }
    }
  };

  for (;;) {
    if (t > limitMs) throw new Error("simulation did not finish within a simulated week");
    load();
    const now = new Date(T0 + t);
    const p = plan(board, config, now);
    board = applyEffects(board, p.effects, now);
    waiting = p.waiting;
    for (const task of board.tasks) {
      if (task.stage !== "todo" && !leftTodoAt.has(task.id)) leftTodoAt.set(task.id, t);
      if ((task.stage === "merge-queue" || task.stage === "done") && !firstQueuedAt.has(task.id))
        firstQueuedAt.set(task.id, t);
    }
    let acted = false;
    for (const e of p.effects) {
      if (e.type === "save-repo-memory") continue;
      acted = true;
      if (e.type === "dispatch") {
        const task = byId.get(e.task)!;
        const draw = task.script.next(e.role);
        const start = t + latencyMs;
        const end = start + draw.minutes * MIN;
        active.set(e.correlationId, {
          task: e.task,
          role: e.role,
          dispatchAt: t,
          start,
          end,
          ok: draw.ok,
          baseAtStart: base.length,
        });
        board.runs[e.correlationId] = {
          correlationId: e.correlationId,
          runId: `run-${runs}`,
          status: "in_progress",
          startedAt: new Date(T0 + start).toISOString(),
        };
        runs++;
        busyMs += end - t;
      } else if (e.type === "cancel-run") {
        const run = active.get(e.correlationId);
        if (run) {
          busyMs -= run.end - t;
          active.delete(e.correlationId);
        }
        const seen = board.runs[e.correlationId];
        if (seen) board.runs[e.correlationId] = { ...seen, status: "completed" };
      } else if (e.type === "merge") {
        base.push([
          ...new Set(
            e.batch.flatMap((b) => board.tasks.find((x) => x.id === b.task)!.pr!.changedFiles),
          ),
        ]);
        merges++;
        laneFreeAt = t + mergeMs;
        for (const b of e.batch) mergedAt.set(b.task, t + mergeMs);
      } else if (e.type === "escalate") {
        escalatedAt.set(e.task, t);
        if (passed.has(e.task)) escalatedAfterPass++;
      }
    }

    const open = board.tasks.some(
      (x) => x.stage !== "done" && x.stage !== "abandoned" && x.memory.escalation === undefined,
    );
    if (!open && active.size === 0) break;

    if (acted && again < 2) {
      again++;
      continue;
    }
    again = 0;
    // Next event: a run ends, the merge lane frees, or the sweep.
    let next = Math.floor(t / sweepMs + 1) * sweepMs;
    for (const r of active.values()) next = Math.min(next, r.end);
    if (laneFreeAt > t) next = Math.min(next, laneFreeAt);
    const free = Math.max(0, config.capacity.agents - active.size);
    if (free > 0 && next > t) {
      const codes = new Set(waiting.map((w) => w.code).filter((c) => !NOT_WAITING.has(c)));
      if (codes.size === 0) codes.add("none");
      for (const c of codes) idleBy[c] = (idleBy[c] ?? 0) + (free * (next - t)) / MIN;
    }
    t = next;
    for (const [cid, r] of [...active]) {
      if (r.end > t) continue;
      active.delete(cid);
      log.push({ task: r.task, role: r.role, dispatchAt: r.dispatchAt, end: r.end });
      const task = board.tasks.find((x) => x.id === r.task)!;
      const result: AgentResult = {
        correlationId: cid,
        role: r.role,
        outcome: "ok",
        summary: `${r.role} run of ${r.task}`,
        finishedAt: new Date(T0 + r.end).toISOString(),
      };
      if (r.role === "task") {
        const sha = `sha${++heads}`;
        if (!task.pr) {
          prBase.set(task.id, r.baseAtStart);
          task.pr = {
            number: 1000 + Number(task.id.replace(/\D/g, "")),
            headSha: sha,
            branch: `conveyor/${task.id}`,
            changedFiles: [...byId.get(task.id)!.changed, "CHANGELOG.md"],
            merged: false,
            mergeable: true,
          };
        } else task.pr.headSha = sha;
        result.pr = task.pr.number;
        result.branch = task.pr.branch;
        result.headSha = sha;
      } else if (r.role === "reviewer") {
        result.verdict = r.ok ? "approve" : "request_changes";
        if (task.pr) result.headSha = task.pr.headSha;
      } else {
        // The tester merges the base in first: a moved base is a new head.
        if (task.pr) {
          if (r.baseAtStart > (prBase.get(task.id) ?? 0)) {
            task.pr.headSha = `sha${++heads}`;
            prBase.set(task.id, r.baseAtStart);
          }
          result.headSha = task.pr.headSha;
        }
        result.passed = r.ok;
        result.baseSha = baseSha(r.baseAtStart);
        if (r.ok) passed.add(task.id);
      }
      board.results[cid] = result;
      board.runs[cid] = {
        ...board.runs[cid]!,
        status: "completed",
        conclusion: "success",
      };
    }
  }
  const ends = [...mergedAt.values(), ...escalatedAt.values(), t];
  return {
    runs,
    log,
    leftTodoAt,
    firstQueuedAt,
    busyMs,
    makespanMs: Math.max(...ends),
    mergedAt,
    escalatedAt,
    escalatedAfterPass,
    merges,
    idleBy,
  };
}

/**
 * A lower bound on the makespan of any schedule of jobs `lengths` on `lanes` identical lanes
 * (P||Cmax): max(Σ ÷ lanes, and for every k ≥ 0 with k·lanes + 1 jobs, the sum of the k + 1
 * shortest of the k·lanes + 1 longest jobs). Σ ÷ lanes: some lane carries at least the mean.
 * The k-term: k·lanes + 1 jobs on `lanes` lanes put k + 1 of them on one lane (pigeonhole),
 * which then runs at least the k + 1 shortest of them one after another. k = 0 is the longest
 * job; k = 1 is p_c + p_{c+1} (lengths sorted longest first, c lanes).
 */
export function laneBound(lengths: readonly number[], lanes: number): number {
  if (lengths.length === 0) return 0;
  const p = [...lengths].sort((a, b) => b - a);
  let best = p.reduce((a, b) => a + b, 0) / lanes;
  for (let k = 0; k * lanes + 1 <= p.length; k++) {
    let sum = 0;
    for (let j = k * lanes - k; j <= k * lanes; j++) sum += p[j]!;
    best = Math.max(best, sum);
  }
  return best;
}

/**
 * The in-flight bound: `laneBound(first-pass lengths, capacity.inFlight)` + one merge, over the
 * tasks that merged, where a task's first-pass length is its agent time alone (`busy`: its
 * runs one after another, start latency included).
 *
 * Why any schedule that keeps the in-flight cap c needs at least this. Take each merged task's
 * first pass: the interval from leaving todo to first entering the merge queue. In between the
 * task is in in-progress, review or testing and not escalated (in the sim an escalation is
 * final, and a merged task was never escalated), so it counts toward the cap; the planner
 * moves a task out of todo only while fewer than c such tasks are counted. So at the start of
 * any first pass fewer than c others contain that instant, and since the most intervals of a
 * family that share a point are found at some interval's start (Helly's property on a line:
 * pairwise overlapping intervals all share the latest start among them), no instant lies in
 * more than c first passes. Interval graphs are perfect: a family whose cliques have at most
 * c members is c-colourable, i.e. the first passes fit on c lanes without overlap. Each first
 * pass holds its runs, which are those it needs alone (see the header), so it lasts at least
 * `busy`. The first passes thus are a schedule of jobs at least `busy` long on c lanes from
 * t = 0, and the last one ends no earlier than `laneBound`; that task then still needs its
 * merge (the merge starts at or after it enters the queue). For example, with c = 6 the
 * seven longest first passes cannot all overlap, so two of them run one after the other.
 */
export function inFlightBound(busy: readonly number[], inFlight: number, merge: number): number {
  return busy.length === 0 ? 0 : laneBound(busy, inFlight) + merge;
}

/**
 * The locations bound: max over files f of Σ (task-agent time alone of the merged tasks
 * naming f) + min over those tasks of what follows their last task-agent run alone (reviews,
 * tests, the merge).
 *
 * Why any schedule that keeps `guards.exclusiveLocations` needs at least this. The planner
 * dispatches a task agent only if no other task's task agent holds an overlapping location:
 * a task agent holds its task's locations from its dispatch until its result is folded in
 * (`holders` in plan.ts, built after the results are read, and extended by each dispatch of
 * the same plan). Tasks naming the same path always overlap, so the task-agent runs of the
 * tasks naming f never overlap in time, whichever of their runs they are. (A cancelled run
 * would stop holding its files before it ends; none is cancelled here, see the header.) The
 * first-pass task-agent runs of those tasks, which are their alone ones, thus lie one after
 * another from t = 0: the last of them ends at or after their sum. The task it belongs to
 * then still makes the rest of its first pass (the runs that follow its last task-agent run
 * alone) and its merge. `halfDone` (a new task also waits while a task in in-progress holds
 * its files) only delays starts further, so the bound holds without it.
 */
export function locationsBound(
  tasks: readonly { files: readonly string[]; taskWork: number; rest: number }[],
): number {
  const byFile = new Map<string, { sum: number; rest: number }>();
  for (const t of tasks)
    for (const f of new Set(normalizedLocations(t.files))) {
      const g = byFile.get(f) ?? { sum: 0, rest: Number.POSITIVE_INFINITY };
      g.sum += t.taskWork;
      g.rest = Math.min(g.rest, t.rest);
      byFile.set(f, g);
    }
  let best = 0;
  for (const g of byFile.values()) best = Math.max(best, g.sum + g.rest);
  return best;
}

/**
 * A reference, not a bound: a lane schedule under the in-flight cap. `lanes` lanes each take
 * the next chain (its agent time alone) when free, in the order given or longest first (LPT,
 * clairvoyant); a chain that ends with a merge then joins one merge lane (first come, first
 * merged, `merge` each). It ignores locations and needs no more agents than lanes. In the
 * order given (age), it is what the rules' own start order reaches when only the cap binds:
 * while in-flight slots are short, todo tasks start oldest first. Returns its makespan.
 */
export function laneSchedule(
  chains: readonly { busy: number; merges: boolean }[],
  lanes: number,
  merge: number,
  longestFirst: boolean,
): number {
  const order = longestFirst ? [...chains].sort((a, b) => b.busy - a.busy) : chains;
  const free = Array.from({ length: Math.min(lanes, order.length) }, () => 0);
  const ends: { at: number; merges: boolean }[] = [];
  for (const c of order) {
    let k = 0;
    for (let i = 1; i < free.length; i++) if (free[i]! < free[k]!) k = i;
    free[k] = free[k]! + c.busy;
    ends.push({ at: free[k]!, merges: c.merges });
  }
  ends.sort((a, b) => a.at - b.at);
  let lane = 0;
  let makespan = 0;
  for (const e of ends) {
    if (e.merges) {
      lane = Math.max(lane, e.at) + merge;
      makespan = Math.max(makespan, lane);
    } else makespan = Math.max(makespan, e.at);
  }
  return makespan;
}

/** One simulated run of a backlog: the schedule's figures and its lower bound. */
export function simulate(options: SimOptions): SimResult {
  const opts = {
    work: options.work ?? DEFAULT_WORK,
    pRequestChanges: options.pRequestChanges ?? 0.2,
    pTestFail: options.pTestFail ?? 0.15,
  };
  const latencyMs = (options.startLatencyMinutes ?? 0.5) * MIN;
  const mergeMs = (options.mergeMinutes ?? 1) * MIN;
  const specs = Array.from({ length: options.tasks }, (_, i) => ({
    id: `T${i + 1}`,
    files: filesOf(i, options.tasks, options.overlap, options.seed),
    index: i,
  }));
  const make = () =>
    specs.map((s) => ({
      id: s.id,
      files: s.files,
      changed: [...s.files, ...hiddenFiles(options.overlap)],
      script: new Script(options.seed, s.index, opts),
    }));

  // Each task alone, without limits: the work and the chain it needs whatever the schedule.
  const alone: Config = {
    ...options.config,
    capacity: { agents: 100, inFlight: 100 },
    guards: { ...options.config.guards, maxDispatchesPerHour: 10_000 },
  };
  let work = 0;
  let inherentRuns = 0;
  const chain = new Map<
    string,
    { ms: number; merged: boolean; busy: number; taskWork: number; rest: number }
  >();
  const mergesOnFile = new Map<string, number>();
  for (const s of make()) {
    const o = play([s], alone, latencyMs, mergeMs);
    work += o.busyMs;
    inherentRuns += o.runs;
    // The agent time of its task-agent runs, and of the runs after the last of them plus
    // its merge (sums of run lengths, not clock time: no wait between runs is assumed).
    const length = (r: RunRecord) => r.end - r.dispatchAt;
    const lastTask = o.log.findLastIndex((r) => r.role === "task");
    const merged = o.mergedAt.has(s.id);
    chain.set(s.id, {
      ms: o.makespanMs,
      merged,
      busy: o.busyMs,
      taskWork: o.log.filter((r) => r.role === "task").reduce((n, r) => n + length(r), 0),
      rest: o.log.slice(lastTask + 1).reduce((n, r) => n + length(r), merged ? mergeMs : 0),
    });
  }

  const o = play(make(), options.config, latencyMs, mergeMs);
  let chainBound = 0;
  for (const [id, c] of chain) {
    // A task that merged here did all it does alone, and so did one that escalates even
    // alone; one that merges alone but was escalated here bounds nothing.
    if (o.mergedAt.has(id) || !c.merged) chainBound = Math.max(chainBound, c.ms);
  }
  for (const s of specs) {
    if (!o.mergedAt.has(s.id)) continue;
    for (const f of [...s.files, ...hiddenFiles(options.overlap)])
      mergesOnFile.set(f, (mergesOnFile.get(f) ?? 0) + 1);
  }
  const merged = o.mergedAt.size;
  const minMerges = Math.max(
    options.config.merge.batchDisjoint ? Math.ceil(merged / options.config.merge.maxBatch) : merged,
    ...mergesOnFile.values(),
  );
  const bound = {
    work: work / options.config.capacity.agents / MIN,
    chain: chainBound / MIN,
    merge: (minMerges * mergeMs) / MIN,
    value: 0,
  };
  bound.value = Math.max(bound.work, bound.chain, bound.merge);
  // The rule-aware terms, over the tasks that merged here (each merged alone too: their first
  // pass is their alone play).
  const mergedSpecs = specs.filter((x) => o.mergedAt.has(x.id) && chain.get(x.id)!.merged);
  const inFlight = inFlightBound(
    mergedSpecs.map((x) => chain.get(x.id)!.busy),
    options.config.capacity.inFlight,
    mergeMs,
  );
  const locations = options.config.guards.exclusiveLocations
    ? locationsBound(mergedSpecs.map((x) => ({ files: x.files, ...chain.get(x.id)! })))
    : 0;
  const rules = Math.max(bound.value, inFlight / MIN, locations / MIN);
  const chains = specs.map((x) => ({
    busy: chain.get(x.id)!.busy,
    merges: chain.get(x.id)!.merged,
  }));
  const lanes = (longestFirst: boolean) =>
    laneSchedule(chains, options.config.capacity.inFlight, mergeMs, longestFirst) / MIN;
  const lpt = lanes(true);
  const fifo = lanes(false);
  const makespanMin = o.makespanMs / MIN;
  const toMerge = [...o.mergedAt.values()];
  const mergedIds = new Set(mergedSpecs.map((x) => x.id));
  const filesById = new Map(specs.map((x) => [x.id, x.files]));
  return {
    makespanMin,
    bound: { ...bound, inFlight: inFlight / MIN, locations: locations / MIN, rules },
    ratio: makespanMin / bound.value,
    ruleRatio: makespanMin / rules,
    lptMin: lpt,
    lptRatio: lpt / bound.value,
    fifoRatio: fifo / bound.value,
    trace: {
      firstPass: mergedSpecs.map((x) => ({
        task: x.id,
        from: o.leftTodoAt.get(x.id)! / MIN,
        to: o.firstQueuedAt.get(x.id)! / MIN,
        aloneBusy: chain.get(x.id)!.busy / MIN,
      })),
      taskRuns: o.log
        .filter((r) => r.role === "task" && mergedIds.has(r.task))
        .map((r) => ({
          task: r.task,
          files: filesById.get(r.task)!,
          from: r.dispatchAt / MIN,
          to: r.end / MIN,
        })),
    },
    meanToMergeMin: toMerge.reduce((a, b) => a + b, 0) / Math.max(1, toMerge.length) / MIN,
    utilisation: o.busyMs / (options.config.capacity.agents * o.makespanMs),
    merged,
    escalated: o.escalatedAt.size,
    escalatedAfterPass: o.escalatedAfterPass,
    runs: o.runs,
    extraRuns: o.runs - inherentRuns,
    merges: o.merges,
    tasks: options.tasks,
    idleBy: o.idleBy,
    agents: options.config.capacity.agents,
  };
}

/**
 * The workflow's naive batch schedule on the same work: six (or `agents`) tasks at a time,
 * all task agents, then all their reviews, then all their tests, each round waiting for its
 * slowest run, then the batch's merges one by one. Each task follows the path it takes
 * alone (a review asking for changes sends it back to a task agent in the next round, a
 * failed test back to review). Drift re-tests inside a batch are not charged: the figure
 * flatters the naive schedule.
 */
export function naiveBatch(options: SimOptions, agents = 6): SimResult {
  const opts = {
    work: options.work ?? DEFAULT_WORK,
    pRequestChanges: options.pRequestChanges ?? 0.2,
    pTestFail: options.pTestFail ?? 0.15,
  };
  const latency = options.startLatencyMinutes ?? 0.5;
  const merge = options.mergeMinutes ?? 1;
  const retries = options.config.retries;
  const maxRuns = options.config.guards.maxRunsPerTask;
  let clock = 0;
  let busy = 0;
  let runs = 0;
  let merged = 0;
  let escalated = 0;
  const toMerge: number[] = [];
  for (let first = 0; first < options.tasks; first += agents) {
    const batch = Array.from({ length: Math.min(agents, options.tasks - first) }, (_, k) => ({
      script: new Script(options.seed, first + k, opts),
      next: "task" as Role | "merge" | "escalated",
      runs: 0,
      fails: { task: 0, reviewer: 0, tester: 0 } as Record<Role, number>,
    }));
    for (;;) {
      const live = batch.filter((b) => b.next !== "merge" && b.next !== "escalated");
      if (live.length === 0) break;
      // The round runs the earliest stage any live task needs, for every task at that stage.
      const order: Role[] = ["task", "reviewer", "tester"];
      const role = order.find((r) => live.some((b) => b.next === r))!;
      let longest = 0;
      for (const b of live.filter((x) => x.next === role)) {
        if (b.runs >= maxRuns) {
          b.next = "escalated";
          continue;
        }
        const d = b.script.next(role);
        b.runs++;
        runs++;
        busy += d.minutes + latency;
        longest = Math.max(longest, d.minutes + latency);
        if (role === "task") b.next = "reviewer";
        else if (d.ok) b.next = role === "reviewer" ? "tester" : "merge";
        else {
          b.fails[role]++;
          if (role === "tester" && b.fails.tester > retries) b.next = "escalated";
          else b.next = role === "reviewer" ? "task" : "reviewer";
        }
      }
      clock += longest;
    }
    for (const b of batch) {
      if (b.next === "escalated") {
        escalated++;
        continue;
      }
      clock += merge;
      merged++;
      toMerge.push(clock);
    }
  }
  return {
    makespanMin: clock,
    bound: { work: 0, chain: 0, merge: 0, value: 0, inFlight: 0, locations: 0, rules: 0 },
    ratio: Number.NaN,
    ruleRatio: Number.NaN,
    lptMin: Number.NaN,
    lptRatio: Number.NaN,
    fifoRatio: Number.NaN,
    trace: { firstPass: [], taskRuns: [] },
    meanToMergeMin: toMerge.reduce((a, b) => a + b, 0) / Math.max(1, toMerge.length),
    utilisation: busy / (agents * clock),
    merged,
    escalated,
    escalatedAfterPass: 0,
    runs,
    extraRuns: 0,
    merges: merged,
    tasks: options.tasks,
    idleBy: {},
    agents,
  };
}
