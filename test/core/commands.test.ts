import { describe, expect, it } from "vitest";
import { applyEffects } from "../../src/core/apply.js";
import { parseCommand, planCommand } from "../../src/core/commands.js";
import { plan } from "../../src/core/plan.js";
import { board, config, lines, T0, task } from "../support/board-builder.js";

const cfg = config();
/** Task 3 in review with its reviewer agent at work. */
const reviewing = () =>
  task({
    id: "3",
    stage: "review",
    pr: true,
    memory: {
      run: {
        role: "reviewer",
        attempt: 0,
        correlationId: "3/reviewer/0/1",
        dispatchedAt: T0.toISOString(),
      },
    },
  });
const escalated = (stage: "review" | "testing" | "in-progress" = "testing") =>
  task({
    id: "7",
    stage,
    pr: true,
    memory: {
      runs: 4,
      attempts: { task: 0, reviewer: 0, tester: 2, merge: 0 },
      escalation: { reason: "the tests failed: red", at: T0.toISOString(), stage },
    },
  });

describe("parseCommand", () => {
  it.each([
    ["/conveyor retry", { kind: "retry" }],
    [
      "thanks!\n/conveyor   abandon  not needed any more ",
      { kind: "abandon", reason: "not needed any more" },
    ],
    [
      "/conveyor deprioritize after the release",
      { kind: "deprioritize", notes: "after the release" },
    ],
    ["/conveyor priority HIGH", { kind: "priority", level: "high" }],
    ["/conveyor pause release freeze", { kind: "pause", reason: "release freeze" }],
    ["/conveyor resume", { kind: "resume" }],
    ["/conveyor status", { kind: "status" }],
    ["/conveyor escalate", { kind: "escalate", reason: "escalated by a maintainer" }],
  ])("%j", (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });

  it.each([
    ["/conveyor abandon", "needs a reason"],
    ["/conveyor priority urgent", "critical, high, medium, low"],
    ["/conveyor merge-now", "unknown command `merge-now`"],
    ["/conveyor", "needs a command"],
  ])("refuses %j with the reason", (text, message) => {
    const r = parseCommand(text);
    expect(r && "error" in r && r.error).toContain(message);
  });

  it("ignores comments without a command, and commands quoted mid-line", () => {
    expect(parseCommand("LGTM")).toBeNull();
    expect(parseCommand("you can type /conveyor retry to retry")).toBeNull();
  });
});

