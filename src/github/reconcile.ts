import type { Board } from "../core/board.js";
import type { Config } from "../core/config.js";
import type { Plan } from "../core/effects.js";
import type { GitHubPort } from "./port.js";

/** Everything one reconcile pass needs; the app and the orchestrator Action build it. */
export interface ReconcileContext {
  port: GitHubPort;
  owner: string;
  repo: string;
  /** Login of the app's bot user (e.g. `conveyor[bot]`): the only author whose markers count. */
  botLogin: string;
  now: () => Date;
  dryRun: boolean;
  log: (line: string) => void;
}

/** What one pass saw and did. */
export interface ReconcileReport {
  repo: string;
  /** The configuration used (defaults when the file is missing or invalid). */
  config: Config;
  /** One line per bad key when `.github/conveyor.yml` is invalid. */
  configErrors: string[];
  board: Board;
  plan: Plan;
  /** `describeEffect` lines of the effects applied (dry-run: that would be applied). */
  applied: string[];
  /** The effect that failed (the pass stopped there), with the error. */
  failed?: { effect: string; error: string };
  /** Requests sent to GitHub during the pass (reads and writes). */
  requests: number;
}

/** One pass: load config and board, plan, execute. Never throws for bad input. */
export async function reconcileRepo(_ctx: ReconcileContext): Promise<ReconcileReport> {
  throw new Error("reconcileRepo: landing with the loader and executor");
}
