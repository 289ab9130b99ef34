import { applyEffects } from "../../core/apply.js";
import { type Board, IN_FLIGHT_STAGES, type PreflightResult } from "../../core/board.js";
import type { Effect, Plan } from "../../core/effects.js";
import { type PassRead, type PassRun, runPass } from "../../core/pass.js";
import type { PassFacts } from "../../core/pass-plan.js";
import { resumeEffects } from "../agents/resume-runs.js";
import type { Supervisor } from "../agents/supervisor.js";
import { type BoardProblem, type LoadedBoard, loadBoard } from "../board/load-board.js";
import { clearStaleIndexLock } from "../git/git.js";
import { recoverMerge } from "../git/merge-batch.js";
import { mergeJournalPath } from "../git/merge-log.js";
import type { LocalRepo } from "../repo/local-repo.js";
import { runPreflight } from "../repo/preflight.js";
import { executeEffects, type PassOutcome } from "./execute-effects.js";
import type { EventSink } from "./local-events.js";
import type { Waker } from "./waker.js";

export interface RunLoopOptions {
  repo: LocalRepo;
  supervisor: Supervisor;
  waker: Waker;
  emit: EventSink;
  /** Called after every pass with the board as it now stands. */
  onPass?: (snapshot: PassSnapshot) => void;
  /** Stop when nothing runs and nothing is left to do (the demo, CI). */
  untilIdle: boolean;
  /** Pause between passes; an agent exit cuts it short. */
  intervalMs: number;
  signal?: AbortSignal;
  now?: () => Date;
  preflight?: (repo: LocalRepo) => Promise<PreflightResult[]>;
}

export interface PassSnapshot {
  board: Board;
  plan: Plan;
  problems: BoardProblem[];
  running: string[];
}

export interface LoopResult {
  reason: "idle" | "aborted" | "error";
  passes: number;
  last?: PassSnapshot;
  /** Why the loop stopped on an error, or the failed pre-flight checks when idle. */
  message?: string;
  /**
   * Set when `--until-idle` stopped with work left that nothing can move: which it is (the
   * dispatch limit, pre-flight, escalated tasks waiting for a maintainer) and the tasks.
   */
  blocked?: string;
}

/**
 * The local reconcile loop: load the board from the repository, plan, execute, repeat —
 * after a short interval, or at once when an agent exits. The decisions are the core's.
 */
