import { describe, expect, it } from "vitest";
import { emptyMemory } from "../../src/core/board.js";
import { defaultConfig } from "../../src/core/config.js";
import type { Effect } from "../../src/core/effects.js";
import { executeEffects } from "../../src/github/executor.js";
import { formatEscalation } from "../../src/github/format-escalation.js";
import { cell, formatStatusComment } from "../../src/github/format-status-comment.js";
import { loadSnapshot } from "../../src/github/load-board.js";
import { FakeGitHub } from "../support/fake-github/index.js";

const BOT = "conveyor[bot]";
const now = new Date("2026-11-25T10:00:00.000Z");
const config = defaultConfig();

async function setup(labels = ["conveyor:in-progress", "priority:high"]) {
  const gh = new FakeGitHub({ now: () => now, botLogin: BOT });
  const n = gh.addIssue({ title: "Fix the thing", labels });
  const load = () => loadSnapshot(gh, config, now, { botLogin: BOT, defaultBranch: "main" });
  const run = async (effects: Effect[], dryRun = false) => {
    const logs: string[] = [];
    const report = await executeEffects(gh, await load(), effects, {
      dryRun,
      log: (l) => logs.push(l),
      config,
      now,
    });
    return { report, logs };
  };
  return { gh, n, load, run };
}

