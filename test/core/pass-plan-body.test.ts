/**
 * The one pass body of both backends (`runPass`, issue 16) and its one rule for pre-flight:
 * checked only when the plan wants to dispatch, then planned again with the results.
 */
import { describe, expect, it } from "vitest";
import type { PreflightResult } from "../../src/core/board.js";
import { type PassRead, runPass } from "../../src/core/pass.js";
import type { PassPlan } from "../../src/core/pass-plan.js";
import { board, config, T0, task } from "../support/board-builder.js";

const none = { closedByPerson: new Set<string>(), escalatedShown: new Set<string>() };
const ok: PreflightResult = { name: "api", ok: true, detail: "answered 200" };
const down: PreflightResult = { name: "api", ok: false, detail: "answered 503" };

function backend(read: PassRead, results: PreflightResult[]) {
  const calls = { preflight: 0, executed: [] as PassPlan[] };
  return {
    calls,
    backend: {
      read: async () => read,
      preflight: async () => {
        calls.preflight++;
        return results;
      },
      execute: async (_: PassRead, decided: PassPlan) => {
        calls.executed.push(decided);
        return decided.effects.map((e) => e.type);
      },
    },
  };
}

describe("runPass: pre-flight only when the plan dispatches", () => {
  it.each([
    ["nothing to dispatch (a task in review with its run)", "review", [ok], 0, false],
    ["a todo task, pre-flight green: dispatched", "todo", [ok], 1, true],
    ["a todo task, pre-flight failing: planned again, not dispatched", "todo", [down], 1, false],
  ] as const)("%s", async (_, stage, results, checks, dispatched) => {
    const t =
      stage === "todo"
        ? task({ id: "1", stage })
        : task({
            id: "1",
            stage,
            pr: true,
            memory: {
              run: {
                correlationId: "1/reviewer/0/1",
                role: "reviewer",
                attempt: 0,
                dispatchedAt: T0.toISOString(),
              },
            },
          });
    const b = board([t]);
    if (stage !== "todo")
      b.runs["1/reviewer/0/1"] = { correlationId: "1/reviewer/0/1", status: "in_progress" };
    const { calls, backend: be } = backend({ board: b, config: config(), facts: none }, [
      ...results,
    ]);
    const run = await runPass(be, T0);
    expect(calls.preflight).toBe(checks);
    expect(calls.executed).toHaveLength(1);
    expect(run.result.includes("dispatch")).toBe(dispatched);
    expect(run.preflight).toEqual(checks > 0 ? results : undefined);
    if (results[0] === down && checks > 0)
      expect(run.decided.plan.waiting.map((w) => w.code)).toContain("preflight-failed");
  });
});