export async function runLoop(o: RunLoopOptions): Promise<LoopResult> {
  const clock = o.now ?? (() => new Date());
  const checks =
    o.preflight ?? ((repo: LocalRepo) => runPreflight(repo.root, repo.config, repo.trackingPaths));
  const reported = new Set<string>();
  // The same failure every pass (a worktree in the way, say) is said once, until it changes.
  let errorsBefore = new Set<string>();
  let errorsNow = new Set<string>();
  const emit: EventSink = (e) => {
    if (e.kind === "error") {
      errorsNow.add(e.text);
      if (errorsBefore.has(e.text)) return;
    }
    o.emit(e);
  };
  const waiting = new Map<string, string>();
  /** The pre-flight results last checked (shown until checked again). */
  let lastPreflight: PreflightResult[] = [];
  let passes = 0;
  let last: PassSnapshot | undefined;

  while (!o.signal?.aborted) {
    passes++;
    errorsBefore = errorsNow;
    errorsNow = new Set<string>();
    const now = clock();
    let step: Step;
    try {
      step = await onePass(now);
    } catch (e: unknown) {
      // A write that failed (a full disk, say): stop cleanly, in one line. The agents in
      // flight are stopped as by Ctrl-C: their attempt is not counted, the next run starts it.
      await stopAgents();
      return { reason: "error", passes, ...(last ? { last } : {}), message: fatalMessage(e) };
    }
    if (step.stop) return step.stop;
    await o.waker.sleep(o.intervalMs, o.signal);
  }
  await o.supervisor.stopAll();
  return { reason: "aborted", passes, ...(last ? { last } : {}) };

  async function stopAgents(): Promise<void> {
    try {
      await o.supervisor.stopAll();
    } catch {
      // the agents were signalled; a record that could not be written is read as a crash
    }
  }

  async function onePass(now: Date): Promise<Step> {
    const repaired = await repairRepo(o.repo, o.emit);
    if (repaired !== undefined) {
      emit({ kind: "error", text: repaired });
      return {};
    }
    let run: PassRun<LocalRead, PassOutcome>;
    try {
      // The shared pass body: read, plan, pre-flight only when the plan dispatches, execute.
      run = await runPass<LocalRead, PassOutcome>(
        {
          read: () => readLocal(now),
          preflight: () => checks(o.repo),
          execute: (state, decided) =>
            executeEffects(state.loaded, decided.effects, ctx(o, emit, now)),
        },
        now,
      );
    } catch (e: unknown) {
      if (e instanceof PassStop) return { stop: e.result };
      throw e;
    }
    const { loaded, resumed, hold } = run.state;
    const planned = run.decided.plan;
    const outcome = run.result;
    if (run.preflight) lastPreflight = run.preflight;
    const preflight = run.preflight ?? [];
    if (hold)
      for (const w of planned.waiting) if (w.code === "mergeability-unknown") w.text = hold.reason;
    if (outcome.fatal !== undefined) return { stop: await fatal(outcome.fatal) };
    // Said once per change. A queue position planned before this pass's merge is already
    // out of date once it merged: the next pass says the new one.
    const stillWaiting = new Set(planned.waiting.map((w) => w.task));
    for (const task of [...waiting.keys()]) if (!stillWaiting.has(task)) waiting.delete(task);
    for (const w of planned.waiting) {
      // Said once per change; a running agent's minutes tick on without a new line.
      const key = w.code === "running" ? w.code : w.text;
      if (waiting.get(w.task) === key) continue;
      if (outcome.merged.length > 0 && w.code === "merge-queue") continue;
      waiting.set(w.task, key);
      o.emit({ kind: "info", task: w.task, text: `${w.task}: waiting — ${w.text}` });
    }
    // Pre-flight as last checked (a pass that dispatches nothing does not check it).
    const shown = { ...loaded.board, preflight: lastPreflight };
    const board = outcome.stopped ? shown : applyEffects(shown, run.decided.effects, now);
    last = {
      board,
      // The queue as it stands after this pass's merge (the plan's was before it).
      plan:
        outcome.merged.length > 0
          ? {
              ...planned,
              mergeQueue: planned.mergeQueue.filter((t) => !outcome.merged.includes(t)),
            }
          : planned,
      problems: loaded.problems,
      running: o.supervisor.running(),
    };
    o.onPass?.(last);
    const busy =
      run.decided.effects.length > 0 ||
      resumed.length > 0 ||
      loaded.assigned.length > 0 ||
      hold !== undefined ||
      o.supervisor.running().length > 0 ||
      board.tasks.some((t) => t.memory.run !== undefined);
    if (o.untilIdle && !busy && !outcome.stopped) {
      const failed = preflight.filter((p) => !p.ok);
      const todo = board.tasks.some((t) => t.stage === "todo" && !t.memory.escalation);
      const blocked = blockedBy(
        board,
        planned,
        failed.length > 0 ? preflightText(failed) : undefined,
      );
      return {
        stop: {
          reason: "idle",
          passes,
          last,
          ...(failed.length > 0 && todo ? { message: preflightText(failed) } : {}),
          ...(blocked ? { blocked } : {}),
        },
      };
    }
    return {};
  }

  /**
   * The local read step: the board from the repository, its problems said once; runs a
   * crash left behind are resumed first (then the board is read again); the batch window
   * holds what waits for the merge. A reason to stop the loop is thrown as a `PassStop`.
   */
  async function readLocal(now: Date): Promise<LocalRead> {
    const read = async (): Promise<LoadedBoard> => {
      const loaded = await loadBoard(o.repo, { now, preflight: [] });
      if (loaded instanceof Error)
        throw new PassStop({ reason: "error", passes, message: loaded.message });
      return loaded;
    };
    let loaded = await read();
    for (const p of loaded.problems) {
      const key = `${p.file}:${p.line}:${p.text}:${p.message}`;
      if (reported.has(key)) continue;
      reported.add(key);
      o.emit({ kind: "problem", text: `${p.file}:${p.line}: ${p.message}: ${p.text}` });
    }
    const resumed = resumeEffects(loaded.board, o.repo.config);
    if (resumed.length > 0) {
      const first = await executeEffects(loaded, resumed, ctx(o, emit, now));
      if (first.fatal !== undefined) throw new PassStop(await fatal(first.fatal));
      loaded = await read();
    }
    const hold = holdForBatch(loaded.board, o.repo.config.merge.batchWindowSeconds, now);
    const board = hold?.board ?? loaded.board;
    return {
      loaded,
      resumed,
      ...(hold ? { hold } : {}),
      board,
      config: o.repo.config,
      facts: localFacts(board),
    };
  }

  async function fatal(message: string): Promise<LoopResult> {
    await stopAgents();
    return { reason: "error", passes, ...(last ? { last } : {}), message: fatalMessage(message) };
  }
}

