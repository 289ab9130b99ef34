import type { AgentResult, Board, TaskMemory, TestCount } from "../../core/board.js";
import type { Role } from "../../core/config.js";
import type { Effect } from "../../core/effects.js";

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
  /** The result this change folded in, if any: a tester's counts word its failure. */
  result?: AgentResult,
): string | undefined {
  const failed = [...ROLES, "merge" as const].find((r) => after.attempts[r] > before.attempts[r]);
  if (!failed || !after.lastFailure) return undefined;
  const n = after.attempts[failed];
  const next =
    after.escalation !== undefined || n > retries ? "escalated" : `retry ${n} of ${retries}`;
  const runs = failed === "tester" && result?.role === "tester" ? result.tests?.runs : undefined;
  const lastRun = runs?.at(-1);
  if (runs && lastRun && lastRun.failed > 0) {
    const fixed = runs.length > 1 ? " after its fix" : "";
    return `${task}: tests failed: ${counted(lastRun, lastRun.failed)}${fixed}; ${next}`;
  }
  const reason = oneLine(after.lastFailure).replace(/^merge failed: /, "");
  // The core's reason already names the role ("the tester agent failed: …").
  const said = /^the (task|reviewer|tester) agent /.test(reason)
    ? reason.replace(/^the /, "")
    : `${agent(failed)} failed: ${reason}`;
  return `${task}: ${said}; ${next}`;
}

/**
 * What a tester run did with failing tests, told when its result is folded in (before the
 * moves it causes): "T3: tests failed: 2 of 14; tester fixing, attempt 1 of 1", then
 * "T3: tests failed → fixed → passed (14 of 14)" when the fix held. A run whose tests passed
 * at once, or failed with no fix, says nothing here (the move, or `failureLine`, says it).
 */
export function testerLines(task: string, result: AgentResult): string[] {
  const t = result.role === "tester" ? result.tests : undefined;
  const first = t?.runs[0];
  if (!t || !first || first.failed === 0 || t.runs.length < 2) return [];
  const out = t.runs
    .slice(1)
    .map(
      (_, i) =>
        `${task}: tests failed: ${counted(t.runs[i]!, t.runs[i]!.failed)}; tester fixing, attempt ${i + 1} of ${t.fixRounds}`,
    );
  const last = t.runs.at(-1)!;
  if (last.failed === 0 && result.passed === true)
    out.push(`${task}: tests failed → fixed → passed (${counted(last, last.total)})`);
  return out;
}

/**
 * The tester lines of the results a pass folds in (a `save-memory` that adds a result to the
 * task's `handled`): said once, since a result is folded in once.
 */
export function resultLines(
  board: Board,
  effects: readonly Effect[],
): { task: string; text: string }[] {
  const out: { task: string; text: string }[] = [];
  for (const e of effects) {
    if (e.type !== "save-memory") continue;
    const before = board.tasks.find((t) => t.id === e.task)?.memory.handled ?? [];
    for (const cid of e.memory.handled) {
      const result = board.results[cid];
      if (before.includes(cid) || !result) continue;
      for (const text of testerLines(e.task, result)) out.push({ task: e.task, text });
    }
  }
  return out;
}

/** The result a memory change folds in (newly in `handled`), if any. */
export function foldedResult(
  board: Board,
  before: TaskMemory,
  after: TaskMemory,
): AgentResult | undefined {
  const cid = after.handled.find((c) => !before.handled.includes(c));
  return cid === undefined ? undefined : board.results[cid];
}

/** "2 of 14" (`n` of the total); "1 of 2 test commands" when only commands were counted. */
function counted(c: TestCount, n: number): string {
  return `${n} of ${c.total}${c.unit === "commands" ? ` test command${c.total === 1 ? "" : "s"}` : ""}`;
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
