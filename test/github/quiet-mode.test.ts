/**
 * Quiet mode end to end over the fake GitHub (issue 12, `comments: sticky`): a task from
 * todo to merged posts one status comment and one result comment on its issue (each run
 * edits it), instead of a new comment per run; the PR head carries a `Conveyor` check that
 * shows the stage and is not written again by a pass that changes nothing.
 */
import { describe, expect, it } from "vitest";
import { readMarker } from "../../src/core/markers.js";
import { STICKY_RESULTS_HEADER, stickyEntries } from "../../src/core/sticky-results.js";
import { STATUS_HEADER } from "../../src/github/format-status-comment.js";
import { scenario } from "./scenario.js";

const checkCalls = (calls: string[]) => calls.filter((c) => /check-run/i.test(c));

describe("quiet mode end to end", () => {
  it("a task from todo to merged: 2 comments on its issue in sticky mode, one per run more in each mode", async () => {
    const counts: Record<string, number> = {};
    for (const mode of ["each", "sticky"] as const) {
      const s = scenario({ priorities: ["high"], config: { comments: mode } });
      s.sim.sticky = mode === "sticky";
      expect(await s.runUntilDone()).toBe(true);
      expect(s.reports.every((r) => r.failed === undefined)).toBe(true);
      const onIssue = s.gh.comments.filter((c) => c.issue === s.issues[0]);
      counts[mode] = onIssue.length;
      if (mode === "sticky") {
        expect(onIssue.map((c) => c.body.split("\n")[0])).toEqual([
          STATUS_HEADER,
          STICKY_RESULTS_HEADER,
        ]);
        // Every run's result is in the one comment, newest first.
        const entries = stickyEntries(readMarker("results", onIssue[1]!.body))!;
        expect(entries.map((e) => e.result.role)).toEqual(["tester", "reviewer", "task"]);
        // The orchestrator rewrote its status comment on every move but never the results:
        // agents and the orchestrator each write only their own comment (no lost update).
        expect(s.gh.calls.filter((c) => c.includes(":edit-comment")).length).toBeGreaterThan(3);
        expect(s.gh.calls.filter((c) => c.includes(STICKY_RESULTS_HEADER))).toEqual([]);
      }
    }
    // The status comment, then the task agent's, the reviewer's and the tester's result in each mode.
    expect(counts).toEqual({ each: 4, sticky: 2 });
  });

  it("the Conveyor check follows the task on its PR head, completed when merged", async () => {
    const s = scenario({ priorities: ["high"], config: { comments: "sticky" } });
    s.sim.sticky = true;
    await s.pass(); // dispatches the task agent: no PR yet, no check
    expect(s.gh.checkRuns).toEqual([]);
    s.agentsWork();
    await s.pass(); // the PR is there: review
    const pr = [...s.gh.pulls.values()][0]!;
    const conveyor = () => s.gh.checkRuns.filter((c) => c.name === "Conveyor");
    expect(conveyor().map((c) => [c.headSha, c.status, c.title])).toEqual([
      [pr.headSha, "in_progress", "Review"],
    ]);
    // A pass that changes nothing writes no check (not even a read of the check runs).
    const before = s.gh.calls.length;
    await s.pass();
    expect(checkCalls(s.gh.calls.slice(before))).toEqual([]);
    expect(await s.runUntilDone()).toBe(true);
    expect(conveyor()).toHaveLength(1);
    expect(conveyor()[0]).toMatchObject({
      status: "completed",
      conclusion: "success",
      title: "Merged",
    });
  });

  it("in each mode (the default) no Conveyor check is written", async () => {
    const s = scenario({ priorities: ["high"] });
    expect(await s.runUntilDone()).toBe(true);
    expect(s.gh.checkRuns.filter((c) => c.name === "Conveyor")).toEqual([]);
  });
});
