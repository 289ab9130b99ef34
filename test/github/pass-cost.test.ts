/**
 * What a busy board costs per pass, at the real edge (the whole reconcile on the fake
 * GitHub, each pass with an empty cache as an orchestrator Action run starts), and that the
 * savings lose nothing: the dashboard coalesces routine edits yet its chart holds every run;
 * the scheduling of a task waiting for a slot is checked once, yet a label added later by
 * someone not allowed to schedule is still refused.
 */
import { describe, expect, it } from "vitest";
import { readMarker } from "../../src/core/markers.js";
import { DASHBOARD_TITLE } from "../../src/github/port.js";
import { scenario } from "./scenario.js";

const PRIORITIES = ["low", "critical", "medium", "high", "medium", "critical", "low", "high"];

/** One pass per agent result, one simulated minute apart (the template's workflow_run events). */
async function onePassPerResult(s: ReturnType<typeof scenario>): Promise<number> {
  let passes = 0;
  await s.pass();
  passes++;
  for (let i = 0; i < 200 && !s.allClosed(); i++) {
    s.sim.startAll();
    s.sim.finish(1);
    s.tick();
    await s.pass();
    passes++;
  }
  expect(s.allClosed()).toBe(true);
  return passes;
}

function dashboardOf(s: ReturnType<typeof scenario>) {
  const issue = [...s.gh.issues.values()].find((i) => i.title === DASHBOARD_TITLE);
  expect(issue).toBeDefined();
  return issue!;
}

describe("what a pass costs on a busy board", () => {
  it("the dashboard is edited far less than once per pass, and its chart still shows every agent run", async () => {
    const s = scenario({ priorities: PRIORITIES, freshCachePerPass: true });
    const passes = await onePassPerResult(s);
    const board = dashboardOf(s);
    const edits = s.gh.calls.filter((c) => c.startsWith(`o/r#${board.number}:edit`)).length;
    expect(edits).toBeLessThan(passes / 2);
    // Every run the agents made is in the chart kept in the marker, once.
    const marker = readMarker("board", board.body) as { timeline?: { id: string }[] };
    const charted = (marker.timeline ?? []).map((r) => r.id).sort();
    const dispatched = s.gh.runs.map((r) => r.title).sort();
    expect(dispatched.length).toBe(PRIORITIES.length * 3);
    expect(charted).toEqual([...new Set(charted)]);
    for (const title of dispatched) expect(charted.some((id) => title.includes(id))).toBe(true);
  });

  it("a run that ended while the dashboard waited is charted, even once the runs listed no longer reach back to it", async () => {
    const s = scenario({ priorities: ["high"], freshCachePerPass: true });
    await s.pass(); // t=0: #1's task agent
    s.sim.startAll();
    s.tick(12);
    const second = s.gh.addIssue({ title: "Second", labels: ["conveyor:todo"] });
    s.sim.files.set(second, ["src/second.ts"]);
    await s.pass(); // t=12: #2's task agent; the dashboard is written
    const board = dashboardOf(s);
    const edits = () => s.gh.calls.filter((c) => c.startsWith(`o/r#${board.number}:edit`)).length;
    s.sim.startAll();
    s.tick(2);
    s.sim.finish(1); // #1's task agent ends (its run was created at t=0)
    const before = edits();
    await s.pass(); // t=14: #1's reviewer; a routine change: the dashboard waits
    expect(edits()).toBe(before);
    s.sim.startAll();
    s.tick(2);
    s.sim.finish(1); // #2's task agent ends
    await s.pass(); // t=16: still within five minutes of the last write
    s.tick(2);
    await s.pass(); // t=18: written; the runs in flight were dispatched at t=14 and t=16
    expect(edits()).toBeGreaterThan(before);
    const marker = readMarker("board", dashboardOf(s).body) as { timeline?: { id: string }[] };
    const charted = (marker.timeline ?? []).map((r) => r.id);
    expect(charted).toContain(`${s.issues[0]}/task/0/1`);
    expect(charted).toContain(`${second}/task/0/1`);
  });

  it("the board at rest is shown at once: the last pass writes what the board ended with", async () => {
    const s = scenario({ priorities: PRIORITIES, freshCachePerPass: true });
    await onePassPerResult(s);
    const body = dashboardOf(s).body;
    expect(body).toContain("**no open tasks** · agents 0/6");
  });

  it("tasks waiting for a slot: their scheduler's permission is read once, not once per pass", async () => {
    const s = scenario({ priorities: PRIORITIES, freshCachePerPass: true });
    await s.pass();
    for (let i = 0; i < 5; i++) {
      s.sim.startAll();
      s.sim.finish(1);
      s.tick();
      await s.pass();
    }
    // Two tasks still wait in todo (six in flight), each pass started with nothing cached.
    const waiting = [...s.gh.issues.values()].filter((i) => i.labels.includes("conveyor:todo"));
    expect(waiting.length).toBe(2);
    expect(s.gh.calls.filter((c) => c.startsWith("GET permission")).length).toBe(1);
  });

  it("a stage label a triager adds to an accepted waiting task is still refused", async () => {
    const s = scenario({ priorities: PRIORITIES, freshCachePerPass: true });
    s.gh.permissions.set("trish", "triage");
    await s.pass();
    await s.pass();
    const waiting = [...s.gh.issues.values()].find((i) => i.labels.includes("conveyor:todo"));
    expect(waiting).toBeDefined();
    const n = waiting!.number;
    const runsBefore = s.gh.runs.length;
    s.tick();
    s.gh.labelAs("trish", n, ["conveyor:in-progress"]);
    await s.pass();
    expect(s.gh.issue(n).labels).not.toContain("conveyor:in-progress");
    expect(s.gh.issue(n).labels).toContain("conveyor:todo");
    expect(
      s.gh.commentsOn(n).some((c) => c.body.includes("I removed the `conveyor:in-progress` label")),
    ).toBe(true);
    expect(s.gh.runs.length).toBe(runsBefore);
  });

  it("a maintainer re-adding the todo label later is checked again (the record names the label's time)", async () => {
    const s = scenario({ priorities: PRIORITIES, freshCachePerPass: true });
    await s.pass();
    await s.pass();
    const before = s.gh.calls.filter((c) => c.startsWith("GET permission")).length;
    const waiting = [...s.gh.issues.values()].find((i) => i.labels.includes("conveyor:todo"))!;
    s.tick();
    s.gh.permissions.set("maintainer", "read"); // lost their access meanwhile
    s.gh.labelAs("maintainer", waiting.number, ["conveyor:todo"]); // no-op: already there
    const issue = s.gh.issue(waiting.number);
    issue.labels = issue.labels.filter((l) => l !== "conveyor:todo");
    s.gh.labelAs("maintainer", waiting.number, ["conveyor:todo"]);
    await s.pass();
    expect(s.gh.calls.filter((c) => c.startsWith("GET permission")).length).toBe(before + 1);
    expect(s.gh.issue(waiting.number).labels).not.toContain("conveyor:todo");
  });
});
