import { describe, expect, it } from "vitest";
import { emptyMemory } from "../../src/core/board.js";
import { defaultConfig } from "../../src/core/config.js";
import type { Effect } from "../../src/core/effects.js";
import { executeEffects } from "../../src/github/executor.js";
import { loadSnapshot } from "../../src/github/load-board.js";
import { FakeGitHub } from "../support/fake-github/index.js";

// What the executor gives the formatters: the server the port talks to (GHE here), who
// scheduled the task (its timeline), and the configured permission level.

const BOT = "conveyor[bot]";
const now = new Date("2026-11-25T10:00:00.000Z");
const WEB = "https://ghe.example.com";

async function setup(schedule: "write" | "admin" = "admin") {
  const config = defaultConfig();
  config.permissions.schedule = schedule;
  const gh = new FakeGitHub({ now: () => now, botLogin: BOT });
  Object.defineProperty(gh, "webUrl", { value: WEB });
  gh.addIssue({
    title: "Fix the thing",
    labels: ["conveyor:todo", "priority:high"],
    author: "alice",
  });
  const run = async (effects: Effect[]) =>
    executeEffects(
      gh,
      await loadSnapshot(gh, config, now, { botLogin: BOT, defaultBranch: "main" }),
      effects,
      { dryRun: false, log: () => {}, config, now },
    );
  return { gh, run };
}

describe("the executor's comments", () => {
  it("the escalation comment mentions who scheduled the task and the configured permission", async () => {
    const { gh, run } = await setup("admin");
    const report = await run([{ type: "escalate", task: "1", reason: "stuck", choices: [] }]);
    expect(report.failed).toBeUndefined();
    const posted = gh
      .commentsOn(1)
      .map((c) => c.body)
      .find((b) => b.includes("needs a maintainer"));
    expect(posted).toBeDefined();
    expect(posted).toMatch(/@alice\b/);
    expect(posted).toContain("**admin**");
    expect(posted).not.toContain("https://github.com");
  });

  it("the status comment links the agent workflow on the port's server, not github.com", async () => {
    const { gh, run } = await setup();
    const memory = {
      ...emptyMemory(),
      runs: 1,
      run: {
        role: "task" as const,
        attempt: 0,
        correlationId: "1/task/0/1",
        dispatchedAt: now.toISOString(),
      },
    };
    await run([{ type: "save-memory", task: "1", memory }]);
    const status = gh
      .commentsOn(1)
      .map((c) => c.body)
      .find((b) => b.startsWith("### Conveyor status"));
    expect(status).toContain(`${WEB}/o/r/actions/workflows/`);
    expect(status).not.toContain("https://github.com");
  });
});