/**
 * What a kill may have left in the repository, put right before anything is read: a merge
 * that was under way is finished or undone (main before or after it, never half-merged),
 * and a stale `.git/index.lock` is removed. Returns why it could not, to try again next pass.
 */
export async function repairRepo(repo: LocalRepo, say: EventSink): Promise<string | undefined> {
  const worktrees = [repo.layout.worktreesDir];
  const journal = await recoverMerge(
    repo.root,
    mergeJournalPath(repo.layout),
    repo.gitEnv,
    worktrees,
  );
  if (journal.action === "failed") return `${journal.task}: ${journal.reason}`;
  if (journal.action === "finished")
    say({
      kind: "info",
      task: journal.task,
      text: `${journal.task}: the merge a crash interrupted had committed; it stands`,
    });
  if (journal.action === "undone")
    say({
      kind: "info",
      task: journal.task,
      text: `${journal.task}: the merge a crash interrupted was undone (${repo.base} is back where it was)${journal.kept.length > 0 ? `; edited since, left as they are: ${journal.kept.join(", ")}` : ""}`,
    });
  const lock = await clearStaleIndexLock(repo.root, worktrees);
  if (lock === "removed")
    say({ kind: "info", text: "removed a stale .git/index.lock (no git process held it)" });
  return undefined;
}

/** What the local read step hands the shared pass body. */
interface LocalRead extends PassRead {
  loaded: LoadedBoard;
  /** Effects that resumed what a crash left behind, applied before the pass planned. */
  resumed: Effect[];
  /** The batch window's hold (the board planned on reads the held PRs as not known yet). */
  hold?: { board: Board; reason: string };
}

/** Thrown by the read step to end the loop with this result. */
class PassStop extends Error {
  constructor(readonly result: LoopResult) {
    super(result.message ?? result.reason);
  }
}

/**
 * The facts of a local pass besides the board: no issue can be closed by hand, the tracking
 * files show every escalation the memory records (no label to repair), the tracking files
 * are the board (no mirror), and there is no dashboard or permission to check.
 */
function localFacts(board: Board): PassFacts {
  return {
    closedByPerson: new Set(),
    escalatedShown: new Set(board.tasks.filter((t) => t.memory.escalation).map((t) => t.id)),
  };
}

/** What one pass of the loop decided: go on (no `stop`), or the loop's result. */
interface Step {
  stop?: LoopResult;
}

const preflightText = (failed: PreflightResult[]) =>
  `pre-flight failed: ${failed.map((f) => `${f.name}: ${f.detail}`).join("; ")}`;

