/**
 * Results count only from the identities that publish agent results (issue 11): configured
 * once as `agent.resultAuthors`; with the optional agent App that is `<app>[bot]`, and then
 * no other `GITHUB_TOKEN` workflow of the repository counts.
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/core/config.js";
import { loadSnapshot } from "../../src/github/load-board.js";
import { BOT, scenario } from "./scenario.js";

const AGENT_APP = "conveyor-agent[bot]";

describe("trusted result authors", () => {
  it("with the agent App configured, its results carry the task to the merge", async () => {
    const s = scenario({ priorities: ["high"], config: { agent: { resultAuthors: [AGENT_APP] } } });
    s.sim.author = AGENT_APP;
    expect(await s.runUntilDone(12)).toBe(true);
    expect(s.gh.merges).toHaveLength(1);
  });

  it("with the agent App configured, a GITHUB_TOKEN workflow's result comment is no result", async () => {
    const s = scenario({ priorities: ["high"], config: { agent: { resultAuthors: [AGENT_APP] } } });
    await s.pass(); // task agent dispatched
    s.sim.startAll();
    s.sim.author = "github-actions[bot]"; // another workflow of the repository
    s.sim.finish();
    const parsed = parseConfig(JSON.stringify({ agent: { resultAuthors: [AGENT_APP] } }));
    if (!parsed.ok) throw new Error("bad config");
    const { board } = await loadSnapshot(s.gh, parsed.config, s.now(), {
      botLogin: BOT,
      defaultBranch: "main",
    });
    expect(board.results).toEqual({});
  });

  it("the orchestrator's own login is not trusted for results by itself", async () => {
    const s = scenario({ priorities: ["high"] });
    await s.pass();
    s.sim.startAll();
    s.sim.author = BOT; // e.g. a status reply of the bot that quotes a result
    s.sim.finish();
    const parsed = parseConfig("");
    if (!parsed.ok) throw new Error("bad config");
    const { board } = await loadSnapshot(s.gh, parsed.config, s.now(), {
      botLogin: BOT,
      defaultBranch: "main",
    });
    expect(board.results).toEqual({});
  });

  it("a login that is no GitHub login is a config error", () => {
    const parsed = parseConfig(JSON.stringify({ agent: { resultAuthors: ["a b"] } }));
    expect(parsed.ok).toBe(false);
  });
});
