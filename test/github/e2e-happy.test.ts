import { describe, expect, it } from "vitest";
import { duplicateDispatches, scenario } from "./scenario.js";

const PRIORITIES = ["low", "critical", "medium", "high", "medium", "critical", "low", "high"];

describe("end to end over the fake GitHub", () => {
  it("eight labelled issues flow from todo to merged, six at a time, merges serialized", async () => {
    const s = scenario({ priorities: PRIORITIES });
    const { gh, sim, issues } = s;
    const r0 = await s.pass();
    sim.startAll();
    // Critical first, then high, then medium (oldest first): the two low tasks wait.
    expect(r0!.execution.dispatched.map((d) => d.correlationId)).toEqual([
      "2/task/0/1",
      "6/task/0/1",
      "4/task/0/1",
      "8/task/0/1",
      "3/task/0/1",
      "5/task/0/1",
    ]);
    expect(r0!.plan.waiting.map((w) => [w.task, w.text])).toEqual([
      ["1", "slots full: 6/6; in-flight tasks full: 6/6"],
      ["7", "slots full: 6/6; in-flight tasks full: 6/6"],
    ]);
    expect(gh.issue(1).labels).toContain("conveyor:todo");
    expect(gh.fileOn("main", "TODO.md")).toContain("**1** [low] Task 1 (low)");
    expect(gh.fileOn("main", "IN_PROGRESS.md")).toContain("**2** [critical] Task 2 (critical)");
    sim.finish();
    s.tick();

    expect(await s.runUntilDone()).toBe(true);
    expect(s.reports.every((r) => r.failed === undefined)).toBe(true);
    expect(sim.maxRunning).toBe(6);
    expect(duplicateDispatches(gh)).toEqual([]);
    // Every PR merged exactly once, pinned to the head the tester passed.
    expect(gh.merges).toHaveLength(8);
    expect(new Set(gh.merges).size).toBe(8);
    // Merges are serialized: each merge call completes before the next one is sent, and a
    // pass merges one batch (disjoint files) from the head of the queue.
    const mergeCalls = gh.calls.filter((c) => c.includes(":merge@"));
    expect(mergeCalls).toHaveLength(8);
    // Each merge request carried the SHA the tester passed (checked on the request, not on
    // the merges the fake accepted: it refuses a wrong SHA before recording a merge).
    for (const call of mergeCalls) {
      const [, pr, sha] = /#(\d+):merge@(\w+)/.exec(call)!;
      expect(sha).toBe(sim.testedHeads.get(Number(pr))?.slice(0, 7));
    }
    expect(gh.maxConcurrentMerges).toBe(1);
    // The two low-priority tasks started last and merged last.
    const order = gh.merges.map((m) => Number(m.slice(1, m.indexOf("@"))));
    const issueOfPr = (pr: number) => Number(gh.pull(pr).headRef.split("/")[1]!.split("-")[0]);
    expect(order.slice(-2).map(issueOfPr).sort()).toEqual([1, 7]);
    for (const n of issues) {
      expect(gh.issue(n).labels).toContain("conveyor:done");
      expect(gh.issue(n).stateReason).toBe("completed");
    }
    // The mirror is empty again; the dashboard shows an empty board.
    expect(gh.fileOn("main", "TODO.md")).toContain("_No tasks._");
    expect(gh.fileOn("main", "TESTING.md")).toContain("## Merge queue\n\n_No tasks._");
    const dashboards = [...gh.issues.values()].filter((i) => i.title === "Conveyor board");
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]!.body).toContain("agents 0/6");
    // Mirror commits say [skip ci].
    expect(
      gh.calls.filter((c) => c.includes(":commit ")).every((c) => c.includes("[skip ci]")),
    ).toBe(true);
  });

  it("one pass per agent result: the mirror is committed once per window while agents work, and matches the board at rest", async () => {
    const s = scenario({ priorities: PRIORITIES, freshCachePerPass: true });
    let minutes = 0;
    for (let i = 0; i < 400 && !s.allClosed(); i++) {
      await s.pass();
      s.sim.startAll();
      s.sim.finish(1); // one agent run ends a minute: one pass each
      s.tick();
      minutes++;
    }
    expect(s.allClosed()).toBe(true);
    const commits = s.gh.calls.filter((c) => c.includes(":commit ")).length;
    // A commit per pass before; now at most one per 5 minutes of work, and the last one.
    expect(s.reports.length).toBeGreaterThan(20);
    expect(commits).toBeLessThanOrEqual(Math.ceil(minutes / 5) + 1);
    expect(s.gh.fileOn("main", "TODO.md")).toContain("_No tasks._");
    expect(s.gh.fileOn("main", "TESTING.md")).toContain("## Merge queue\n\n_No tasks._");
    expect(s.gh.fileOn("main", "IN_PROGRESS.md")).not.toMatch(/\*\*\d+\*\*/);
  });

  it("the dashboard while work is in flight", async () => {
    const s = scenario({ priorities: ["high", "low"] });
    await s.pass();
    s.sim.startAll();
    const dashboard = [...s.gh.issues.values()].find((i) => i.title === "Conveyor board")!;
    expect(
      dashboard.body.replace(/<!-- conveyor:board .* -->/, "<!-- marker -->"),
    ).toMatchInlineSnapshot(`
      "# Conveyor board

      **2 in progress** · agents 2/6 · in flight 2/6 · re-dispatches and retries in the last hour: 0

      ## In progress (2)

      | Task | Priority | Agent | PR | Failures | Waiting for |
      | --- | --- | --- | --- | --- | --- |
      | #1 Task 1 (high) | high | task, try 1 | — | 0 |  |
      | #2 Task 2 (low) | low | task, try 1 | — | 0 |  |

      _Empty: todo, review, testing, merge queue._

      ## Pre-flight

      - ✅ main green: the checks of main: success

      ## Totals (open tasks)

      Tokens: 0 · cost: $0.00

      _This issue is rewritten by Conveyor: edits other than ticking a box are lost._

      <!-- marker -->"
    `);
  });

  it("a second pass right after the first writes nothing (level-triggered, idempotent)", async () => {
    const s = scenario({ priorities: ["high", "low", "medium"] });
    await s.pass();
    const writes = s.gh.writeCalls().length;
    await s.pass();
    await s.pass();
    expect(s.gh.writeCalls().length).toBe(writes);
    // Each pass reads the default branch, its config and its recent checks in one request.
    expect(s.gh.calls.filter((c) => c.startsWith("GET base main"))).toHaveLength(3);
    expect(
      s.gh.calls.filter((c) => c.startsWith("GET file") || c.startsWith("GET status")),
    ).toEqual([]);
  });
});

