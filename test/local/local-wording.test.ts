import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/run-cli.js";
import { emptyMemory } from "../../src/core/board.js";
import { writeRunRecord } from "../../src/local/agents/run-record.js";
import { emptyState, type StoredTask, writeState } from "../../src/local/board/state-store.js";
import type { LocalEvent } from "../../src/local/run/local-events.js";
import { runLocal } from "../../src/local/run/run-local.js";
import { cleanup, GIT_ENV, gitSync, makeRepo, openRepo } from "./temp-repo.js";

let dir = "";
afterEach(() => {
  if (dir) cleanup(dir);
  dir = "";
});

async function cli(args: string[], cwd: string) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  stderr.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const code = await runCli(args, { stdout, stderr, cwd, env: GIT_ENV });
  return { code, out, err };
}

const stored = (title: string, stage: StoredTask["stage"], since: string): StoredTask => ({
  title,
  priority: "medium",
  stage,
  createdAt: "2026-11-20T10:00:00.000Z",
  locations: [],
  memory: { ...emptyMemory(), stageSince: since },
});

/** A board with seven done tasks, one whose agent exited, one escalated. */
async function boardRepo(config = "") {
  dir = makeRepo({
    "TODO.md": "# TODO\n\n_No tasks._\n",
    "IN_PROGRESS.md": "# In progress\n\n- **T8** [medium] Agent just exited\n",
    "REVIEW.md": "# Review\n\n- [ESCALATED] **T9** [medium] Needs a person\n",
    ...(config ? { ".github/conveyor.yml": config } : {}),
  });
  const repo = await openRepo(dir);
  const state = emptyState();
  for (let i = 1; i <= 7; i++)
    state.tasks[`T${i}`] = stored(`Done ${i}`, "done", `2026-11-2${i}T10:00:00.000Z`);
  state.tasks.T8 = stored("Agent just exited", "in-progress", "2026-11-28T10:00:00.000Z");
  state.tasks.T8.memory.run = {
    role: "task",
    attempt: 0,
    correlationId: "T8/task/0/1",
    dispatchedAt: "2026-11-28T10:00:00.000Z",
  };
  writeRunRecord(repo.layout, {
    correlationId: "T8/task/0/1",
    task: "T8",
    role: "task",
    attempt: 0,
    pid: 999999,
    startedAt: "2026-11-28T10:00:00.000Z",
    status: "exited",
    exitCode: 0,
    endedAt: "2026-11-28T10:01:00.000Z",
  });
  state.tasks.T9 = stored("Needs a person", "review", "2026-11-28T10:00:00.000Z");
  state.tasks.T9.memory.escalation = {
    reason: "PR #0 conflicts with the base branch",
    at: "2026-11-28T10:00:00.000Z",
    stage: "review",
  };
  writeState(repo.layout.stateFile, state);
  return repo;
}

describe("conveyor status", () => {
  it("shows no exited agent as running, the last few done tasks, and the four local choices", async () => {
    await boardRepo();
    const r = await cli(["status"], dir);
    expect(r.code).toBe(0);
    const rows = r.out.split("\n").filter((l) => /^T\d/.test(l));
    expect(rows.map((l) => l.split(/\s+/).slice(0, 3).join(" "))).toEqual([
      "T9 review [ESCALATED]",
      "T8 in-progress -",
      "T3 done -",
      "T4 done -",
      "T5 done -",
      "T6 done -",
      "T7 done -",
    ]);
    expect(r.out).toContain("(2 more done or abandoned: `conveyor status --all` lists them)");
    expect(r.out).toContain("Agents: 0/");
    expect(r.out).toContain("T9: the branch conflicts with the base branch");
    expect(r.out).not.toContain("PR #0");
    for (const choice of [
      "manual fix: commit to branch `T9` yourself (in .worktrees/T9), then `conveyor retry T9`",
      "re-scope: edit the task in the tracking files, then `conveyor retry T9`",
      'deprioritize: `conveyor deprioritize T9 --notes "…"`',
      'abandon: `conveyor abandon T9 --reason "…"`',
    ])
      expect(r.out).toContain(choice);
    const all = await cli(["status", "--all"], dir);
    expect(all.out.split("\n").filter((l) => /^T\d/.test(l))).toHaveLength(9);
    expect(all.out).not.toContain("more done");
  });

  it("shows the configuration errors", async () => {
    await boardRepo("capacity:\n  robots: 3\n");
    const r = await cli(["status"], dir);
    expect(r.out).toContain("Configuration errors (nothing is dispatched until they are fixed):");
    expect(r.out).toContain("`capacity.robots`: unknown key");
  });
});

