import type { TaskMemory } from "../../core/board.js";
import type { Role } from "../../core/config.js";

/**
 * The wording of local mode's log, built from effect data (not from the core's text): each
 * failure with its reason and what follows it.
 */

const ROLES: readonly Role[] = ["task", "reviewer", "tester"];

const agent = (role: Role | "merge"): string => (role === "merge" ? "merge" : `${role} agent`);

/**
 * The line for a memory change that counts a failure: "T3: tester agent failed: <reason>;
 * retry 1 of 1", or "…; escalated" when it is the last one the retries allow. Undefined
 * when the change counts no new failure.
 */
export function failureLine(
  task: string,
  before: TaskMemory,
  after: TaskMemory,
  retries: number,
): string | undefined {
  const failed = [...ROLES, "merge" as const].find((r) => after.attempts[r] > before.attempts[r]);
  if (!failed || !after.lastFailure) return undefined;
  const n = after.attempts[failed];
  const next =
    after.escalation !== undefined || n > retries ? "escalated" : `retry ${n} of ${retries}`;
  const reason = oneLine(after.lastFailure).replace(/^merge failed: /, "");
  // The core's reason already names the role ("the tester agent failed: …").
  const said = /^the (task|reviewer|tester) agent /.test(reason)
    ? reason.replace(/^the /, "")
    : `${agent(failed)} failed: ${reason}`;
  return `${task}: ${said}; ${next}`;
}

/** The line of an agent started: the first run, or a retry and which one. */
export function dispatchLine(
  task: string,
  role: Role,
  attempt: number,
  correlationId: string,
): string {
  const which = attempt === 0 ? "attempt 1" : `retry ${attempt}`;
  return `${task}: ${role} agent started (${which}, ${correlationId})`;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
}