describe("the pass's first request", () => {
  it("reads the default branch, the config and the tracked issues with their comments together", async () => {
    const s = scenario({ priorities: ["high", "low"] });
    await s.pass();
    // The tasks' comments come with them: no list of comments follows.
    expect(s.gh.calls[0]).toBe("GET base main +.github/conveyor.yml +tracked");
    expect(s.gh.calls.filter((c) => c.startsWith("GET comments"))).toEqual([]);
    expect(s.gh.calls.filter((c) => c === "GET tracked")).toEqual([]);
  });

  it("with labels of its own in the config: a second read the first time, then one", async () => {
    const labels = { todo: "ready", inProgress: "doing" };
    const s = scenario({ priorities: [], config: { labels } });
    const n = s.gh.addIssue({ title: "Mine", labels: ["ready"] });
    await s.pass();
    expect(s.gh.issue(n).labels).toContain("doing");
    expect(s.gh.calls.filter((c) => c === "GET tracked")).toHaveLength(1);
    const before = s.gh.calls.length;
    await s.pass();
    expect(s.gh.calls.slice(before).filter((c) => c === "GET tracked")).toEqual([]);
  });
});

describe("a long thread", () => {
  it("an agent's result after the first 100 comments still moves its task", async () => {
    const s = scenario({ priorities: ["high"] });
    const [n] = s.issues as [number];
    await s.pass(); // todo → in-progress, the status comment, the task agent dispatched
    expect(s.gh.issue(n).labels).toContain("conveyor:in-progress");
    for (let i = 0; i < 120; i++) s.gh.addComment(n, `thoughts ${i}`, "someone");
    s.agentsWork(); // its result is comment 122 of the issue
    expect(s.gh.commentsOn(n).length).toBeGreaterThan(100);
    const before = s.gh.calls.length;
    await s.pass();
    expect(s.gh.calls.slice(before)).toContain(`GET comments #${n}`);
    expect(s.gh.issue(n).labels).toContain("conveyor:review");
  });
});
