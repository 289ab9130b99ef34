/**
 * One code path creates the dashboard issue (issue 16): the repository memory and the
 * dashboard both live in it, and both the `save-repo-memory` and the `write-dashboard`
 * effect may be the first to write it. Whatever writes first creates it; the other edits it.
 */
import { describe, expect, it } from "vitest";
import { emptyRepoMemory } from "../../src/core/board.js";
import { defaultConfig } from "../../src/core/config.js";
import type { Effect } from "../../src/core/effects.js";
import { executeEffects } from "../../src/github/executor.js";
import { loadSnapshot } from "../../src/github/load-board.js";
import { FakeGitHub } from "../support/fake-github/index.js";
import { scenario } from "./scenario.js";

const BOT = "conveyor[bot]";
const now = new Date("2026-11-25T10:00:00.000Z");

const boards = (gh: FakeGitHub) =>
  [...gh.issues.values()].filter((i) => i.title === "Conveyor board");
const creates = (gh: FakeGitHub) => gh.calls.filter((c) => c.endsWith(':create "Conveyor board"'));

describe("the dashboard issue is created once", () => {
  it("a pass that saves the repository memory and updates the dashboard creates it once", async () => {
    const s = scenario({ priorities: ["high"] });
    // The first pass dispatches, but GitHub refuses the dashboard then: there is none yet.
    s.gh.fail({ match: "createIssue", status: 422, message: "Validation Failed" });
    await s.pass();
    expect(s.gh.runs).toHaveLength(1);
    expect(boards(s.gh)).toHaveLength(0);
    const refused = creates(s.gh).length;
    // The agent dies without a word: the next pass retries it, a dispatch the repository
    // memory counts (save-repo-memory), and writes the dashboard, in the same pass.
    s.sim.behaviour = () => "silent";
    s.agentsWork(2);
    const r = await s.pass();
    expect(r?.applied.some((l) => l.startsWith("repo: save memory"))).toBe(true);
    expect(r?.applied).toContain("repo: update the dashboard");
    expect(creates(s.gh).length - refused).toBe(1);
    expect(boards(s.gh)).toHaveLength(1);
    // The memory is in the one dashboard's marker: the next pass reads it back.
    s.agentsWork(2);
    const next = await s.pass();
    expect(next?.board.repoMemory.dispatches.length).toBeGreaterThan(0);
    expect(creates(s.gh).length - refused).toBe(1);
  });

  it.each([
    ["the memory first (a command), then the dashboard", false],
    ["the memory deferred into the dashboard (a pass)", true],
  ])("%s: one create, then an edit", async (_, deferRepoMemory) => {
    const gh = new FakeGitHub({ now: () => now, botLogin: BOT });
    gh.addIssue({ title: "Fix the thing", labels: ["conveyor:todo"] });
    const config = defaultConfig();
    const snapshot = await loadSnapshot(gh, config, now, { botLogin: BOT, defaultBranch: "main" });
    const memory = { ...emptyRepoMemory(), paused: true, pausedReason: "release" };
    const effects: Effect[] = [
      { type: "save-repo-memory", memory },
      {
        type: "write-dashboard",
        view: {
          waiting: [],
          slots: { used: 0, capacity: 6 },
          inFlight: { used: 0, capacity: 6 },
          mergeQueue: [],
        },
        configErrors: [],
      },
    ];
    const report = await executeEffects(gh, snapshot, effects, {
      dryRun: false,
      log: () => {},
      config,
      now,
      deferRepoMemory,
    });
    expect(report.failures).toEqual([]);
    expect(creates(gh)).toHaveLength(1);
    expect(boards(gh)).toHaveLength(1);
    const again = await loadSnapshot(gh, config, now, { botLogin: BOT, defaultBranch: "main" });
    expect(again.board.repoMemory).toMatchObject({ paused: true, pausedReason: "release" });
  });
});
