import { describe, expect, it } from "vitest";
import { duplicateDispatches, inReview, scenario } from "./scenario.js";

/**
 * Work scheduled by someone not allowed to is refused in every pass, not only when the app
 * sees the `labeled` event: a missed event, a sweep, or the orchestrator Action must not
 * start an agent for it.
 */
describe("who scheduled the work is checked in every pass", () => {
  it.each([
    ["a user with triage access (below the default write)", "trish", "triage"],
    ["a user without access", "mallory", "none"],
  ] as const)("%s: label removed, told why, nothing dispatched", async (_, who, level) => {
    const s = scenario({ priorities: [], freshCachePerPass: true });
    s.gh.permissions.set(who, level);
    const n = s.gh.addIssue({ title: "Please do this", author: who });
    s.gh.labelAs(who, n, ["conveyor:todo"]);
    const r = await s.pass();
    expect(s.gh.runs).toEqual([]);
    expect(r?.board.tasks).toEqual([]);
    expect(s.gh.issue(n).labels).not.toContain("conveyor:todo");
    const [comment] = s.gh.commentsOn(n);
    expect(comment?.body).toContain(`Thanks @${who}! I removed the \`conveyor:todo\` label`);
    expect(comment?.body).toContain(`@${who} has \`${level}\``);
    // The next pass does not see it again (and does not comment twice).
    await s.pass();
    expect(s.gh.commentsOn(n)).toHaveLength(1);
  });

  it.each([
    [["conveyor:in-progress"]],
    [["conveyor:review"]],
    [["conveyor:testing"]],
    [["conveyor:todo", "conveyor:testing"]],
  ])(
    "a triager adding %j to a task Conveyor has no memory of starts no agent: labels removed, told why",
    async (labels) => {
      const s = scenario({ priorities: [], freshCachePerPass: true });
      s.gh.permissions.set("trish", "triage");
      const n = s.gh.addIssue({ title: "Please do this", author: "trish" });
      s.gh.labelAs("trish", n, labels);
      // Whatever the task's branch would be, there is even a PR for it.
      s.gh.openPull({ branch: `conveyor/${n}-x`, files: ["src/a.ts"], body: `Closes #${n}` });
      for (let i = 0; i < 3; i++) {
        await s.pass();
        s.agentsWork();
      }
      expect(s.gh.runs).toEqual([]);
      expect(s.gh.merges).toEqual([]);
      for (const l of labels) expect(s.gh.issue(n).labels).not.toContain(l);
      const bodies = s.gh.commentsOn(n).map((c) => c.body);
      for (const l of labels)
        expect(bodies.some((b) => b.includes(`I removed the \`${l}\` label`))).toBe(true);
    },
  );

  it("todo from a maintainer plus in-progress from a triager: only the triager's label goes", async () => {
    const s = scenario({ priorities: [], freshCachePerPass: true });
    s.gh.permissions.set("trish", "triage");
    const n = s.gh.addIssue({ title: "Please do this" });
    s.gh.label(n, "conveyor:todo");
    s.gh.labelAs("trish", n, ["conveyor:in-progress"]);
    await s.pass();
    expect(s.gh.issue(n).labels).not.toContain("conveyor:in-progress");
    expect(s.gh.runs).toEqual([]);
    await s.pass(); // now a plain todo task of the maintainer's
    expect(s.gh.runs.map((r) => r.inputs.mode)).toEqual(["task"]);
  });

  it("a maintainer adding the label to an outsider's issue schedules it", async () => {
    const s = scenario({ priorities: [] });
    const n = s.gh.addIssue({ title: "Bug report", author: "mallory" });
    s.gh.label(n, "conveyor:todo"); // by "maintainer"
    await s.pass();
    expect(s.gh.runs.map((r) => r.inputs.issue)).toEqual([String(n)]);
  });

  it("a bot is refused unless permissions.allowBots names it", async () => {
    const refused = scenario({ priorities: [] });
    const a = refused.gh.addIssue({ title: "Bump" });
    refused.gh.labelAs("renovate[bot]", a, ["conveyor:todo"]);
    await refused.pass();
    expect(refused.gh.runs).toEqual([]);
    expect(refused.gh.commentsOn(a)[0]?.body).toContain("bots may not schedule work");

    const allowed = scenario({
      priorities: [],
      config: { permissions: { allowBots: ["renovate"] } },
    });
    const b = allowed.gh.addIssue({ title: "Bump" });
    allowed.gh.labelAs("renovate[bot]", b, ["conveyor:todo"]);
    await allowed.pass();
    expect(allowed.gh.runs).toHaveLength(1);
  });

  it("asks for a person's permission once, not every pass", async () => {
    const s = scenario({
      priorities: ["high", "low", "medium"],
      config: { capacity: { agents: 1 } },
    });
    expect(await s.runUntilDone()).toBe(true);
    expect(s.gh.calls.filter((c) => c.startsWith("GET permission"))).toEqual([
      "GET permission maintainer",
    ]);
    expect(duplicateDispatches(s.gh)).toEqual([]);
  });

  it("a task Conveyor itself put back in todo is not checked", async () => {
    const s = scenario({ priorities: [] });
    const n = s.gh.addIssue({ title: "Requeued" });
    s.gh.labelAs("conveyor[bot]", n, ["conveyor:todo"]);
    await s.pass();
    expect(s.gh.calls.filter((c) => c.startsWith("GET permission"))).toEqual([]);
    expect(s.gh.runs).toHaveLength(1);
  });

  it("dry-run refuses without writing", async () => {
    const s = scenario({ priorities: [], dryRun: true });
    const n = s.gh.addIssue({ title: "x", author: "mallory" });
    s.gh.labelAs("mallory", n, ["conveyor:todo"]);
    const r = await s.pass();
    expect(r?.board.tasks).toEqual([]);
    expect(s.gh.writeCalls()).toEqual([]);
    expect(s.logs.some((l) => l.includes("conveyor:todo from mallory refused"))).toBe(true);
  });
});

describe("who put a PR in the merge queue by hand is checked too", () => {
  /** A task whose PR is open and in review (the reviewer is at work). */
  async function reviewing() {
    const { s, pr } = await inReview();
    expect(s.gh.issue(1).labels).toContain("conveyor:review");
    return { s, pr };
  }

  it("a triager's merge-queue label on a PR in review: removed, told why, review goes on", async () => {
    const { s, pr } = await reviewing();
    s.gh.permissions.set("trish", "triage");
    s.gh.labelAs("trish", pr, ["merge-queue"]);
    const r = await s.pass();
    expect(r?.board.tasks[0]?.stage).toBe("review");
    expect(s.gh.issue(pr).labels).not.toContain("merge-queue");
    expect(s.gh.commentsOn(pr).at(-1)?.body).toContain(
      "Thanks @trish! I removed the `merge-queue` label",
    );
    expect(s.gh.issue(1).labels).toContain("conveyor:review");
  });

  it("a maintainer's merge-queue label queues it", async () => {
    const { s, pr } = await reviewing();
    s.gh.label(pr, "merge-queue"); // by "maintainer"
    const r = await s.pass();
    expect(r?.board.tasks[0]?.stage).toBe("merge-queue");
    expect(s.gh.issue(pr).labels).toContain("merge-queue");
    expect(s.gh.commentsOn(pr).filter((c) => c.body.includes("I removed"))).toEqual([]);
    expect(s.gh.calls).toContain(`GET label events #${pr}`);
  });
});
