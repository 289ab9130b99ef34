import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { demoScripts } from "../../src/demo/demo-scripts.js";
import { sampleProjectFiles } from "../../src/demo/sample-project.js";
import { defaultLauncher } from "../../src/local/agents/agent-launcher.js";
import { readRunRecords } from "../../src/local/agents/run-record.js";
import { resultFile } from "../../src/local/repo/repo-layout.js";
import type { LocalEvent } from "../../src/local/run/local-events.js";
import { runLocal } from "../../src/local/run/run-local.js";
import { type FakeMessagesServer, startFakeMessagesServer } from "../../src/replay/index.js";
import { cleanup, GIT_ENV, gitSync, makeRepo, openRepo } from "./temp-repo.js";

let dir = "";
let server: FakeMessagesServer | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await server?.close();
  server = undefined;
  if (dir) cleanup(dir);
  dir = "";
});

async function until(check: () => boolean, what: string, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("a crash of conveyor run, then a resume", () => {
  it("loses nothing and runs no agent twice for the same attempt", async () => {
    dir = makeRepo(sampleProjectFiles());
    const repo = await openRepo(dir);
    server = await startFakeMessagesServer({ scripts: demoScripts() });
    const env = { ...GIT_ENV, ANTHROPIC_API_KEY: "test-key", ANTHROPIC_BASE_URL: server.url };
    const launcher = defaultLauncher();
    child = spawn(
      launcher.command,
      [...launcher.args, "run", "--until-idle", "--plain", "--interval", "0.2"],
      { cwd: dir, env, stdio: "ignore" },
    );
    // Kill it (SIGKILL: no cleanup at all) while agents are at work.
    await until(
      () => readRunRecords(repo.layout).filter((r) => r.status === "running").length >= 3,
      "agents to be running",
    );
    child.kill("SIGKILL");
    await once(child, "exit");
    const atCrash = readRunRecords(repo.layout);
    expect(atCrash.some((r) => r.status === "running")).toBe(true);

    const events: LocalEvent[] = [];
    const result = await runLocal({
      repo,
      env,
      emit: (e) => events.push(e),
      untilIdle: true,
      intervalMs: 100,
    });
    expect(result.reason).toBe("idle");
    const stages = Object.fromEntries(result.last!.board.tasks.map((t) => [t.id, t.stage]));
    expect(stages).toEqual({
      T1: "done",
      T2: "done",
      T3: "done",
      T4: "done",
      T5: "in-progress",
      T6: "done",
    });
    expect(result.last!.board.tasks.find((t) => t.id === "T5")?.memory.escalation).toBeDefined();

    // Every scripted turn was asked for exactly once: no agent ran twice.
    const asked: Record<string, number> = {};
    for (const r of server.requests) asked[r.key ?? "?"] = (asked[r.key ?? "?"] ?? 0) + 1;
    const expected = Object.fromEntries(
      Object.entries(demoScripts()).map(([k, turns]) => [k, turns.length]),
    );
    expect(asked).toEqual(expected);
    const records = readRunRecords(repo.layout);
    expect(new Set(records.map((r) => r.correlationId)).size).toBe(records.length);
    expect(gitSync(dir, "status", "--porcelain")).toBe("");
    expect(
      gitSync(dir, "log", "--merges", "--first-parent", "--format=%s", "main").split("\n"),
    ).toHaveLength(5);
  }, 180_000);
});

describe("Ctrl-C", () => {
  it("stops the agents, keeps the tracking files committed, and a later run resumes", async () => {
    dir = makeRepo({
      ".github/conveyor.yml": [
        "tests:",
        '  fallback: "true"',
        "agent:",
        "  runner: command",
        `  command: "cat > /dev/null; sleep 1; echo done >> work-$(git branch --show-current).txt; echo '{\\"summary\\":\\"ok\\",\\"verdict\\":\\"approve\\"}'"`,
        "",
      ].join("\n"),
      "TODO.md": "# TODO\n\n- [high] One\n- Two\n",
    });
    const repo = await openRepo(dir);
    const controller = new AbortController();
    const first = runLocal({
      repo,
      env: GIT_ENV,
      emit: () => {},
      untilIdle: true,
      intervalMs: 100,
      signal: controller.signal,
    });
    await until(() => readRunRecords(repo.layout).length >= 2, "two agents");
    controller.abort();
    const stopped = await first;
    expect(stopped.reason).toBe("aborted");
    const interrupted = readRunRecords(repo.layout).filter((r) => r.status === "interrupted");
    expect(interrupted.length).toBeGreaterThan(0);
    for (const r of interrupted) {
      expect(() => process.kill(r.pid!, 0)).toThrow();
      expect(existsSync(resultFile(repo.layout, r.task, r.correlationId))).toBe(false);
    }
    expect(gitSync(dir, "status", "--porcelain", "--", "TODO.md", "IN_PROGRESS.md")).toBe("");
    expect(gitSync(dir, "show", "HEAD:IN_PROGRESS.md")).toContain("**T1** [high] One");

    const resumed = await runLocal({
      repo,
      env: GIT_ENV,
      emit: () => {},
      untilIdle: true,
      intervalMs: 100,
    });
    expect(resumed.reason).toBe("idle");
    // The interrupted attempts ran again under the same ids, and nothing counted as a failure.
    const after = readRunRecords(repo.layout);
    for (const r of interrupted)
      expect(after.find((a) => a.correlationId === r.correlationId)?.status).toBe("exited");
    for (const t of resumed.last!.board.tasks) expect(t.memory.attempts.task).toBe(0);
    expect(resumed.last!.board.tasks.map((t) => [t.id, t.stage])).toEqual([
      ["T1", "done"],
      ["T2", "done"],
    ]);
  }, 120_000);
});