describe("local wording", () => {
  it("the core names a local branch by itself: no PR number, no label, in anything a run writes", async () => {
    dir = makeRepo({
      "TODO.md": "# TODO\n\n- [high] Write a one way\n- [high] Write a another way\n",
      "a.txt": "base\n",
    });
    // Both task runs write their own a.txt: the second branch conflicts with the first's
    // merge, and with no retries it escalates with the planner's conflict reason.
    const agent = `cat > /dev/null; echo $$ > a.txt; echo '{\\"summary\\":\\"ok\\",\\"verdict\\":\\"approve\\"}'`;
    mkdirSync(join(dir, ".github"), { recursive: true });
    writeFileSync(
      join(dir, ".github", "conveyor.yml"),
      `retries: 0\ntests:\n  fallback: "true"\nmerge:\n  batchWindowSeconds: 0\nagent:\n  runner: command\n  command: "${agent}"\n`,
    );
    gitSync(dir, "add", ".github/conveyor.yml");
    gitSync(dir, "commit", "-q", "-m", "config");
    const repo = await openRepo(dir);
    const events: LocalEvent[] = [];
    const env = { ...GIT_ENV, CONVEYOR_SANDBOX: "off" };
    await runLocal({ repo, env, emit: (e) => events.push(e), untilIdle: true, intervalMs: 100 });

    const log = events.map((e) => e.text).join("\n");
    const escalated = /(T[12]): ESCALATED — (.*)/.exec(log);
    expect(escalated, log).not.toBeNull();
    const id = escalated![1]!;
    expect(escalated![2]).toBe(`branch ${id} conflicts with the base branch (after 0 retries)`);
    const status = await cli(["status"], dir);
    expect(status.out).toContain(`${id}: branch ${id} conflicts with the base branch`);
    const written = [
      log,
      status.out,
      readFileSync(join(dir, ".conveyor/state.json"), "utf8"),
      readFileSync(join(dir, `.conveyor/reports/${id}/escalation.md`), "utf8"),
      ...["TODO.md", "IN_PROGRESS.md", "REVIEW.md", "TESTING.md", "MERGE_QUEUE.md", "DONE.md"]
        .filter((f) => existsSync(join(dir, f)))
        .map((f) => readFileSync(join(dir, f), "utf8")),
    ].join("\n");
    expect(written).not.toMatch(/PR #|PR 0|\blabel/i);
  }, 240_000);

  it("refuses an unknown task with the local way to add one", async () => {
    await boardRepo();
    const retry = await cli(["retry", "T42"], dir);
    expect(retry.err).toContain("T42 is not a Conveyor task (add it to TODO.md first)");
    expect(retry.err).not.toContain("label");
  });

  it("reads a reason stored by an older version (PR #0) in today's words", async () => {
    await boardRepo();
    const r = await cli(["status"], dir);
    expect(r.out).toContain("T9: the branch conflicts with the base branch");
    expect(r.out).not.toContain("PR #0");
  });
});

describe("conveyor deprioritize", () => {
  it("moves an escalated task back to the backlog at low priority", async () => {
    await boardRepo();
    const r = await cli(["deprioritize", "T9", "--notes", "after the release"], dir);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain("Moved T9 back to the backlog at low priority.");
    expect(readFileSync(join(dir, "TODO.md"), "utf8")).toContain("**T9** [low] Needs a person");
    expect(existsSync(join(dir, "REVIEW.md"))).toBe(true);
    expect(readFileSync(join(dir, "REVIEW.md"), "utf8")).not.toContain("T9");
  });
});