/** A full disk, in one line, whatever layer noticed it (a write of ours, or git's). */
function fatalMessage(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOSPC" || /ENOSPC|No space left on device/i.test(text)) {
    const path = (e as NodeJS.ErrnoException | undefined)?.path;
    return `the disk is full (ENOSPC${path ? ` writing ${path}` : ""}): stopped; agents in flight were stopped and will start again — free some space, then run \`conveyor run\` again`;
  }
  return text.split("\n")[0] ?? text;
}

/**
 * Work is left but nothing can move: says why, by what holds the open tasks (escalations,
 * pre-flight, the dispatch limit, anything else the planner waits on).
 */
function blockedBy(board: Board, planned: Plan, preflight: string | undefined): string | undefined {
  const open = board.tasks.filter((t) => t.stage !== "done" && t.stage !== "abandoned");
  if (open.length === 0) return undefined;
  const parts: string[] = [];
  const escalated = open.filter((t) => t.memory.escalation);
  const rest = open.filter((t) => !t.memory.escalation);
  const limit = planned.waiting.find((w) => w.code === "dispatch-limit");
  if (limit) parts.push(limit.text);
  if (preflight && rest.some((t) => t.stage === "todo")) parts.push(preflight);
  if (escalated.length > 0)
    parts.push(
      `${escalated.length === open.length ? "only escalated tasks are left" : "escalated"}: ${escalated
        .map((t) => `${t.id} (${t.memory.escalation?.reason})`)
        .join(
          ", ",
        )} — waiting for a maintainer: fix it on the branch or re-scope it, then \`conveyor retry <task>\`; \`conveyor deprioritize <task>\`; or \`conveyor abandon <task>\` (\`conveyor status\` lists them per task)`,
    );
  if (parts.length === 0) {
    const why = planned.waiting.filter((w) => rest.some((t) => t.id === w.task));
    parts.push(
      why.length > 0
        ? `waiting: ${why.map((w) => `${w.task}: ${w.text}`).join("; ")}`
        : `${rest.map((t) => t.id).join(", ")} cannot move`,
    );
  }
  return parts.join("; ");
}

/**
 * The batch window (`merge.batchWindowSeconds`): a task that reached the merge queue waits
 * up to that long (from when it entered the queue) while other tasks are still in flight,
 * so that tasks finishing close together merge as one batch of disjoint changes. The hold
 * reads as "mergeable not known yet" to the planner; it ends early once nothing is in flight.
 */
export function holdForBatch(
  board: Board,
  windowSeconds: number,
  now: Date,
): { board: Board; reason: string } | undefined {
  if (windowSeconds <= 0) return undefined;
  // Still at work (an agent to run or running): the tasks the queue waits for. A tested task
  // whose verdict is in reaches the queue in this very pass: it is not waited for, it waits.
  const working = (t: Board["tasks"][number]) => {
    if (!IN_FLIGHT_STAGES.includes(t.stage) || t.memory.escalation !== undefined) return false;
    if (t.stage !== "testing") return true;
    const run = t.memory.run;
    return run !== undefined && board.results[run.correlationId] === undefined;
  };
  const inFlight = board.tasks.filter(working);
  if (inFlight.length === 0) return undefined;
  const held = (t: Board["tasks"][number]) => {
    if (!t.pr || t.pr.merged || t.pr.mergeable !== true || working(t)) return false;
    if (t.stage === "testing") return true;
    if (t.stage !== "merge-queue") return false;
    const since = Date.parse(t.memory.stageSince ?? "");
    return Number.isFinite(since) && now.getTime() - since < windowSeconds * 1000;
  };
  if (!board.tasks.some(held)) return undefined;
  return {
    board: {
      ...board,
      tasks: board.tasks.map((t) => (held(t) ? { ...t, pr: { ...t.pr!, mergeable: null } } : t)),
    },
    reason: `batch window: waiting up to ${windowSeconds} s for ${inFlight.map((t) => t.id).join(", ")} to join the merge`,
  };
}

const ctx = (o: RunLoopOptions, emit: EventSink, now: Date) => ({
  repo: o.repo,
  supervisor: o.supervisor,
  emit,
  now,
});
