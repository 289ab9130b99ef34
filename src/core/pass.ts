import type { Board, PreflightResult } from "./board.js";
import type { Config } from "./config.js";
import { type PassFacts, type PassPlan, planPass } from "./pass-plan.js";

/** What a backend's read step hands the pass: the board, the config, the other facts. */
export interface PassRead {
  /** The board to plan on (its `preflight` is filled in by the pass when it checks). */
  board: Board;
  config: Config;
  facts: PassFacts;
}

/**
 * A backend, as the pass body sees it: how it reads, how it checks pre-flight, and how it
 * applies a pass's effects (through `runEffects` with its handlers). No I/O here: the
 * backend brings it in these callbacks.
 */
export interface PassBackend<S extends PassRead, R> {
  read: () => Promise<S>;
  /** The pre-flight checks (readiness URLs, the base's state); asked only when needed. */
  preflight: (state: S) => Promise<PreflightResult[]>;
  execute: (state: S, decided: PassPlan) => Promise<R>;
}

/** What one pass read, decided and did. */
export interface PassRun<S extends PassRead, R> {
  state: S;
  decided: PassPlan;
  /** The pre-flight results of this pass; absent when the plan wanted no dispatch. */
  preflight?: PreflightResult[];
  result: R;
}

/**
 * The one pass body of both backends: read → plan (`planPass`) → pre-flight, only when the
 * plan wants to dispatch, then plan again with its results → execute. Pre-flight costs
 * requests and HTTP checks, and only a dispatch needs it; the first plan sees no results
 * (nothing fails), so it dispatches whatever it would with a green pre-flight, and the
 * second plan is the one executed.
 */
export async function runPass<S extends PassRead, R>(
  backend: PassBackend<S, R>,
  now: Date,
): Promise<PassRun<S, R>> {
  const state = await backend.read();
  state.board.preflight = [];
  let decided = planPass(state.board, state.config, now, state.facts);
  let preflight: PreflightResult[] | undefined;
  if (wantsDispatch(decided)) {
    preflight = await backend.preflight(state);
    state.board.preflight = preflight;
    decided = planPass(state.board, state.config, now, { ...state.facts, preflight });
  }
  const result = await backend.execute(state, decided);
  return { state, decided, ...(preflight ? { preflight } : {}), result };
}

/** The rule for when pre-flight runs: the plan dispatches an agent. */
export function wantsDispatch(decided: PassPlan): boolean {
  return decided.effects.some((e) => e.type === "dispatch");
}