describe("planCommand: the escalation choices", () => {
  it("retry clears the escalation and the failure counters, and the task is re-dispatched", () => {
    const b = board([escalated()]);
    const out = planCommand(b, "7", { kind: "retry" }, cfg, T0);
    expect(out.accepted).toBe(true);
    expect(lines(out.effects)).toEqual(["#7: clear escalation"]);
    const after = applyEffects(b, out.effects, T0);
    expect(after.tasks[0]!.memory.attempts.tester).toBe(0);
    // The run counter goes on (fresh correlation ids); the loop guard counts from the retry.
    expect(after.tasks[0]!.memory).toMatchObject({ runs: 4, runsAtRetry: 4 });
    // The retry keeps no verdict: the branch goes through review again before any test.
    expect(lines(plan(after, cfg, T0).effects)).toContain(
      "#7: dispatch reviewer attempt 0 [7/reviewer/0/5] model claude-sonnet-5-5",
    );
  });

  it("abandon closes the issue and records the reason in the changelog", () => {
    const out = planCommand(
      board([escalated()]),
      "7",
      { kind: "abandon", reason: "superseded by #9" },
      cfg,
      T0,
    );
    expect(lines(out.effects)).toEqual([
      "#7: testing -> abandoned (abandoned: superseded by #9)",
      "#7: record abandoned in CHANGELOG (superseded by #9)",
      "#7: close (not_planned)",
    ]);
  });

  it("deprioritize sends the task back to the backlog at low priority", () => {
    const b = board([escalated("review")]);
    const out = planCommand(b, "7", { kind: "deprioritize", notes: "after the release" }, cfg, T0);
    expect(lines(out.effects)).toEqual([
      "#7: review -> todo (deprioritized: after the release)",
      "#7: clear escalation",
      "#7: priority medium -> low",
    ]);
    const after = applyEffects(b, out.effects, T0);
    expect(after.tasks[0]).toMatchObject({ stage: "todo", priority: "low" });
    expect(after.tasks[0]!.memory.escalation).toBeUndefined();
  });

  it("escalate cancels a running agent and escalates", () => {
    const t = reviewing();
    const out = planCommand(
      board([t]),
      "3",
      { kind: "escalate", reason: "needs a design call" },
      cfg,
      T0,
    );
    expect(lines(out.effects)).toEqual([
      "#3: cancel run 3/reviewer/0/1 (escalated by a maintainer)",
      "#3: escalate (needs a design call)",
    ]);
    const after = applyEffects(board([t]), out.effects, T0);
    expect(plan(after, cfg, T0).waiting).toEqual([
      {
        task: "3",
        code: "escalated",
        text: "escalated: needs a design call — waiting for a maintainer's choice",
      },
    ]);
  });

  it("pause and resume are repository-wide and idempotent", () => {
    const b = board([]);
    const paused = planCommand(b, undefined, { kind: "pause", reason: "freeze" }, cfg, T0);
    expect(paused.effects).toEqual([
      {
        type: "save-repo-memory",
        memory: { paused: true, pausedReason: "freeze", dispatches: [] },
      },
    ]);
    const after = applyEffects(b, paused.effects, T0);
    expect(
      planCommand(after, undefined, { kind: "pause", reason: "freeze" }, cfg, T0).effects,
    ).toEqual([]);
    expect(planCommand(after, undefined, { kind: "resume" }, cfg, T0).effects).toEqual([
      { type: "save-repo-memory", memory: { paused: false, dispatches: [] } },
    ]);
  });

  it("refuses commands on issues that are not tasks, and retries of running tasks", () => {
    expect(planCommand(board([]), "5", { kind: "retry" }, cfg, T0)).toMatchObject({
      accepted: false,
      reply: expect.stringContaining("#5 is not a Conveyor task"),
    });
    const t = task({
      id: "3",
      stage: "review",
      pr: true,
      memory: {
        run: { role: "reviewer", attempt: 0, correlationId: "c", dispatchedAt: T0.toISOString() },
      },
    });
    expect(planCommand(board([t]), "3", { kind: "retry" }, cfg, T0).accepted).toBe(false);
  });

  it("status says where the task is and why it waits", () => {
    const b = board([task({ id: "1" }), task({ id: "2" })], {
      preflight: [{ name: "db", ok: false, detail: "http://db/readyz answered 503" }],
    });
    const out = planCommand(b, "2", { kind: "status" }, cfg, T0);
    expect(out.reply).toMatchInlineSnapshot(`
      "**#2: Task 2** — todo, priority medium
      - failures so far: task 0, reviewer 0, tester 0, merge 0; agent runs 0/15
      - tokens 0, cost $0.00
      - waiting: pre-flight failed: http://db/readyz answered 503
      - slots: 0/6 agents, 0/6 tasks in flight"
    `);
  });
});

describe("a command that stops a running agent", () => {
  it("keeps the cancelled run's slot until it ends, then forgets it", () => {
    const t = reviewing();
    const b = board([t], {
      runs: { "3/reviewer/0/1": { correlationId: "3/reviewer/0/1", status: "in_progress" } },
    });
    const out = planCommand(b, "3", { kind: "abandon", reason: "dup" }, cfg, T0);
    const after = applyEffects(b, out.effects, T0);
    expect(after.tasks[0]!.memory.cancelling).toEqual([
      { correlationId: "3/reviewer/0/1", at: T0.toISOString() },
    ]);
    expect(plan(after, cfg, T0).slots.used).toBe(1);
    after.runs["3/reviewer/0/1"]!.status = "completed";
    expect(plan(after, cfg, T0).slots.used).toBe(0);
  });

  it("remembers the run's id with the cancel (a later pass reads the run by it when the listing no longer reaches it)", () => {
    const t = reviewing();
    const b = board([t], {
      runs: {
        "3/reviewer/0/1": { correlationId: "3/reviewer/0/1", runId: "77", status: "in_progress" },
      },
    });
    const out = planCommand(b, "3", { kind: "abandon", reason: "dup" }, cfg, T0);
    const after = applyEffects(b, out.effects, T0);
    expect(after.tasks[0]!.memory.cancelling).toEqual([
      { correlationId: "3/reviewer/0/1", runId: "77", at: T0.toISOString() },
    ]);
  });
});
