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
    if (!session) {
      const now = (options.now ?? (() => new Date()))();
      session = {
        o: options,
        git: undefined as never,
        workspaceReal: options.workspace,
        startedAt: now,
        now: options.now ?? (() => new Date()),
        log: options.log ?? (() => {}),
        stopAt: options.deadline,
      };
    }
    let headSha: string | undefined;
    try {
      headSha = session.git ? await session.git.head() : undefined;
    } catch {
      headSha = undefined;
    }
    return finalize(session, {
      outcome: "failed",
      summary: message,
      drive: undefined,
      ...(headSha ? { headSha } : {}),
      ...(options.pr !== undefined ? { pr: options.pr } : {}),
      filesChanged: [],
    });
  }
}
