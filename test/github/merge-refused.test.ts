/**
 * A merge GitHub refuses for good (403, e.g. a PR touching workflows with a token lacking
 * that permission; 422) does not block the queue forever: the task is escalated with
 * GitHub's reason and the queue goes on (issue 11).
 */
import { describe, expect, it } from "vitest";
import { scenario } from "./scenario.js";

describe("a merge GitHub refuses", () => {
  it.each([
    [
      403,
      "Resource not accessible by integration: refusing to allow a GitHub App to create or update workflow `.github/workflows/ci.yml` without `workflows` permission",
    ],
    [422, 'Required status check "build" is expected.'],
  ])(
    "%i: the task is escalated with GitHub's reason, the other task still merges",
    async (status, message) => {
      const s = scenario({ priorities: ["high", "low"] });
      await s.pass();
      s.agentsWork(); // both task agents open their PRs
      const prOf = (n: number) =>
        [...s.gh.pulls.values()].find((p) => p.headRef.startsWith(`conveyor/${n}-`))!.number;
      const refusedPr = prOf(s.issues[0]!);
      s.gh.fail({ match: new RegExp(`#${refusedPr}:merge@`), status, message, times: 1_000 });
      for (let i = 0; i < 30 && !s.gh.issue(s.issues[1]!).labels.includes("conveyor:done"); i++) {
        await s.pass();
        s.agentsWork();
      }
      const [refusedIssue, other] = s.issues as [number, number];
      expect(s.gh.merges).toHaveLength(1);
      expect(s.gh.issue(other).labels).toContain("conveyor:done");
      expect(s.gh.pull(refusedPr).merged).toBe(false);
      expect(s.gh.issue(refusedIssue).labels).toContain("conveyor:escalated");
      expect(s.gh.issue(refusedIssue).labels).not.toContain("conveyor:done");
      const told = s.gh.commentsOn(refusedIssue).map((c) => c.body);
      expect(
        told.some((b) => b.includes(`GitHub refused to merge PR #${refusedPr} (${status})`)),
      ).toBe(true);
      // Escalated: not asked again pass after pass.
      const asked = s.gh.calls.filter((c) => c.includes(`#${refusedPr}:merge@`)).length;
      await s.pass();
      await s.pass();
      expect(s.gh.calls.filter((c) => c.includes(`#${refusedPr}:merge@`)).length).toBe(asked);
    },
  );
});
