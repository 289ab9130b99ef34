/**
 * The one execution loop of both backends (issue 16): dry-run, skipped, stop rules, one
 * report, over a handler per effect type.
 */
import { describe, expect, it } from "vitest";
import type { Effect } from "../../src/core/effects.js";
import { type Handlers, runEffects } from "../../src/core/execution-loop.js";

const comment = (task: string, body = "hi"): Effect => ({ type: "comment", task, body });
const mirror: Effect = { type: "write-mirror", files: { "TODO.md": "" } };
const merge = (...tasks: string[]): Effect => ({
  type: "merge",
  method: "merge",
  batch: tasks.map((task) => ({ task, pr: Number(task), sha: "s", branch: `b${task}` })),
  deleteBranch: true,
});

/** Handlers that record what they apply and fail for the bodies in `failing`. */
function recorder(failing: Record<string, Error> = {}) {
  const done: string[] = [];
  const ok = async (e: Effect) => {
    const key = e.type === "comment" ? `${e.task}:${e.body}` : e.type;
    const error = failing[key];
    if (error) throw error;
    done.push(key);
    return "applied" as const;
  };
  const handlers: Handlers = {
    "set-stage": ok,
    "save-memory": ok,
    dispatch: ok,
    "cancel-run": ok,
    merge: ok,
    escalate: ok,
    "clear-escalation": ok,
    "set-priority": ok,
    comment: ok,
    "close-issue": ok,
    "record-abandoned": ok,
    "save-repo-memory": ok,
    "conveyor-check": ok,
    "write-mirror": ok,
    "refuse-scheduling": ok,
    "write-dashboard": ok,
    "report-config-check": ok,
  };
  return { done, handlers };
}

const quiet = { dryRun: false, log: () => {} };

describe("runEffects", () => {
  it("a task's failed effect leaves out that task's later effects, not the other tasks'", async () => {
    const { done, handlers } = recorder({ "1:a": new Error("404 Not Found") });
    const report = await runEffects(
      [comment("1", "a"), comment("2", "a"), comment("1", "b"), comment("2", "b")],
      handlers,
      { ...quiet, stopsPass: () => false },
    );
    expect(done).toEqual(["2:a", "2:b"]);
    expect(report.failed).toEqual({ effect: "#1: comment", error: "404 Not Found" });
    expect(report.failures).toEqual([
      { effect: "#1: comment", error: "404 Not Found", tasks: ["1"] },
    ]);
    expect(report.notApplied).toEqual(["#1: comment"]);
  });

  it("a merge batch with a failed task in it waits too; the mirror waits after any failure", async () => {
    const { done, handlers } = recorder({ "1:a": new Error("nope") });
    await runEffects([comment("1", "a"), merge("2", "1"), merge("3"), mirror], handlers, {
      ...quiet,
      stopsPass: () => false,
    });
    expect(done).toEqual(["merge"]);
  });

  it.each([
    ["the failure stops the pass (the service is down)", comment("1", "a"), () => true],
    ["the failed effect is about no task", mirror, () => false],
  ])("everything after waits when %s", async (_, first, stopsPass) => {
    const { done, handlers } = recorder({
      "1:a": new Error("502"),
      "write-mirror": new Error("x"),
    });
    const report = await runEffects([first, comment("2"), comment("3")], handlers, {
      ...quiet,
      stopsPass,
    });
    expect(done).toEqual([]);
    expect(report.notApplied).toHaveLength(2);
  });

  it("by default any failure stops the pass", async () => {
    const { done, handlers } = recorder({ "1:a": new Error("x") });
    await runEffects([comment("1", "a"), comment("2")], handlers, quiet);
    expect(done).toEqual([]);
  });

  it("dry-run logs every effect and applies none", async () => {
    const { done, handlers } = recorder();
    const logs: string[] = [];
    const report = await runEffects([comment("1"), mirror], handlers, {
      dryRun: true,
      log: (l) => logs.push(l),
    });
    expect(done).toEqual([]);
    expect(report.applied).toEqual(["#1: comment", "write mirror: TODO.md"]);
    expect(logs).toEqual(["[dry-run] #1: comment", "[dry-run] write mirror: TODO.md"]);
  });

  it("a handler answering skipped is reported as skipped", async () => {
    const { handlers } = recorder();
    handlers.comment = async () => "skipped";
    const report = await runEffects([comment("1")], handlers, quiet);
    expect(report).toMatchObject({ applied: [], skipped: ["#1: comment"] });
  });

  it("a backend without a handler for an effect type does not compile", () => {
    const { handlers } = recorder();
    const { comment: _left, ...rest } = handlers;
    // @ts-expect-error: `comment` has no handler
    const incomplete: Handlers = rest;
    expect(Object.keys(incomplete)).not.toContain("comment");
  });
});
