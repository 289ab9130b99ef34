import { describe, expect, it } from "vitest";
import { applyEffects } from "../../src/core/apply.js";
import type { AgentResult, Board, Task } from "../../src/core/board.js";
import type { Role } from "../../src/core/config.js";
import type { Effect, Plan } from "../../src/core/effects.js";
import { plan } from "../../src/core/plan.js";
import { board, config, lines, minutesAfter, T0, task } from "../support/board-builder.js";

const cfg = config();

/** A task whose agent of `role` is running (started at T0 unless told). */
const headOf = (id: string) => `head${id}`.padEnd(40, "0");

/** An approving review of `sha` (the PR head of the builder's PR by default). */
const reviewedAt = (sha: string) => ({
  review: { role: "reviewer" as const, value: "approve" as const, sha, at: T0.toISOString() },
});

/**
 * A task whose agent of `role` is running (started at T0 unless told). A tester's task was
 * approved at the PR head, and reviewers and testers were started on that head.
 */
function running(id: string, role: Role, extra: Parameters<typeof task>[0] | object = {}): Task {
  const stage = role === "task" ? "in-progress" : role === "reviewer" ? "review" : "testing";
  return task({
    id,
    stage,
    pr: role === "task" ? undefined : true,
    ...(extra as object),
    memory: {
      runs: 1,
      run: {
        role,
        attempt: 0,
        correlationId: `${id}/${role}/0/1`,
        dispatchedAt: T0.toISOString(),
        ...(role === "task" ? {} : { headSha: headOf(id) }),
      },
      ...(role === "tester" ? { verdicts: reviewedAt(headOf(id)) } : {}),
      ...((extra as { memory?: object }).memory ?? {}),
    },
  });
}

function withRuns(b: Board): Board {
  for (const t of b.tasks) {
    const run = t.memory.run;
    if (run && !b.runs[run.correlationId] && !b.results[run.correlationId])
      b.runs[run.correlationId] = {
        correlationId: run.correlationId,
        runId: `r-${run.correlationId}`,
        status: "in_progress",
        startedAt: run.dispatchedAt,
      };
  }
  return b;
}

function result(t: Task, r: Partial<AgentResult>): AgentResult {
  const run = t.memory.run!;
  return {
    correlationId: run.correlationId,
    role: run.role,
    outcome: "ok",
    summary: "did it",
    ...r,
  };
}

/** plan, apply, plan again at the same moment: nothing new. */
function expectIdempotent(b: Board, now = T0, c = cfg) {
  const first = plan(b, c, now);
  const second = plan(applyEffects(b, first.effects, now), c, now);
  expect(second.effects.map((e) => e.type)).toEqual([]);
  return first;
}

/** Waiting reasons as task and text (the code is checked where it matters). */
const waits = (p: Plan) => p.waiting.map((w) => ({ task: w.task, reason: w.text }));

const dispatches = (effects: Effect[]) =>
  effects.flatMap((e) => (e.type === "dispatch" ? [`${e.task}:${e.role}`] : []));

describe("capacity: one shared pool, and an in-flight cap", () => {
  it("starts at most 6 agents and says why the others wait", () => {
    const b = board(Array.from({ length: 8 }, (_, i) => task({ id: String(i + 1) })));
    const p = expectIdempotent(b);
    expect(dispatches(p.effects)).toEqual([
      "1:task",
      "2:task",
      "3:task",
      "4:task",
      "5:task",
      "6:task",
    ]);
    // Both caps are full once six tasks are in progress: both are named.
    expect(waits(p)).toEqual([
      { task: "7", reason: "slots full: 6/6; in-flight tasks full: 6/6" },
      { task: "8", reason: "slots full: 6/6; in-flight tasks full: 6/6" },
    ]);
    expect(p.waiting[0]?.code).toBe("slots-and-in-flight-full");
    expect(p.slots).toEqual({ used: 6, capacity: 6 });
  });

  it("counts every role against the same pool", () => {
    const b = withRuns(
      board([
        running("1", "task"),
        running("2", "reviewer"),
        running("3", "tester"),
        running("4", "task"),
        running("5", "reviewer"),
        task({ id: "6" }),
        task({ id: "7" }),
      ]),
    );
    const p = plan(b, cfg, T0);
    expect(dispatches(p.effects)).toEqual(["6:task"]);
    expect(waits(p).find((w) => w.task === "7")).toEqual({
      task: "7",
      reason: "slots full: 6/6; in-flight tasks full: 6/6",
    });
  });

  it("caps tasks in flight even when agent slots are free", () => {
    const c = config({ capacity: { agents: 10, inFlight: 3 } });
    const b = board([
      task({ id: "1", stage: "review", pr: true }),
      ...["2", "3", "4", "5"].map((id) => task({ id })),
    ]);
    const p = plan(b, c, T0);
    expect(dispatches(p.effects)).toEqual(["1:reviewer", "2:task", "3:task"]);
    expect(waits(p)).toEqual([
      { task: "4", reason: "in-flight tasks full: 3/3" },
      { task: "5", reason: "in-flight tasks full: 3/3" },
    ]);
  });
});

