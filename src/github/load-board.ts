import type { Board } from "../core/board.js";
import type { Config } from "../core/config.js";
import { type FetchOptions, fetchFacts } from "./fetch-facts.js";
import { interpretFacts, type Snapshot } from "./interpret-facts.js";
import type { GitHubPort } from "./port.js";

export type LoadOptions = FetchOptions;

/**
 * One snapshot of a repository: read, then interpret. `fetchFacts` reads GitHub in rounds
 * into plain facts (few requests: the tracked issues, one list of comments, runs and PRs
 * only when needed, what the merge needs of the PRs on their way to it); `interpretFacts`
 * turns them into the board and the GitHub-side state the executor needs, without I/O.
 * Pre-flight is not read here (`checkPreflight`): the pass checks it only when the plan
 * wants to dispatch.
 */
export async function loadSnapshot(
  port: GitHubPort,
  config: Config,
  now: Date,
  options: LoadOptions,
): Promise<Snapshot> {
  return interpretFacts(await fetchFacts(port, config, now, options), config);
}

/** The board of a repository as GitHub shows it. */
export async function loadBoard(
  port: GitHubPort,
  config: Config,
  now: Date,
  options: LoadOptions,
): Promise<Board> {
  return (await loadSnapshot(port, config, now, options)).board;
}
