import type { Board, PullRequest } from "./board.js";
import type { Config } from "./config.js";

/**
 * The words the core uses for what differs between the backends, so no backend rewrites the
 * core's text. A task's pull request on GitHub has a number ("PR #12"); a local task's is
 * its branch, which has none ("branch conveyor/T3"). How a person puts a task on the board
 * is the board's `host`: a label on GitHub, a line of TODO.md locally.
 */

type Named = Pick<PullRequest, "number" | "branch">;

/** "PR #12"; "branch conveyor/T3" for a branch without a pull request number. */
export function prName(pr: Named): string {
  return pr.number !== undefined ? `PR #${pr.number}` : `branch ${pr.branch}`;
}

/** "the PR"; "the branch" for a branch without a pull request number (or no PR known). */
export function thePr(pr: Pick<PullRequest, "number"> | undefined, host?: Board["host"]): string {
  if (pr === undefined) return host === "local" ? "the branch" : "the PR";
  return pr.number !== undefined ? "the PR" : "the branch";
}

/** How a person makes an issue or line a task, as a hint after "is not a Conveyor task". */
export function scheduleHint(host: Board["host"], config: Pick<Config, "labels">): string {
  return host === "local"
    ? "add it to TODO.md first"
    : `schedule it with the \`${config.labels.todo}\` label first`;
}