describe("order: finish work before starting work", () => {
  it("gives a single free slot to the tester, then the reviewer, then a new task", () => {
    const busy = ["1", "2", "3", "4", "5"].map((id) => running(id, "task"));
    const b = withRuns(
      board([
        ...busy,
        task({ id: "6", priority: "critical" }),
        task({ id: "7", stage: "review", pr: true, priority: "low" }),
        task({
          id: "8",
          stage: "testing",
          pr: true,
          priority: "low",
          memory: { verdicts: reviewedAt(headOf("8")) },
        }),
      ]),
    );
    expect(dispatches(plan(b, cfg, T0).effects)).toEqual(["8:tester"]);
    const noTester = board(
      b.tasks.filter((t) => t.id !== "8"),
      { runs: b.runs },
    );
    expect(dispatches(plan(noTester, cfg, T0).effects)).toEqual(["7:reviewer"]);
  });

  it("then priority, then age", () => {
    const c = config({ capacity: { agents: 2 } });
    const b = board([
      task({ id: "1", priority: "low", createdAt: "2026-01-01T00:00:00Z" }),
      task({ id: "2", priority: "high", createdAt: "2026-03-01T00:00:00Z" }),
      task({ id: "3", priority: "high", createdAt: "2026-02-01T00:00:00Z" }),
      task({ id: "4", priority: "critical", createdAt: "2026-04-01T00:00:00Z" }),
    ]);
    expect(dispatches(plan(b, c, T0).effects)).toEqual(["4:task", "3:task"]);
  });
});

describe("a task moves to in-progress before its agent is dispatched", () => {
  it("emits the move, the memory, then the dispatch", () => {
    const p = expectIdempotent(board([task({ id: "1" })]));
    expect(p.effects.map((e) => e.type)).toEqual(["set-stage", "save-memory", "dispatch"]);
    const mem = p.effects[1]!.type === "save-memory" ? p.effects[1]!.memory : undefined;
    expect(mem?.run).toMatchObject({ role: "task", attempt: 0, correlationId: "1/task/0/1" });
    expect(lines(p.effects)).toMatchInlineSnapshot(`
      [
        "#1: todo -> in-progress (picked up: an agent slot is free)",
        "#1: dispatch task attempt 0 [1/task/0/1] model claude-sonnet-5-5",
      ]
    `);
  });
});

describe("transitions on agent results", () => {
  const cases: {
    name: string;
    t: Task;
    r: Partial<AgentResult>;
    expected: string[];
  }[] = [
    {
      name: "task done -> review",
      t: running("1", "task", { pr: true }),
      r: {},
      expected: ["#1: in-progress -> review (the task agent opened the PR)", "1:reviewer"],
    },
    {
      name: "reviewer approves -> testing",
      t: running("1", "reviewer"),
      r: { verdict: "approve", headSha: "head1".padEnd(40, "0") },
      expected: ["#1: review -> testing (the reviewer approved)", "1:tester"],
    },
    {
      name: "reviewer says approach wrong -> back to a task agent with the review",
      t: running("1", "reviewer"),
      r: { verdict: "approach_wrong", summary: "use the cache, not a new table" },
      expected: [
        "#1: review -> in-progress (the reviewer judged the approach wrong: back to a task agent)",
        "1:task",
      ],
    },
    {
      name: "reviewer requests changes -> task agent",
      t: running("1", "reviewer"),
      r: { verdict: "request_changes", summary: "rename x" },
      expected: ["#1: review -> in-progress (the reviewer requested changes)", "1:task"],
    },
    {
      name: "tester passes -> merge queue, merged when mergeable",
      t: running("1", "tester"),
      r: { passed: true, headSha: "head1".padEnd(40, "0") },
      expected: ["merge", "#1: testing -> done (merged)"],
    },
    {
      name: "tester fails -> back to review with the notes",
      t: running("1", "tester"),
      r: { passed: false, summary: "test/a.test.ts: expected 2, got 3" },
      expected: [
        "#1: testing -> review (the tests failed: back to review with the failure notes)",
        "1:reviewer",
      ],
    },
    {
      name: "task agent fails -> retried in place",
      t: running("1", "task"),
      r: { outcome: "failed", summary: "could not find the file" },
      expected: ["1:task"],
    },
  ];

  it.each(cases)("$name", ({ t, r, expected }) => {
    const b = board([t], { results: { [t.memory.run!.correlationId]: result(t, r) } });
    const p = expectIdempotent(b);
    const got = p.effects.flatMap((e) =>
      e.type === "set-stage"
        ? [describeStage(e)]
        : e.type === "dispatch"
          ? [`${e.task}:${e.role}`]
          : e.type === "merge"
            ? ["merge"]
            : [],
    );
    expect(got.slice(0, expected.length)).toEqual(expected);
  });

  it("hands the review to the next task agent as feedback", () => {
    const t = running("1", "reviewer");
    const b = board([t], {
      results: {
        [t.memory.run!.correlationId]: result(t, {
          verdict: "approach_wrong",
          summary: "use the cache",
        }),
      },
    });
    const d = plan(b, cfg, T0).effects.find((e) => e.type === "dispatch");
    expect(d).toMatchObject({
      role: "task",
      attempt: 1,
      feedback: expect.stringContaining("use the cache"),
    });
  });

  it("binds the verdict to the head SHA it judged, and adds tokens and cost", () => {
    const t = running("1", "reviewer", { pr: { headSha: "abc" } });
    const b = board([t], {
      results: {
        [t.memory.run!.correlationId]: result(t, {
          verdict: "approve",
          headSha: "abc",
          tokens: 1200,
          costUsd: 0.25,
        }),
      },
    });
    const mem = plan(b, cfg, T0).effects.find((e) => e.type === "save-memory");
    expect(mem).toMatchObject({
      memory: {
        verdicts: { review: { value: "approve", sha: "abc" } },
        tokens: 1200,
        costUsd: 0.25,
        handled: ["1/reviewer/0/1"],
      },
    });
  });
});

