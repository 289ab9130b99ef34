import type { PreflightResult } from "../core/board.js";
import type { Config } from "../core/config.js";
import { httpCheck } from "./http-errors.js";
import type { DefaultBranchRead, GitHubPort, RefState } from "./port.js";

/**
 * The pre-flight checks before any dispatch: the configured HTTP readiness checks and the
 * state of the base branch's checks (a failing base blocks dispatching; pending does not).
 * `baseState` says that state (default: asked for the branch by name, one request).
 */
export async function checkPreflight(
  port: GitHubPort,
  config: Config,
  baseBranch: string,
  fetchFn?: typeof fetch,
  baseState: () => Promise<RefState> = () => port.refState(baseBranch),
): Promise<PreflightResult[]> {
  const [http, state] = await Promise.all([
    Promise.all(config.preflight.http.map((check) => httpCheck(check, fetchFn))),
    config.preflight.baseBranchGreen ? baseState() : undefined,
  ]);
  const out = [...http];
  if (state !== undefined)
    out.push({
      name: `${baseBranch} green`,
      ok: state !== "failure",
      detail:
        state === "failure"
          ? `the checks of ${baseBranch} fail`
          : `the checks of ${baseBranch}: ${state}`,
    });
  return out;
}

/** Words in a commit message that make GitHub Actions skip the push (no checks run on it). */
const SKIP_CI = /\[(skip ci|ci skip|no ci|skip actions|actions skip)\]/i;

/**
 * The state of the base from the default branch's recent history (read with the config):
 * the newest commit that CI ran on decides. Commits Conveyor wrote (`isOwn`) and commits
 * whose message skips CI have no checks, so the head alone would always look green: they
 * are looked through. Undefined when every commit read was one of those (ask further down).
 */
export function baseStateFromHistory(
  history: DefaultBranchRead["history"],
  isOwn: (sha: string) => boolean = () => false,
): RefState | undefined {
  const decisive = history.find((c) => !isOwn(c.sha) && !SKIP_CI.test(c.message));
  return decisive?.state;
}
