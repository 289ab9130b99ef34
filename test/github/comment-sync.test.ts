import { describe, expect, it } from "vitest";
import { scenario } from "./scenario.js";

const PRIORITIES = ["low", "critical", "medium", "high", "medium", "critical", "low", "high"];

/** What a finished scenario did: merges in order, agent runs, final labels. */
function outcomeOf(s: ReturnType<typeof scenario>) {
  return {
    merges: s.gh.merges.map((m) => m.split("@")[0]),
    runs: s.gh.runs.map((r) => r.title),
    labels: s.issues.map((n) => s.gh.issue(n).labels.sort().join(",")),
  };
}

describe("comments kept between passes (the app)", () => {
  it("lead to the same work as reading them whole every pass", async () => {
    const kept = scenario({ priorities: PRIORITIES });
    const whole = scenario({ priorities: PRIORITIES, freshCachePerPass: true });
    expect(await kept.runUntilDone()).toBe(true);
    expect(await whole.runUntilDone()).toBe(true);
    expect(outcomeOf(kept)).toEqual(outcomeOf(whole));
  });

  it("a busy repository: the next pass reads one page of what changed, not every page", async () => {
    /** Pass 2's requests, in a repository with 250 other comments (3 pages). */
    const secondPass = async (freshCachePerPass: boolean) => {
      const s = scenario({ priorities: ["high"], freshCachePerPass });
      const chatter = s.gh.addIssue({ title: "Unrelated discussion" });
      for (let i = 0; i < 250; i++) {
        s.gh.addComment(chatter, `comment ${i}`, "someone");
        s.tick(0.5);
      }
      await s.pass();
      s.tick();
      s.gh.addComment(chatter, "one more", "someone");
      const before = s.gh.requests;
      await s.pass();
      expect(s.gh.issue(1).labels).toContain("conveyor:in-progress");
      return s.gh.requests - before;
    };
    const whole = await secondPass(true);
    const kept = await secondPass(false);
    expect(whole - kept).toBe(2); // 3 pages of comments against 1
  });

  it("is read whole again after 30 minutes (a deleted comment then goes)", async () => {
    const s = scenario({ priorities: ["high"] });
    await s.pass();
    const window = s.gh.calls.find((c) => c.startsWith("GET comments since"))!;
    s.tick(31);
    await s.pass();
    const asked = s.gh.calls.filter((c) => c.startsWith("GET comments since"));
    expect(asked.at(-1)).toBe(window);
  });
});
