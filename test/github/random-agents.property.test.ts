import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AgentResult } from "../../src/core/board.js";
import { duplicateDispatches, scenario } from "./scenario.js";

const PRIORITIES = ["critical", "high", "medium", "low"];

/** What an agent run does, from a roll of 0..99. */
function outcome(mode: string, roll: number): Partial<AgentResult> | "silent" {
  if (roll < 8) return "silent"; // the run ends without publishing a result
  if (roll < 18) return { outcome: "failed", summary: "it broke" };
  if (mode === "review" && roll < 26) return { verdict: "request_changes", summary: "rename x" };
  if (mode === "review" && roll < 30) return { verdict: "approach_wrong", summary: "use y" };
  if (mode === "test" && roll < 28) return { passed: false, summary: "red" };
  return {};
}

describe("random agent behaviour over the fake GitHub", () => {
  it("capacity holds, nothing is dispatched twice, every task ends done or escalated (with a crash anywhere and a 5xx/429 storm)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.integer({ min: 0, max: 99 }), { minLength: 20, maxLength: 60 }),
        fc.integer({ min: 1, max: 3 }),
        fc.option(fc.integer({ min: 1, max: 120 }), { nil: undefined }),
        fc.option(
          fc.record({
            pass: fc.integer({ min: 0, max: 15 }),
            calls: fc.integer({ min: 1, max: 30 }),
            status: fc.constantFrom(500, 502, 503, 429),
          }),
          { nil: undefined },
        ),
        async (tasks, rolls, finishPerPass, crashAt, storm) => {
          const s = scenario({
            priorities: Array.from({ length: tasks }, (_, i) => PRIORITIES[i % 4]!),
          });
          let i = 0;
          s.sim.behaviour = (run) => outcome(run.inputs.mode ?? "", rolls[i++ % rolls.length]!);
          if (crashAt !== undefined) s.gh.crashOnWrite(crashAt);
          let maxWorking = 0;
          // Closed is not enough: GitHub closes an issue when its PR merges ("Closes #N"),
          // and a crash right after the merge leaves the move to done to the next pass.
          const settled = () =>
            s.issues.every(
              (n) =>
                (s.gh.issue(n).state === "closed" &&
                  s.gh.issue(n).labels.includes("conveyor:done")) ||
                s.gh.issue(n).labels.includes("conveyor:escalated"),
            );
          for (let pass = 0; pass < 150 && !settled(); pass++) {
            if (storm && pass === storm.pass)
              s.gh.fail({ match: /./, status: storm.status, times: storm.calls });
            await s.pass();
            s.gh.revive(); // the process restarts after a crash
            s.sim.startAll();
            maxWorking = Math.max(maxWorking, s.sim.working().length);
            s.sim.finish(finishPerPass);
            s.tick(4);
          }
          expect(settled()).toBe(true);
          expect(maxWorking).toBeLessThanOrEqual(6);
          expect(duplicateDispatches(s.gh)).toEqual([]);
          expect(s.gh.maxConcurrentMerges).toBeLessThanOrEqual(1);
          const done = s.issues.filter((n) => s.gh.issue(n).labels.includes("conveyor:done"));
          expect(s.gh.merges).toHaveLength(done.length);
          for (const n of done) expect(s.gh.issue(n).state).toBe("closed");
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 40) },
    );
  });
});

const MERGE_FAULTS = [
  "none",
  "409",
  "405-base",
  "405-conflict",
  "500-merged",
  "500",
  "computing",
] as const;

describe("random merge races over the fake GitHub", () => {
  it("each PR merges at most once, pinned; every task ends done or escalated", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.constantFrom(...MERGE_FAULTS), { minLength: 5, maxLength: 40 }),
        async (tasks, faults) => {
          const s = scenario({ priorities: Array.from({ length: tasks }, () => "medium") });
          const gh = s.gh;
          const openPull = () => [...gh.pulls.values()].find((p) => p.state === "open");
          // A task agent sent back for a conflict merges the base in: the conflict is gone.
          s.sim.behaviour = (run) => {
            for (const p of gh.pulls.values())
              if (
                run.inputs.mode === "task" &&
                p.headRef.startsWith(`conveyor/${run.inputs.issue}-`)
              )
                p.conflicts = false;
            return {};
          };
          const inject: Record<(typeof MERGE_FAULTS)[number], () => void> = {
            none: () => {},
            "409": () =>
              gh.fail({
                match: "mergePull",
                status: 409,
                message: "Head branch was modified",
                run: () => {
                  const p = openPull();
                  if (p) gh.pushTo(p.number);
                },
              }),
            "405-base": () =>
              gh.fail({
                match: "mergePull",
                status: 405,
                message: "Base branch was modified. Review and try the merge again.",
              }),
            "405-conflict": () =>
              gh.fail({
                match: "mergePull",
                status: 405,
                message: "Pull Request is not mergeable",
                run: () => {
                  const p = openPull();
                  if (p) Object.assign(p, { conflicts: true, mergeable: null });
                },
              }),
            "500-merged": () => gh.fail({ match: "mergePull", status: 500, afterApplying: true }),
            "500": () => gh.fail({ match: "mergePull", status: 500 }),
            computing: () => gh.advanceBase(["docs/elsewhere.md"]),
          };
          const settled = () =>
            s.issues.every(
              (n) =>
                (gh.issue(n).state === "closed" && gh.issue(n).labels.includes("conveyor:done")) ||
                gh.issue(n).labels.includes("conveyor:escalated"),
            );
          for (let pass = 0; pass < 150 && !settled(); pass++) {
            if (pass < 100) inject[faults[pass % faults.length]!]();
            await s.pass();
            s.sim.startAll();
            s.sim.finish();
            s.tick(2);
          }
          expect(settled()).toBe(true);
          expect(duplicateDispatches(gh)).toEqual([]);
          const prs = gh.merges.map((m) => m.split("@")[0]);
          expect(new Set(prs).size).toBe(prs.length);
          const done = s.issues.filter((n) => gh.issue(n).labels.includes("conveyor:done"));
          expect(gh.merges).toHaveLength(done.length);
          // Every merge was pinned to the head the PR had when it merged.
          for (const m of gh.merges) {
            const [pr, sha] = m.slice(1).split("@");
            expect(gh.pull(Number(pr)).headSha.slice(0, 7)).toBe(sha);
          }
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 25) },
    );
  });
});
