import { errorMessage, finalize, openSession, type RoleSession } from "./role-session.js";
import type { RoleOutcome, RunRoleOptions } from "./role-types.js";
import { runReviewerRole } from "./roles/reviewer-role.js";
import { runTaskRole } from "./roles/task-role.js";
import { runTesterRole } from "./roles/tester-role.js";

export type { RoleOutcome, RunRoleOptions } from "./role-types.js";

const ROLES = { task: runTaskRole, reviewer: runReviewerRole, tester: runTesterRole } as const;

/**
 * Runs one role (task, reviewer, tester) in a git workspace and publishes its result through
 * the host. Never throws: anything that goes wrong (git, API, host) becomes a `failed`
 * result with the reason in plain words, published like any other result.
 */
export async function runRole(options: RunRoleOptions): Promise<RoleOutcome> {
  let session: RoleSession | undefined;
  try {
    session = await openSession(options);
    return await ROLES[options.role](session);
  } catch (e: unknown) {
    const message = `The ${options.role} run failed: ${errorMessage(e)}`;
    options.log?.(message);
    const now = options.now ?? (() => new Date());
    let headSha: string | undefined;
    let saved = "";
    if (session) {
      try {
        // Nothing the agent did is lost: commit and push what is pending on the task branch.
        if ((await session.git.currentBranch()) === options.branch) {
          const wip = await session.git.commitAll(
            `WIP: ${options.role} run ${options.correlationId} failed\n\n${message}`,
          );
          const push = wip ? await session.git.push(options.branch) : { pushed: false };
          if (wip)
            saved = ` Work in progress was committed as ${wip.slice(0, 7)}${push.pushed ? " and pushed" : ""}.`;
        }
        headSha = await session.git.head();
      } catch {
        headSha = undefined;
      }
    }
    const base = session ?? { o: options, now, startedAt: now(), log: options.log ?? (() => {}) };
    return finalize(base, {
      outcome: "failed",
      summary: message + saved,
      drive: undefined,
      ...(headSha ? { headSha } : {}),
      ...(options.pr !== undefined ? { pr: options.pr } : {}),
      filesChanged: [],
    });
  }
}
