import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { applyMaintainerCommand } from "../../src/local/run/maintainer-command.js";
import { runLocal } from "../../src/local/run/run-local.js";
import { cleanup, GIT_ENV, gitSync, makeRepo, openRepo } from "./temp-repo.js";

let dir = "";
afterEach(() => {
  if (dir) cleanup(dir);
  dir = "";
});

describe("conveyor retry after an escalation", () => {
  it("starts the task again with fresh attempts, and it goes through to the merge", async () => {
    dir = makeRepo({ "TODO.md": "# TODO\n\n- [high] Flaky at first\n" });
    const counter = join(dir, ".git", "agent-calls");
    // Fails its first two runs (the task agent and its retry), then works.
    const agent = `cat > /dev/null; n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; [ $n -le 2 ] && exit 1; echo done >> w.txt; echo '{\\"summary\\":\\"ok\\",\\"verdict\\":\\"approve\\"}'`;
    mkdirSync(join(dir, ".github"), { recursive: true });
    writeFileSync(
      join(dir, ".github", "conveyor.yml"),
      `tests:\n  fallback: "true"\nagent:\n  runner: command\n  command: "${agent}"\n`,
    );
    gitSync(dir, "add", ".github/conveyor.yml");
    gitSync(dir, "commit", "-q", "-m", "config");
    const repo = await openRepo(dir);
    // The stand-in agent counts its runs in the main repository's .git, which the sandbox
    // (rightly) never lets an agent write: this test of retries runs it unconfined.
    const env = { ...GIT_ENV, CONVEYOR_SANDBOX: "off" };
    const run = () => runLocal({ repo, env, emit: () => {}, untilIdle: true, intervalMs: 100 });

    const first = await run();
    const escalated = first.last!.board.tasks[0]!;
    expect(escalated.memory.escalation?.reason).toMatch(/task agent failed/);
    expect(escalated.memory.runs).toBe(2);

    const retry = await applyMaintainerCommand(repo, "T1", { kind: "retry" }, () => {});
    expect(retry).toEqual({ accepted: true, reply: "Retrying T1 from in-progress." });
    // The run counter goes on, so the new runs get fresh correlation ids (T1/task/0/3, …)
    // and the earlier runs' reports stay where they were.
    expect(readdirSync(join(repo.layout.reportsDir, "T1")).length).toBeGreaterThan(0);

    const second = await run();
    const done = second.last!.board.tasks[0]!;
    expect(done.stage).toBe("done");
    expect(done.memory.escalation).toBeUndefined();
    expect(done.memory.runs).toBeGreaterThan(2);
    expect(gitSync(dir, "log", "--merges", "--first-parent", "--format=%s")).toBe(
      "Merge T1: Flaky at first",
    );
  }, 120_000);
});