describe("executor effects over the fake GitHub", () => {
  it("a stage move is one label request; to done it also closes the issue", async () => {
    const { gh, run } = await setup();
    await run([{ type: "set-stage", task: "1", from: "in-progress", to: "review", reason: "r" }]);
    const { report } = await run([
      { type: "set-stage", task: "1", from: "review", to: "done", reason: "merged" },
      { type: "close-issue", task: "1", reason: "completed" },
    ]);
    expect(report.skipped).toEqual(["#1: close (completed)"]);
    expect(gh.writeCalls()).toEqual([
      "o/r#1:-conveyor:in-progress,+conveyor:review",
      "o/r#1:edit -conveyor:review,+conveyor:done closed completed",
    ]);
  });

  it("abandon: labels off, CHANGELOG entry committed with [skip ci], closed as not planned", async () => {
    const { gh, run } = await setup([
      "conveyor:in-progress",
      "conveyor:escalated",
      "priority:high",
    ]);
    gh.writeFile("main", "CHANGELOG.md", "# Changelog\n\n## [Unreleased]\n");
    const { report } = await run([
      {
        type: "set-stage",
        task: "1",
        from: "in-progress",
        to: "abandoned",
        reason: "abandoned: dup",
      },
      { type: "save-memory", task: "1", memory: emptyMemory() },
      { type: "record-abandoned", task: "1", title: "Fix the thing", reason: "duplicate of #9" },
      { type: "close-issue", task: "1", reason: "not_planned" },
    ]);
    expect(report.failed).toBeUndefined();
    expect(gh.issue(1)).toMatchObject({
      state: "closed",
      stateReason: "not_planned",
      labels: ["priority:high"],
    });
    expect(gh.fileOn("main", "CHANGELOG.md")).toContain(
      "Abandoned #1: Fix the thing — duplicate of #9",
    );
    expect(gh.writeCalls()).toContain(
      'o/r:commit "Conveyor: record abandoned #1 in CHANGELOG.md [skip ci]" CHANGELOG.md',
    );
  });

  it("save-memory creates the status comment once, then edits it; an equal body is not sent", async () => {
    const { gh, run } = await setup();
    const memory = { ...emptyMemory(), runs: 1 };
    await run([{ type: "save-memory", task: "1", memory }]);
    await run([{ type: "save-memory", task: "1", memory: { ...memory, runs: 2 } }]);
    const { report } = await run([
      { type: "save-memory", task: "1", memory: { ...memory, runs: 2 } },
    ]);
    expect(report.skipped).toHaveLength(1);
    expect(gh.commentsOn(1)).toHaveLength(1);
    expect(gh.writeCalls()).toEqual([
      'o/r#1:comment "### Conveyor status"',
      'o/r#1:edit-comment "### Conveyor status"',
    ]);
  });

  it("dispatch: inputs of the agent workflow; a run with that correlation id is not dispatched again", async () => {
    const { gh, run } = await setup();
    const dispatch: Effect = {
      type: "dispatch",
      task: "1",
      role: "reviewer",
      attempt: 1,
      correlationId: "1/reviewer/1/3",
      model: "claude-sonnet-5-5",
      timeoutMinutes: 10,
      feedback: "The tests failed: x",
      pr: 7,
    };
    // The board lists runs only while one is remembered: remember it as the planner would.
    const memory = {
      ...emptyMemory(),
      runs: 3,
      run: {
        role: "reviewer" as const,
        attempt: 1,
        correlationId: "1/reviewer/1/3",
        dispatchedAt: now.toISOString(),
      },
    };
    await run([{ type: "save-memory", task: "1", memory }, dispatch]);
    expect(gh.runs[0]!.inputs).toEqual({
      mode: "review",
      issue: "1",
      pr: "7",
      attempt: "1",
      feedback: "The tests failed: x",
      "correlation-id": "1/reviewer/1/3",
      model: "claude-sonnet-5-5",
    });
    const { report } = await run([dispatch]);
    expect(report.skipped).toEqual([
      "#1: dispatch reviewer attempt 1 [1/reviewer/1/3] model claude-sonnet-5-5",
    ]);
    expect(gh.runs).toHaveLength(1);
  });

  it("escalate adds the label and offers the choices; clear-escalation removes the label", async () => {
    const { gh, run } = await setup();
    await run([{ type: "escalate", task: "1", reason: "the tests failed twice", choices: [] }]);
    expect(gh.issue(1).labels).toContain("conveyor:escalated");
    await run([{ type: "clear-escalation", task: "1" }]);
    expect(gh.issue(1).labels).not.toContain("conveyor:escalated");
  });

  it("set-priority swaps the priority label", async () => {
    const { gh, run } = await setup();
    await run([{ type: "set-priority", task: "1", from: "high", to: "low" }]);
    expect(gh.issue(1).labels).toEqual(["conveyor:in-progress", "priority:low"]);
  });

  it("save-repo-memory (a /conveyor pause) lands in the dashboard marker and is read back", async () => {
    const { gh, run, load } = await setup();
    await run([
      {
        type: "save-repo-memory",
        memory: { paused: true, pausedReason: "release", dispatches: [] },
      },
    ]);
    expect((await load()).board.repoMemory).toEqual({
      paused: true,
      pausedReason: "release",
      dispatches: [],
    });
    await run([{ type: "save-repo-memory", memory: { paused: false, dispatches: [] } }]);
    expect((await load()).board.repoMemory).toEqual({ paused: false, dispatches: [] });
    expect([...gh.issues.values()].filter((i) => i.title === "Conveyor board")).toHaveLength(1);
  });

  it("write-mirror: one commit in one request; a lost race is retried after a fresh read", async () => {
    const { gh, run } = await setup();
    const files = { "TODO.md": "# TODO\n", "REVIEW.md": "# Review\n" };
    const before = gh.writeCalls().length;
    await run([{ type: "write-mirror", files }]);
    expect(gh.writeCalls().slice(before)).toEqual([
      'o/r:commit "Conveyor: update the tracking files [skip ci]" TODO.md,REVIEW.md',
    ]);
    expect(gh.fileOn("main", "REVIEW.md")).toBe("# Review\n");
    gh.fail({ match: "commitOnBranch", status: 409, message: "Expected branch to point to" });
    const r2 = await run([{ type: "write-mirror", files: { "TODO.md": "# TODO\n- x\n" } }]);
    expect(r2.report.failed).toBeUndefined();
    expect(gh.fileOn("main", "TODO.md")).toBe("# TODO\n- x\n");
    expect(gh.writeCalls().filter((c) => c.includes(":commit "))).toHaveLength(3);
    // The race was lost to a writer of the same content: the retry finds it and writes nothing.
    gh.fail({
      match: "commitOnBranch",
      status: 409,
      message: "Expected branch to point to",
      run: () => gh.writeFile("main", "TODO.md", "# TODO\n- y\n"),
    });
    const r3 = await run([{ type: "write-mirror", files: { "TODO.md": "# TODO\n- y\n" } }]);
    expect(r3.report.failed).toBeUndefined();
    expect(r3.report.skipped).toHaveLength(1);
    expect(gh.writeCalls().filter((c) => c.includes(":commit "))).toHaveLength(4);
  });

  it("stops at the first failure and applies nothing after it", async () => {
    const { gh, run } = await setup();
    gh.fail({ match: "setLabels", status: 502, message: "Bad Gateway" });
    const { report } = await run([
      { type: "set-stage", task: "1", from: "in-progress", to: "review", reason: "r" },
      { type: "comment", task: "1", body: "after" },
    ]);
    expect(report.failed).toEqual({
      effect: "#1: in-progress -> review (r)",
      // The status and the call are part of it (the log says why a pass failed).
      error: "Bad Gateway (502, o/r#1:-conveyor:in-progress,+conveyor:review)",
    });
    expect(gh.commentsOn(1)).toHaveLength(0);
  });

  it("a task's refused write (404) does not stop the other tasks' effects; an outage (502) does", async () => {
    const gh = new FakeGitHub({ now: () => now, botLogin: BOT });
    gh.addIssue({ title: "A", labels: ["conveyor:in-progress"] });
    gh.addIssue({ title: "B", labels: ["conveyor:in-progress"] });
    const load = () => loadSnapshot(gh, config, now, { botLogin: BOT, defaultBranch: "main" });
    const effects: Effect[] = [
      { type: "set-stage", task: "1", from: "in-progress", to: "review", reason: "r" },
      { type: "comment", task: "1", body: "after the move" },
      { type: "comment", task: "2", body: "other task" },
    ];
    const options = { dryRun: false, log: () => {}, config, now };
    gh.fail({ match: "setLabels", status: 404, message: "Not Found" });
    const refused = await executeEffects(gh, await load(), effects, options);
    // The failure names its status and call, not only GitHub's message.
    expect(refused.failed).toEqual({
      effect: "#1: in-progress -> review (r)",
      error: expect.stringMatching(/^Not Found \(404, /),
    });
    expect(gh.commentsOn(1)).toHaveLength(0);
    expect(gh.commentsOn(2).map((c) => c.body)).toEqual(["other task"]);
    gh.fail({ match: "setLabels", status: 502, message: "Bad Gateway" });
    const outage = await executeEffects(gh, await load(), effects, options);
    expect(outage.notApplied).toEqual(["#1: comment", "#2: comment"]);
    expect(gh.commentsOn(2)).toHaveLength(1);
  });

  it("cancel without a known run id, or of a completed run, is skipped", async () => {
    const { run } = await setup();
    const { report } = await run([
      {
        type: "cancel-run",
        task: "1",
        correlationId: "1/task/0/1",
        force: false,
        reason: "timeout",
      },
    ]);
    expect(report.skipped).toHaveLength(1);
  });

  it("dry-run logs describeEffect lines and writes nothing", async () => {
    const { gh, run } = await setup();
    const { logs } = await run(
      [
        { type: "set-stage", task: "1", from: "in-progress", to: "review", reason: "r" },
        {
          type: "merge",
          method: "merge",
          batch: [{ task: "1", pr: 2, sha: "abcdef0123", branch: "b" }],
          deleteBranch: true,
        },
      ],
      true,
    );
    expect(logs).toEqual([
      "[dry-run] #1: in-progress -> review (r)",
      "[dry-run] merge #1 (PR 2 @ abcdef0) by merge",
    ]);
    expect(gh.writeCalls()).toEqual([]);
  });
});

describe("what people read", () => {
  it("the status comment", () => {
    const memory = {
      ...emptyMemory(),
      runs: 3,
      attempts: { task: 0, reviewer: 0, tester: 1, merge: 0 },
      tokens: 48210,
      costUsd: 0.734,
      lastFailure: "the tests failed: `npm test -- src/a.test.ts` exit 1 | see log",
      run: {
        role: "tester" as const,
        attempt: 1,
        correlationId: "12/tester/1/3",
        dispatchedAt: now.toISOString(),
      },
    };
    const pr = {
      number: 40,
      headSha: "a".repeat(40),
      branch: "conveyor/12-x",
      changedFiles: [],
      merged: false,
      mergeable: true,
    };
    const body = formatStatusComment({ id: "12", stage: "testing", pr }, memory, {
      runUrl: "https://github.com/o/r/actions/runs/99",
    });
    expect(
      body.replace(/<!-- conveyor:state .* -->/, "<!-- state marker -->"),
    ).toMatchInlineSnapshot(`
      "### Conveyor status

      ✅ Todo → ✅ In progress → ✅ Review → ▶️ **Testing** ([tester run](https://github.com/o/r/actions/runs/99)) → ⬜ Merge queue → ⬜ Done

      | | |
      | --- | --- |
      | Stage | **testing** |
      | Failures | task 0 · review 0 · test 1 · merge 0 |
      | Agent runs | 3 |
      | Agent at work | [tester, attempt 2](https://github.com/o/r/actions/runs/99) |
      | Pull request | #40 |
      | Tokens | 48,210 |
      | Cost | $0.73 |
      | Last failure | the tests failed: \`npm test -- src/a.test.ts\` exit 1 \\| see log |

      _Updated in place by Conveyor. Commands: \`/conveyor status\`, \`/conveyor retry\`._

      <!-- state marker -->"
    `);
  });

  it("the escalation comment", () => {
    expect(formatEscalation("the tests failed twice <!-- hidden -->", [])).toMatchInlineSnapshot(`
      "### Conveyor needs a maintainer

      This task is escalated: the tests failed twice

      Choose one, with a comment on this issue:
      - **Manual fix**: push your fix to the task's branch, then \`/conveyor retry\`
      - **Re-scope**: edit this issue's description, then \`/conveyor retry\`
      - **Deprioritize**: \`/conveyor deprioritize <notes>\` (back to the backlog at low priority; say what would bring it back)
      - **Abandon**: \`/conveyor abandon <reason>\` (closes the issue, recorded in CHANGELOG.md)

      Commands count from people with at least **write** permission on this repository."
    `);
  });
});

describe("the status comment before the run's link is known", () => {
  it("names the run and links the agent workflow", () => {
    const memory = {
      ...emptyMemory(),
      runs: 1,
      run: {
        role: "task" as const,
        attempt: 0,
        correlationId: "5/task/0/1",
        dispatchedAt: now.toISOString(),
      },
    };
    const body = formatStatusComment({ id: "5", stage: "in-progress" }, memory, {
      workflowUrl: "https://github.com/o/r/actions/workflows/conveyor-agent.yml",
    });
    expect(body.split("\n").find((l) => l.startsWith("| Agent at work"))).toMatchInlineSnapshot(
      `"| Agent at work | task, attempt 1: run \`conveyor 5/task/0/1\` of the [agent workflow](https://github.com/o/r/actions/workflows/conveyor-agent.yml) |"`,
    );
  });
});

describe("untrusted text in the bot's comments", () => {
  it.each([
    ["ping @octocat and @org/team", "ping @\u200boctocat and @\u200borg/team"],
    ["a | b\nc", "a \\| b c"],
    ["x <!-- conveyor:state {} --> y", "x  y"],
    ["mail me at a@b.c", "mail me at a@\u200bb.c"],
  ])("%j → %j", (input, expected) => {
    expect(cell(input)).toBe(expected);
  });
});
