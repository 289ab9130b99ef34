import { describe, expect, it } from "vitest";
import { FakeGitHub } from "../../src/github/fake-github.js";
import { reconcileRepo } from "../../src/github/reconcile.js";
import { AgentSim } from "./agent-sim.js";

const PRIORITIES = ["low", "critical", "medium", "high", "medium", "critical", "low", "high"];

function setup() {
  let clock = Date.parse("2026-11-25T10:00:00.000Z");
  const now = () => new Date(clock);
  const gh = new FakeGitHub({ now });
  const sim = new AgentSim(gh);
  const issues = PRIORITIES.map((p, i) => {
    clock += 1000;
    const n = gh.addIssue({
      title: `Task ${i + 1} (${p})`,
      body: `Do thing ${i + 1}.\n\n## Location\n- \`src/t${i + 1}.ts\``,
      labels: ["conveyor:todo", `priority:${p}`],
    });
    sim.files.set(n, [`src/t${i + 1}.ts`]);
    return n;
  });
  const logs: string[] = [];
  const pass = () =>
    reconcileRepo({
      port: gh,
      owner: "o",
      repo: "r",
      botLogin: "conveyor[bot]",
      now,
      dryRun: false,
      log: (l) => logs.push(l),
    });
  const tick = (minutes = 1) => {
    clock += minutes * 60_000;
  };
  return { gh, sim, issues, pass, tick, logs };
}

describe("end to end over the fake GitHub", () => {
  it("eight labelled issues flow from todo to merged, six at a time, merges serialized", async () => {
    const { gh, sim, issues, pass, tick } = setup();
    const firstDispatches: string[] = [];
    for (let i = 0; i < 40; i++) {
      const report = await pass();
      expect(report.failed).toBeUndefined();
      if (i === 0) firstDispatches.push(...report.execution.dispatched.map((d) => d.correlationId));
      sim.startAll();
      expect(sim.active().length).toBeLessThanOrEqual(6);
      sim.finish();
      tick();
      if (issues.every((n) => gh.issue(n).state === "closed")) break;
    }
    expect(issues.map((n) => gh.issue(n).state)).toEqual(Array(8).fill("closed"));
    expect(sim.maxRunning).toBe(6);
    // Critical first, then high, then medium: the two low tasks wait.
    expect(firstDispatches.map((c) => c.split("/")[0])).toEqual(["2", "6", "4", "8", "3", "5"]);
    expect(gh.merges).toHaveLength(8);
    expect(gh.fileOn("main", "TODO.md")).toContain("_No tasks._");
    expect(issues.every((n) => gh.issue(n).labels.includes("conveyor:done"))).toBe(true);
  });
});
