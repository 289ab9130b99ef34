/**
 * Agent PRs cannot change `.github/**` (workflows, conveyor.yml) unless the config allows
 * it, and then only with a maintainer's approval of the head; a PR from a fork is never
 * taken as a task's PR (issue 11).
 */
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../src/core/config.js";
import { loadSnapshot } from "../../src/github/load-board.js";
import { BOT, scenario } from "./scenario.js";

async function untilQuiet(s: ReturnType<typeof scenario>, passes = 12) {
  for (let i = 0; i < passes; i++) {
    await s.pass();
    s.agentsWork();
  }
}

describe("PRs that change .github/**", () => {
  it("by default: escalated with the reason, never merged", async () => {
    const s = scenario({ priorities: ["high"] });
    s.sim.files.set(s.issues[0]!, [".github/workflows/ci.yml", "src/a.ts"]);
    await untilQuiet(s);
    const pr = [...s.gh.pulls.values()][0]!;
    expect(pr.merged).toBe(false);
    expect(s.gh.merges).toEqual([]);
    expect(s.gh.issue(s.issues[0]!).labels).toContain("conveyor:escalated");
    const told = s.gh.commentsOn(s.issues[0]!).map((c) => c.body);
    expect(told.some((b) => b.includes("security.allowWorkflowChanges"))).toBe(true);
  });

  it("allowed by the config: waits for a maintainer's approval of the head, then merges", async () => {
    const s = scenario({
      priorities: ["high"],
      config: { security: { allowWorkflowChanges: true } },
    });
    s.gh.permissions.set("trish", "triage");
    s.sim.files.set(s.issues[0]!, [".github/conveyor.yml"]);
    await untilQuiet(s);
    const pr = [...s.gh.pulls.values()][0]!;
    expect(pr.merged).toBe(false);
    expect(s.reports.at(-1)?.plan.waiting.map((w) => w.text)).toContain(
      `PR #${pr.number} changes .github/**: waiting for a maintainer's approving review of its head`,
    );
    s.gh.review(pr.number, "trish"); // a triager's approval does not count
    await untilQuiet(s, 2);
    expect(pr.merged).toBe(false);
    s.gh.review(pr.number, "maintainer");
    await untilQuiet(s, 2);
    expect(pr.merged).toBe(true);
    expect(s.gh.issue(s.issues[0]!).labels).toContain("conveyor:done");
  });

  it("PRs that do not touch .github/** merge without any review read", async () => {
    const s = scenario({ priorities: ["high"] });
    expect(await s.runUntilDone(12)).toBe(true);
    expect(s.gh.calls.filter((c) => c.includes("reviews"))).toEqual([]);
  });
});

describe("fork PRs", () => {
  it("a PR from a fork on the task's branch name, closing the issue, is not the task's PR", async () => {
    const s = scenario({ priorities: [] });
    const n = s.gh.addIssue({ title: "Task", labels: ["conveyor:review"] });
    const pr = s.gh.openPull({
      branch: `conveyor/${n}-task`,
      files: ["src/x.ts"],
      body: `Closes #${n}`,
    });
    s.gh.pull(pr).fromFork = true;
    const { board } = await loadSnapshot(s.gh, defaultConfig(), s.now(), {
      botLogin: BOT,
      defaultBranch: "main",
    });
    expect(board.tasks.find((t) => t.id === String(n))?.pr).toBeUndefined();
    s.gh.pull(pr).fromFork = false;
    const again = await loadSnapshot(s.gh, defaultConfig(), s.now(), {
      botLogin: BOT,
      defaultBranch: "main",
    });
    expect(again.board.tasks.find((t) => t.id === String(n))?.pr?.number).toBe(pr);
  });
});
