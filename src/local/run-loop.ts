import { applyEffects } from "../core/apply.js";
import { type Board, IN_FLIGHT_STAGES, type PreflightResult } from "../core/board.js";
import type { Plan } from "../core/effects.js";
import { plan } from "../core/plan.js";
import { executeEffects } from "./execute-effects.js";
import { type BoardProblem, type LoadedBoard, loadBoard } from "./load-board.js";
import type { EventSink } from "./local-events.js";
import type { LocalRepo } from "./local-repo.js";
import { runPreflight } from "./preflight.js";
import { resumeEffects } from "./resume-runs.js";
import type { Supervisor } from "./supervisor.js";
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
  /**
   * Batch window (the demo's): queued tasks wait to merge (their merge state reads "not
   * known yet") until every task in flight has reached the merge queue or was escalated;
   * then the queue merges in the core's batches. Makes the demo's batches deterministic.
   */
  holdMergesUntilQueued?: boolean;
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
  let passes = 0;
  let last: PassSnapshot | undefined;

  while (!o.signal?.aborted) {
    passes++;
    errorsBefore = errorsNow;
    errorsNow = new Set<string>();
    const now = clock();
    const preflight = await checks(o.repo);
    let loaded = await loadBoard(o.repo, { now, preflight });
    if (loaded instanceof Error) return { reason: "error", passes, message: loaded.message };
    for (const p of loaded.problems) {
      const key = `${p.file}:${p.line}:${p.text}:${p.message}`;
      if (reported.has(key)) continue;
      reported.add(key);
      o.emit({ kind: "problem", text: `${p.file}:${p.line}: ${p.message}: ${p.text}` });
    }
    const resumed = resumeEffects(loaded.board, o.repo.config);
    if (resumed.length > 0) {
      await executeEffects(loaded, resumed, ctx(o, emit, now));
      const again: LoadedBoard | Error = await loadBoard(o.repo, { now, preflight });
      if (again instanceof Error) return { reason: "error", passes, message: again.message };
      loaded = again;
    }
    const held = o.holdMergesUntilQueued ? holdMerges(loaded.board) : undefined;
    const planned = plan(held ?? loaded.board, o.repo.config, now);
    if (held) for (const w of planned.waiting) if (w.code === "mergeability-unknown") w.text = HELD;
    const outcome = await executeEffects(loaded, planned.effects, ctx(o, emit, now));
    for (const w of planned.waiting) {
      // Said once per change; a running agent's minutes tick on without a new line.
      const key = w.code === "running" ? w.code : w.text;
      if (waiting.get(w.task) === key) continue;
      waiting.set(w.task, key);
      o.emit({ kind: "info", task: w.task, text: `${w.task}: waiting — ${w.text}` });
    }
    const board = outcome.stopped ? loaded.board : applyEffects(loaded.board, planned.effects, now);
    last = {
      board,
      plan: planned,
      problems: loaded.problems,
      running: o.supervisor.running(),
    };
    o.onPass?.(last);
    const busy =
      planned.effects.length > 0 ||
      resumed.length > 0 ||
      loaded.assigned.length > 0 ||
      o.supervisor.running().length > 0 ||
      board.tasks.some((t) => t.memory.run !== undefined);
    if (o.untilIdle && !busy && !outcome.stopped) {
      const failed = preflight.filter((p) => !p.ok);
      const blocked = board.tasks.some((t) => t.stage === "todo" && !t.memory.escalation);
      return {
        reason: "idle",
        passes,
        last,
        ...(failed.length > 0 && blocked
          ? {
              message: `pre-flight failed: ${failed.map((f) => `${f.name}: ${f.detail}`).join("; ")}`,
            }
          : {}),
      };
    }
    await o.waker.sleep(o.intervalMs, o.signal);
  }
  await o.supervisor.stopAll();
  return { reason: "aborted", passes, ...(last ? { last } : {}) };
}

const HELD = "merge held until the tasks in flight reach the queue (batch window)";

/** The board with queued merges held (mergeable unknown) while tasks are still in flight. */
function holdMerges(board: Board): Board | undefined {
  const inFlight = board.tasks.some(
    (t) => IN_FLIGHT_STAGES.includes(t.stage) && t.memory.escalation === undefined,
  );
  if (!inFlight) return undefined;
  return {
    ...board,
    tasks: board.tasks.map((t) =>
      t.pr && !t.pr.merged ? { ...t, pr: { ...t.pr, mergeable: null } } : t,
    ),
  };
}

const ctx = (o: RunLoopOptions, emit: EventSink, now: Date) => ({
  repo: o.repo,
  supervisor: o.supervisor,
  emit,
  now,
});