function describeStage(e: Extract<Effect, { type: "set-stage" }>) {
  return `#${e.task}: ${e.from} -> ${e.to} (${e.reason})`;
}

describe("failure: retry once in place, then escalate", () => {
  it.each([
    ["task", "failed"],
    ["reviewer", "failed"],
    ["tester", "failed"],
    ["task", "incomplete"],
  ] as const)("%s agent %s twice -> escalated with the four choices", (role, outcome) => {
    const first = running("1", role);
    const b1 = board([first], {
      results: { [first.memory.run!.correlationId]: result(first, { outcome, summary: "boom" }) },
    });
    const p1 = plan(b1, cfg, T0);
    expect(p1.effects.find((e) => e.type === "dispatch")).toMatchObject({ role, attempt: 1 });
    const after = applyEffects(b1, p1.effects, T0).tasks[0]!;
    const b2 = board([after], {
      results: {
        [after.memory.run!.correlationId]: result(after, { outcome, summary: "boom again" }),
      },
    });
    const p2 = expectIdempotent(b2);
    expect(p2.effects.some((e) => e.type === "dispatch")).toBe(false);
    const esc = p2.effects.find((e) => e.type === "escalate");
    expect(esc).toMatchObject({ task: "1", reason: expect.stringContaining("boom again") });
    expect(esc?.type === "escalate" && esc.choices).toHaveLength(4);
    expect(p2.waiting[0]?.text).toMatch(/^escalated: /);
  });

  it("escalates the second failed test run instead of looping review <-> testing", () => {
    const t = running("1", "tester", {
      memory: { attempts: { task: 0, reviewer: 0, tester: 1, merge: 0 } },
    });
    const b = board([t], {
      results: {
        [t.memory.run!.correlationId]: result(t, { passed: false, summary: "still red" }),
      },
    });
    const p = expectIdempotent(b);
    expect(lines(p.effects)).toEqual(["#1: escalate (the tests failed: still red)"]);
  });

  it("honours retries: 0 (escalate on the first failure)", () => {
    const t = running("1", "task");
    const b = board([t], {
      results: { [t.memory.run!.correlationId]: result(t, { outcome: "failed", summary: "x" }) },
    });
    expect(plan(b, config({ retries: 0 }), T0).effects.map((e) => e.type)).toContain("escalate");
  });
});

describe("timeouts and runs that never start", () => {
  it("cancels an overdue reviewer (10 min) and retries it once the cancelled run ended", () => {
    const b = withRuns(board([running("1", "reviewer")]));
    expect(plan(b, cfg, minutesAfter(T0, 9)).effects).toEqual([]);
    const at = minutesAfter(T0, 11);
    const p = expectIdempotent(b, at);
    expect(lines(p.effects)).toEqual(["#1: cancel run r-1/reviewer/0/1 (over its 10 min timeout)"]);
    expect(p.waiting).toEqual([
      {
        task: "1",
        code: "cancelling",
        text: "waits for the cancelled reviewer run to end (force-cancelled in 5 min if it does not)",
      },
    ]);
    const after = applyEffects(b, p.effects, at);
    after.runs["1/reviewer/0/1"]!.status = "completed";
    expect(lines(plan(after, cfg, minutesAfter(at, 1)).effects)).toEqual([
      "#1: dispatch reviewer attempt 1 [1/reviewer/1/2] model claude-sonnet-5-5",
      "repo: save memory (paused false, 1 dispatches in the last hour)",
    ]);
  });

  it("never lets two agents write one branch: the retry waits for the cancel, or the force-cancel", () => {
    for (const role of ["task", "reviewer", "tester"] as const) {
      const b = withRuns(board([running("1", role)]));
      const at = minutesAfter(T0, 16);
      const first = plan(b, cfg, at);
      expect(dispatches(first.effects)).toEqual([]);
      const after = applyEffects(b, first.effects, at);
      // Still running 4 min after the cancel: nothing new, the task says why.
      const mid = plan(after, cfg, minutesAfter(at, 4));
      expect(mid.effects).toEqual([]);
      expect(mid.waiting.map((w) => w.code)).toEqual(["cancelling"]);
      // Past the grace period: force-cancelled, then (and only then) the retry.
      const late = lines(plan(after, cfg, minutesAfter(at, 6)).effects);
      expect(late[0]).toMatch(/^#1: force-cancel run /);
      expect(late[1]).toMatch(new RegExp(`^#1: dispatch ${role} attempt 1 `));
    }
  });

  it("force-cancels a run still going after the grace period", () => {
    const b = withRuns(board([running("1", "task")]));
    const at = minutesAfter(T0, 16);
    const afterCancel = applyEffects(b, plan(b, cfg, at).effects, at);
    expect(plan(afterCancel, cfg, minutesAfter(at, 4)).effects).toEqual([]);
    const p = plan(afterCancel, cfg, minutesAfter(at, 6));
    expect(lines(p.effects)).toContain(
      "#1: force-cancel run r-1/task/0/1 (still running 5 min after the cancel)",
    );
  });

  it("a run being cancelled keeps its slot until it ends", () => {
    const busy = ["2", "3", "4", "5", "6"].map((id) => running(id, "task"));
    const b = withRuns(board([running("1", "reviewer"), ...busy]));
    const at = minutesAfter(T0, 11);
    const p = plan(b, cfg, at);
    expect(lines(p.effects)).toEqual(["#1: cancel run r-1/reviewer/0/1 (over its 10 min timeout)"]);
    expect(p.slots).toEqual({ used: 6, capacity: 6 });
    const after = applyEffects(b, p.effects, at);
    after.runs["1/reviewer/0/1"]!.status = "completed";
    expect(dispatches(plan(after, cfg, minutesAfter(at, 1)).effects)).toEqual(["1:reviewer"]);
  });

  it("forgets a cancelled run that ended by itself", () => {
    const b = withRuns(board([running("1", "task")]));
    const at = minutesAfter(T0, 16);
    const after = applyEffects(b, plan(b, cfg, at).effects, at);
    after.runs["1/task/0/1"]!.status = "completed";
    const p = plan(after, cfg, minutesAfter(at, 1));
    expect(p.effects.map((e) => e.type)).toEqual(["save-memory", "dispatch", "save-repo-memory"]);
    expect(p.effects[0]?.type === "save-memory" && p.effects[0].memory.cancelling).toBeUndefined();
  });

  it("re-dispatches an in-progress task whose agent never started, as a retry", () => {
    const b = board([running("1", "task")]); // no run observed at all
    expect(plan(b, cfg, minutesAfter(T0, 5)).effects).toEqual([]);
    const p = expectIdempotent(b, minutesAfter(T0, 11));
    expect(p.effects.find((e) => e.type === "dispatch")).toMatchObject({
      role: "task",
      attempt: 1,
    });
    expect(p.effects.find((e) => e.type === "save-memory")).toMatchObject({
      memory: { lastFailure: "the task agent never started within 10 min" },
    });
  });

  it("treats a run that ended without a result as a failure", () => {
    const b = withRuns(board([running("1", "tester")]));
    b.runs["1/tester/0/1"]!.status = "completed";
    b.runs["1/tester/0/1"]!.conclusion = "failure";
    const p = expectIdempotent(b);
    expect(p.effects.find((e) => e.type === "dispatch")).toMatchObject({
      role: "tester",
      attempt: 1,
    });
  });
});

describe("pre-flight, pause, bad config, loop guards", () => {
  it("a failed pre-flight blocks every dispatch and is the reason", () => {
    const b = board([task({ id: "1" }), task({ id: "2", stage: "review", pr: true })], {
      preflight: [
        { name: "qdrant", ok: false, detail: "http://localhost:6333/readyz answered 503" },
      ],
    });
    const p = expectIdempotent(b);
    expect(p.effects).toEqual([]);
    expect(p.waiting.map((w) => w.text)).toEqual([
      "pre-flight failed: http://localhost:6333/readyz answered 503",
      "pre-flight failed: http://localhost:6333/readyz answered 503",
    ]);
  });

  it("pausing the repository stops dispatching but not merging", () => {
    const b = board(
      [
        task({ id: "1" }),
        task({
          id: "2",
          stage: "merge-queue",
          pr: true,
          memory: passOn("2"),
        }),
      ],
      {
        repoMemory: { paused: true, pausedReason: "release freeze", dispatches: [] },
      },
    );
    const p = plan(b, cfg, T0);
    expect(p.effects.map((e) => e.type)).toEqual([
      "merge",
      "set-stage",
      "save-memory",
      "close-issue",
    ]);
    expect(waits(p)).toEqual([
      { task: "1", reason: "dispatching paused: release freeze (/conveyor resume)" },
    ]);
  });

  it("an invalid configuration dispatches and merges nothing", () => {
    const b = board([task({ id: "1" })], { configErrors: ["`capacity.agents`: Too small"] });
    const p = plan(b, cfg, T0);
    expect(p.effects).toEqual([]);
    expect(p.waiting[0]?.text).toBe("configuration invalid: `capacity.agents`: Too small");
  });

  it("escalates a task that reached the cap of agent runs", () => {
    const b = board([task({ id: "1", stage: "review", pr: true, memory: { runs: 6 } })]);
    const p = expectIdempotent(b, T0, config({ guards: { maxRunsPerTask: 6 } }));
    expect(lines(p.effects)).toEqual([
      "#1: escalate (loop guard: 6 agent runs reached the cap of 6)",
    ]);
  });

  it("the in-flight slot a loop guard gives back is taken in the same plan", () => {
    // Found by the property test (seed -1748148010): a task earlier in the dispatch order
    // waited for "in-flight tasks full" though a later one was escalated in that same plan,
    // so a second plan over the board picked it up.
    const c = config({ capacity: { agents: 2, inFlight: 1 }, guards: { maxRunsPerTask: 6 } });
    const b = board([
      // Both need a task agent; #2 comes first in the dispatch order (higher priority).
      task({ id: "1", stage: "in-progress", priority: "low", memory: { runs: 6 } }),
      task({ id: "2", priority: "critical" }),
    ]);
    const p = expectIdempotent(b, T0, c);
    expect(lines(p.effects)).toContain(
      "#1: escalate (loop guard: 6 agent runs reached the cap of 6)",
    );
    expect(dispatches(p.effects)).toEqual(["2:task"]);
  });

  it("escalates a task whose cost budget is spent", () => {
    const b = board([task({ id: "1", stage: "in-progress", memory: { costUsd: 21 } })]);
    expect(lines(plan(b, cfg, T0).effects)).toEqual([
      "#1: escalate (cost budget spent: $21.00 of $20.00)",
    ]);
  });

  it("pauses re-dispatches at the hourly cap and resumes as the window frees", () => {
    const c = config({ guards: { maxDispatchesPerHour: 2 } });
    // Back from review for changes: its fourth run, a re-dispatch.
    const b = board([task({ id: "1", stage: "in-progress", pr: true, memory: { runs: 3 } })], {
      repoMemory: {
        paused: false,
        dispatches: [
          minutesAfter(T0, -70).toISOString(),
          minutesAfter(T0, -50).toISOString(),
          minutesAfter(T0, -10).toISOString(),
        ],
      },
    });
    const p = plan(b, c, T0);
    expect(p.effects.map((e) => e.type)).toEqual(["save-repo-memory"]);
    expect(p.waiting[0]?.text).toMatch(
      /^dispatch limit: 2 re-dispatches and retries in the last hour/,
    );
    expect(dispatches(plan(b, c, minutesAfter(T0, 11)).effects)).toEqual(["1:task"]);
  });

  it("the hourly cap never holds back a task's first runs: more or faster agents are not capped", () => {
    const c = config({ capacity: { agents: 12 }, guards: { maxDispatchesPerHour: 2 } });
    const full = { paused: false, dispatches: [T0, T0].map((t) => t.toISOString()) };
    const b = board(
      [
        task({ id: "1" }),
        task({ id: "2", stage: "review", pr: true, memory: { runs: 1 } }),
        task({
          id: "3",
          stage: "testing",
          pr: true,
          memory: { runs: 2, verdicts: reviewedAt(headOf("3")) },
        }),
      ],
      { repoMemory: full },
    );
    const p = plan(b, c, T0);
    expect(dispatches(p.effects)).toEqual(["3:tester", "2:reviewer", "1:task"]);
    // First runs leave the window as it was: they are not what the cap counts.
    expect(p.effects.some((e) => e.type === "save-repo-memory")).toBe(false);
  });

  it("counts a retry toward the hourly cap, even among a task's first runs", () => {
    const c = config({ guards: { maxDispatchesPerHour: 2 } });
    const full = { paused: false, dispatches: [T0, T0].map((t) => t.toISOString()) };
    const b = board(
      [
        task({
          id: "1",
          stage: "in-progress",
          memory: { runs: 1, attempts: { task: 1, reviewer: 0, tester: 0, merge: 0 } },
        }),
      ],
      { repoMemory: full },
    );
    const p = plan(b, c, T0);
    expect(dispatches(p.effects)).toEqual([]);
    expect(p.waiting[0]?.text).toMatch(/^dispatch limit: /);
  });
});

describe("overlapping locations", () => {
  it("a task waits while another task agent works on the same files", () => {
    const b = withRuns(
      board([
        running("1", "task", { locations: ["src/db.ts", "src/api/"] }),
        task({ id: "2", locations: ["./src/db.ts"] }),
        task({ id: "3", locations: ["src/api/routes.ts"] }),
        task({ id: "4", locations: ["src/ui.ts"] }),
      ]),
    );
    const p = plan(b, cfg, T0);
    expect(dispatches(p.effects)).toEqual(["4:task"]);
    expect(waits(p)).toEqual([
      { task: "2", reason: "waits for #1: both touch src/db.ts" },
      { task: "3", reason: "waits for #1: both touch src/api/routes.ts" },
      { task: "1", reason: "task agent running: 0 of 15 min" },
    ]);
  });

  it("two new tasks on the same file do not start together", () => {
    const b = board([
      task({ id: "1", locations: ["a.ts"] }),
      task({ id: "2", locations: ["a.ts"] }),
    ]);
    expect(dispatches(plan(b, cfg, T0).effects)).toEqual(["1:task"]);
  });

  it("is off when configured off, and never blocks reviewers", () => {
    const b = board([
      task({ id: "1", locations: ["a.ts"] }),
      task({ id: "2", locations: ["a.ts"] }),
    ]);
    expect(
      dispatches(plan(b, config({ guards: { exclusiveLocations: false } }), T0).effects),
    ).toEqual(["1:task", "2:task"]);
    const r = withRuns(
      board([
        running("1", "task", { locations: ["a.ts"] }),
        task({ id: "2", stage: "review", pr: true, locations: ["a.ts"] }),
      ]),
    );
    expect(dispatches(plan(r, cfg, T0).effects)).toEqual(["2:reviewer"]);
  });
});

const passOn = (id: string, sha = `head${id}`.padEnd(40, "0"), baseSha?: string) => ({
  verdicts: {
    ...reviewedAt(sha),
    test: {
      role: "tester" as const,
      value: "pass" as const,
      sha,
      at: T0.toISOString(),
      ...(baseSha ? { baseSha } : {}),
    },
  },
});

describe("merge queue", () => {
  const queued = (id: string, files: string[], extra: object = {}) =>
    task({
      id,
      stage: "merge-queue",
      pr: { changedFiles: files, ...extra },
      memory: { ...passOn(id), stageSince: `2026-11-0${id}T00:00:00.000Z` },
    });

  it("merges one PR at a time, pinned to the tested head", () => {
    const b = board([queued("1", ["a.ts"]), queued("2", ["a.ts"])]);
    const p = expectIdempotent(b);
    expect(lines(p.effects)).toEqual([
      "merge #1 (PR 101 @ head100) by merge",
      "#1: merge-queue -> done (merged)",
      "#1: close (completed)",
      "#2: merge-queue -> testing (PR #101 merged first and touches a.ts: re-test on the new base)",
      "#2: dispatch tester attempt 0 [2/tester/0/1] model claude-sonnet-5-5",
    ]);
    expect(p.mergeQueue).toEqual(["1"]);
  });

  it("keeps later disjoint PRs queued behind a full batch", () => {
    const b = board([queued("1", ["a.ts"]), queued("2", ["b.ts"]), queued("3", ["c.ts"])]);
    const p = plan(b, config({ merge: { maxBatch: 2 } }), T0);
    expect(lines(p.effects)[0]).toBe(
      "merge #1 (PR 101 @ head100) + #2 (PR 102 @ head200) by merge",
    );
    // Nothing is ahead of #3 once this pass's batch merged: it is next.
    expect(waits(p)).toEqual([
      {
        task: "3",
        reason: "merge queue: next, after this pass's batch of 2 (the most one batch holds)",
      },
    ]);
  });

  it("batches PRs whose changed files are pairwise disjoint", () => {
    const b = board([
      queued("1", ["a.ts"]),
      queued("2", ["a.ts", "b.ts"]),
      queued("3", ["c.ts"]),
      queued("4", ["d.ts"]),
    ]);
    const p = plan(b, cfg, T0);
    expect(lines(p.effects)[0]).toBe(
      "merge #1 (PR 101 @ head100) + #3 (PR 103 @ head300) + #4 (PR 104 @ head400) by merge",
    );
    expect(lines(p.effects)).toContain(
      "#2: merge-queue -> testing (PR #101 merged first and touches a.ts: re-test on the new base)",
    );
    const serial = plan(b, config({ merge: { batchDisjoint: false } }), T0);
    expect(lines(serial.effects)[0]).toBe("merge #1 (PR 101 @ head100) by merge");
  });

  it("uses the configured method", () => {
    const p = plan(
      board([queued("1", ["a.ts"])]),
      config({ merge: { method: "squash", deleteBranch: false } }),
      T0,
    );
    expect(p.effects[0]).toMatchObject({ type: "merge", method: "squash", deleteBranch: false });
  });

  it("waits while GitHub computes mergeability", () => {
    const p = expectIdempotent(board([queued("1", ["a.ts"], { mergeable: null })]));
    expect(p.effects).toEqual([]);
    // Platform words belong to the backend: the core says what it waits for, by code.
    expect(p.waiting).toEqual([
      { task: "1", code: "mergeability-unknown", text: "waits to learn whether the PR can merge" },
    ]);
  });

  it("sends a PR back to testing when the base moved under its files", () => {
    const t = queued("1", ["a.ts", "b.ts"], { baseDrift: ["b.ts", "z.ts"] });
    const p = expectIdempotent(board([t]));
    expect(lines(p.effects)).toEqual([
      "#1: merge-queue -> testing (the base branch changed b.ts since the tests ran)",
      "#1: dispatch tester attempt 0 [1/tester/0/1] model claude-sonnet-5-5",
    ]);
  });

  // A tester's pass on base `base1`, of the head it pushed on top of the reviewed head.
  const queuedOn = (id: string, files: string[], o: { pushed?: boolean; extra?: object } = {}) => {
    const reviewed = `rev${id}`.padEnd(40, "0");
    const head = o.pushed ? headOf(id) : reviewed;
    return task({
      id,
      stage: "merge-queue",
      pr: { changedFiles: files, headSha: head, ...(o.extra ?? {}) },
      memory: {
        stageSince: `2026-11-0${id}T00:00:00.000Z`,
        verdicts: {
          ...reviewedAt(reviewed),
          test: {
            role: "tester" as const,
            value: "pass" as const,
            sha: head,
            startSha: reviewed,
            baseSha: "base1".padEnd(40, "0"),
            at: T0.toISOString(),
          },
        },
      },
    });
  };

  it("after a merge, re-tests only the next queued PR on the merged files", () => {
    // k PRs on one file cost k - 1 re-tests, not k²/2: #3 would need a second re-test after
    // #2 merges, so it keeps its place and its verdict until then.
    const b = board([queuedOn("1", ["a.ts"]), queuedOn("2", ["a.ts"]), queuedOn("3", ["a.ts"])]);
    const p = plan(b, cfg, T0);
    // The next pass, with the drift the loader reports under #3, plans nothing new.
    const next = applyEffects(b, p.effects, T0);
    next.tasks.find((t) => t.id === "3")!.pr!.baseDrift = ["a.ts"];
    expect(plan(next, cfg, T0).effects).toEqual([]);
    expect(lines(p.effects)).toEqual([
      "merge #1 (PR 101 @ rev1000) by merge",
      "#1: merge-queue -> done (merged)",
      "#1: close (completed)",
      "#2: merge-queue -> testing (PR #101 merged first and touches a.ts: re-test on the new base)",
      "#2: dispatch tester attempt 0 [2/tester/0/1] model claude-sonnet-5-5",
    ]);
    expect(waits(p)).toEqual([
      {
        task: "3",
        reason:
          "merge queue: re-tested after #2 (the base changed a.ts since its tests, and #2 touches them too)",
      },
    ]);
    expect(p.mergeQueue).toEqual(["1", "3"]);
  });

  it("a queued PR the base moved under is never merged before its re-test", () => {
    // #3 kept its verdict, but the base changed a.ts since: it is not merged as is, even
    // with nothing ahead of it; it is re-tested.
    const alone = board([queuedOn("3", ["a.ts"], { extra: { baseDrift: ["a.ts"] } })]);
    const p = expectIdempotent(alone);
    expect(p.effects.some((e) => e.type === "merge")).toBe(false);
    expect(lines(p.effects)).toEqual([
      "#3: merge-queue -> testing (the base branch changed a.ts since the tests ran)",
      "#3: dispatch tester attempt 0 [3/tester/0/1] model claude-sonnet-5-5",
    ]);
    // While a PR on its files is still being tested, it waits for that one to merge first.
    const behind = board([
      running("2", "tester", { locations: [], pr: { changedFiles: ["a.ts"] } }),
      queuedOn("3", ["a.ts"], { extra: { baseDrift: ["a.ts"] } }),
    ]);
    const q = plan(withRuns(behind), cfg, T0);
    expect(q.effects).toEqual([]);
    expect(waits(q)).toContainEqual({
      task: "3",
      reason:
        "merge queue: re-tested after #2 (the base changed a.ts since its tests, and #2 touches them too)",
    });
  });

  it("the last tester's own push (its merge of the base) costs no new review on a re-test", () => {
    const b = board([queuedOn("1", ["a.ts"]), queuedOn("2", ["a.ts"], { pushed: true })]);
    const p = expectIdempotent(b);
    expect(lines(p.effects).slice(3)).toEqual([
      "#2: merge-queue -> testing (PR #101 merged first and touches a.ts: re-test on the new base)",
      "#2: dispatch tester attempt 0 [2/tester/0/1] model claude-sonnet-5-5",
    ]);
    // A push by anyone else since the tests still goes back to review.
    const moved = queuedOn("2", ["a.ts"], { pushed: true, extra: { baseDrift: ["a.ts"] } });
    moved.pr!.headSha = "other".padEnd(40, "0");
    expect(dispatches(plan(board([moved]), cfg, T0).effects)).toEqual(["2:reviewer"]);
  });

  it("re-tests a merge caused do not count toward the loop guard", () => {
    const c = config({ guards: { maxRunsPerTask: 6 } });
    const b = board([
      queuedOn("1", ["a.ts"]),
      queuedOn("2", ["a.ts"], { extra: {} }),
      queuedOn("3", ["b.ts"], { extra: { baseDrift: ["b.ts"] } }),
    ]);
    b.tasks[1]!.memory.runs = 6;
    b.tasks[2]!.memory.runs = 6;
    const p = expectIdempotent(b, T0, c);
    expect(lines(p.effects).some((l) => l.includes("escalate"))).toBe(false);
    expect(dispatches(p.effects)).toEqual(["2:tester", "3:tester"]);
  });

  it("decides the same when a merge sends a PR back to testing while every slot is busy", () => {
    const c = config({ capacity: { agents: 1 } });
    for (const pushed of [false, true]) {
      const b = withRuns(
        board([
          running("9", "task", { locations: ["z.ts"] }),
          queuedOn("1", ["a.ts"]),
          queuedOn("2", ["a.ts"], { pushed }),
        ]),
      );
      const p = expectIdempotent(b, T0, c);
      expect(dispatches(p.effects)).toEqual([]);
      expect(waits(p)).toContainEqual({ task: "2", reason: "slots full: 1/1" });
      const after = applyEffects(b, p.effects, T0);
      expect(after.tasks.find((t) => t.id === "2")!.stage).toBe("testing");
    }
  });

  it("ignores base changes to files the PR does not touch", () => {
    const p = plan(board([queued("1", ["a.ts"], { baseDrift: ["z.ts"] })]), cfg, T0);
    expect(p.effects[0]?.type).toBe("merge");
  });

  it("a conflict goes back to a task agent once, then escalates", () => {
    const b = board([queued("1", ["a.ts"], { mergeable: false })]);
    const p = expectIdempotent(b);
    expect(lines(p.effects).slice(0, 2)).toEqual([
      "#1: merge-queue -> in-progress (merge conflict: back to a task agent)",
      "#1: dispatch task attempt 0 [1/task/0/1] model claude-sonnet-5-5",
    ]);
    const again = board([queued("1", ["a.ts"], { mergeable: false })]);
    again.tasks[0]!.memory.attempts.merge = 1;
    expect(lines(plan(again, cfg, T0).effects)).toEqual([
      "#1: escalate (PR #101 conflicts with the base branch (after 1 retry))",
    ]);
  });

  it("a PR merged by hand in the GitHub UI is done, from any stage", () => {
    for (const stage of ["in-progress", "review", "testing", "merge-queue"] as const) {
      const b = withRuns(
        board([
          running("1", stage === "review" ? "reviewer" : "task", { stage, pr: { merged: true } }),
        ]),
      );
      const p = expectIdempotent(b);
      expect(lines(p.effects)).toContain(`#1: ${stage} -> done (PR #101 was merged)`);
      expect(lines(p.effects)).toContain("#1: close (completed)");
    }
  });
});

describe("verdicts are bound to the head SHA they judged", () => {
  it("a push after the review sends the task back to review", () => {
    const b = board([
      task({
        id: "1",
        stage: "testing",
        pr: { headSha: "new".padEnd(40, "0") },
        memory: {
          verdicts: {
            review: {
              role: "reviewer",
              value: "approve",
              sha: "old".padEnd(40, "0"),
              at: T0.toISOString(),
            },
          },
        },
      }),
    ]);
    const p = expectIdempotent(b);
    expect(lines(p.effects)[0]).toBe(
      "#1: testing -> review (the head moved to new0000 after the review of old0000)",
    );
    expect(dispatches(p.effects)).toEqual(["1:reviewer"]);
  });

  it("a push after the tests sends the task back to review (nobody judged the push)", () => {
    const b = board([
      task({
        id: "1",
        stage: "merge-queue",
        pr: { headSha: "new".padEnd(40, "0") },
        memory: passOn("1", "old".padEnd(40, "0")),
      }),
    ]);
    const p = expectIdempotent(b);
    expect(lines(p.effects)[0]).toBe(
      "#1: merge-queue -> review (the head moved to new0000 after the tests passed on old0000; then the head moved to new0000 after the review of old0000)",
    );
    expect(dispatches(p.effects)).toEqual(["1:reviewer"]);
  });

  it("a push after the tests, whose tester had pushed after the review: straight to review", () => {
    // Found by the property test (seed -1974049362): the queue sent the task to testing, and
    // a second plan over that board sent it on to review. Both now happen in one plan.
    const sha = (s: string) => s.padEnd(40, "0");
    const b = board([
      task({
        id: "1",
        stage: "merge-queue",
        pr: { headSha: sha("c") },
        memory: {
          verdicts: {
            review: { role: "reviewer", value: "approve", sha: sha("a"), at: T0.toISOString() },
            test: { role: "tester", value: "pass", sha: sha("b"), at: T0.toISOString() },
          },
        },
      }),
    ]);
    const p = expectIdempotent(b);
    expect(lines(p.effects)[0]).toBe(
      "#1: merge-queue -> review (the head moved to c000000 after the tests passed on b000000; then the head moved to c000000 after the review of a000000)",
    );
    expect(dispatches(p.effects)).toEqual(["1:reviewer"]);
  });

  it("a merge-queue label without a passing test verdict means testing first", () => {
    const b = board([
      task({
        id: "1",
        stage: "merge-queue",
        pr: true,
        memory: { verdicts: reviewedAt(headOf("1")) },
      }),
    ]);
    expect(lines(plan(b, cfg, T0).effects)[0]).toBe(
      "#1: merge-queue -> testing (no passing test verdict)",
    );
  });

  it("a merge-queue or testing label without an approving review means review first", () => {
    for (const stage of ["merge-queue", "testing"] as const) {
      const p = expectIdempotent(board([task({ id: "1", stage, pr: true })]));
      expect(lines(p.effects)[0]).toMatch(
        new RegExp(`^#1: ${stage} -> review \\(.*no approving review verdict\\)$`),
      );
      expect(dispatches(p.effects)).toEqual(["1:reviewer"]);
    }
  });
});

describe("escalated and finished tasks", () => {
  it("are left alone, with the reason", () => {
    const b = board([
      task({
        id: "1",
        stage: "review",
        pr: true,
        memory: {
          escalation: { reason: "tests failed twice", at: T0.toISOString(), stage: "testing" },
        },
      }),
      task({ id: "2", stage: "done" }),
    ]);
    const p = expectIdempotent(b);
    expect(p.effects).toEqual([]);
    expect(waits(p)).toEqual([
      { task: "1", reason: "escalated: tests failed twice — waiting for a maintainer's choice" },
    ]);
  });

  it("a PR closed without merging escalates", () => {
    const b = board([task({ id: "1", stage: "review", pr: { closed: true } })]);
    expect(lines(plan(b, cfg, T0).effects)).toEqual([
      "#1: escalate (PR #101 was closed without merging)",
    ]);
  });
});

describe("shared append-only files (the changelog)", () => {
  const queued = (id: string, files: string[]) =>
    task({
      id,
      stage: "merge-queue",
      pr: { changedFiles: files },
      memory: { ...passOn(id), stageSince: `2026-11-0${id}T00:00:00.000Z` },
    });

  it("do not make PRs overlap, so disjoint work still merges as one batch", () => {
    const p = plan(
      board([queued("1", ["a.ts", "CHANGELOG.md"]), queued("2", ["b.ts", "CHANGELOG.md"])]),
      cfg,
      T0,
    );
    expect(lines(p.effects)[0]).toBe(
      "merge #1 (PR 101 @ head100) + #2 (PR 102 @ head200) by merge",
    );
  });

  it("do not count as the base moving under a PR", () => {
    const t = task({
      id: "1",
      stage: "merge-queue",
      pr: { changedFiles: ["a.ts", "CHANGELOG.md"], baseDrift: ["CHANGELOG.md"] },
      memory: passOn("1"),
    });
    expect(plan(board([t]), cfg, T0).effects[0]?.type).toBe("merge");
  });

  it("are configurable (empty list: every file counts)", () => {
    const c = config({ merge: { sharedFiles: [] } });
    const p = plan(
      board([queued("1", ["a.ts", "CHANGELOG.md"]), queued("2", ["b.ts", "CHANGELOG.md"])]),
      c,
      T0,
    );
    expect(lines(p.effects)[0]).toBe("merge #1 (PR 101 @ head100) by merge");
  });
});

describe("sameJson (the plan's memory comparison)", () => {
  it("equal as canonicalJson sees them, and only then", async () => {
    const { sameJson } = await import("../../src/core/plan.js");
    const { canonicalJson } = await import("../../src/core/json.js");
    const cases: [unknown, unknown][] = [
      [
        { a: 1, b: [1, { c: "x" }] },
        { b: [1, { c: "x" }], a: 1 },
      ],
      [{ a: 1, gone: undefined }, { a: 1 }],
      [{ a: 1 }, { a: 2 }],
      [{ a: [1, 2] }, { a: [1, 2, 3] }],
      [{ a: {} }, { a: [] }],
      [{ a: null }, { a: undefined }],
      [{ run: { role: "task" } }, { run: { role: "task", headSha: "x" } }],
      ["1", 1],
    ];
    for (const [a, b] of cases) expect(sameJson(a, b)).toBe(canonicalJson(a) === canonicalJson(b));
  });
});
