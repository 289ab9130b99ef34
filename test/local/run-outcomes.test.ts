import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runCli } from "../../src/cli/run-cli.js";
import { readRunRecords } from "../../src/local/agents/run-record.js";
import { readMergeLog } from "../../src/local/git/merge-log.js";
import type { LocalEvent } from "../../src/local/run/local-events.js";
import { runLocal } from "../../src/local/run/run-local.js";
import { cleanup, GIT_ENV, gitSync, makeRepo, openRepo } from "./temp-repo.js";

/** Writes to paths matching `match` fail with ENOSPC while it is set (a full disk). */
const disk = vi.hoisted(() => ({ full: undefined as RegExp | undefined, hits: 0 }));

vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs")>();
  const writeFileSync: typeof real.writeFileSync = (file, data, options) => {
    if (disk.full?.test(String(file))) {
      disk.hits++;
      const e = new Error(`ENOSPC: no space left on device, open '${String(file)}'`);
      Object.assign(e, { code: "ENOSPC", path: String(file), syscall: "open" });
      throw e;
    }
    return real.writeFileSync(file, data, options);
  };
  const mocked = { ...real, writeFileSync };
  return { ...mocked, default: mocked };
});

let dir = "";
afterEach(() => {
  disk.full = undefined;
  if (dir) cleanup(dir);
  dir = "";
});

/** Every role approves; the task agent writes `<branch>.txt`; `slow` branches take a while. */
const agent = (slow = "none", seconds = 0) =>
  `cat > /dev/null; b=$(git branch --show-current); [ \\"$b\\" = ${slow} ] && sleep ${seconds}; echo done >> $b.txt; echo '{\\"summary\\":\\"ok\\",\\"verdict\\":\\"approve\\"}'`;

const configOf = (command: string, extra: string) =>
  `tests:\n  fallback: "true"\nagent:\n  runner: command\n  command: "${command}"\n${extra}`;

async function until(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("--until-idle tells idle from blocked", () => {
  it("stops at the dispatch limit with work left: says so and exits 1", async () => {
    dir = makeRepo({
      // A task's first run does not count toward the hourly cap; its retries do: the first
      // retry takes the one place, the second waits for the window.
      ".github/conveyor.yml": configOf(
        "cat > /dev/null; exit 1",
        "retries: 2\nguards:\n  maxDispatchesPerHour: 1\n",
      ),
      "TODO.md": "# TODO\n\n- [high] One\n",
    });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let err = "";
    stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    stdout.resume();
    const code = await runCli(["run", "--until-idle", "--plain", "--interval", "0.05"], {
      stdout,
      stderr,
      cwd: dir,
      env: GIT_ENV,
    });
    expect(err).toMatch(
      /^conveyor run: blocked, not idle — dispatch limit: 1 re-dispatches and retries in the last hour \(cap 1\)/,
    );
    expect(code).toBe(1);
  }, 90_000);
});

describe("the merge batch window (merge.batchWindowSeconds)", () => {
  it("merges disjoint tasks that reach the queue close together as one batch", async () => {
    dir = makeRepo({
      ".github/conveyor.yml": configOf(agent("T2", 2), "merge:\n  batchWindowSeconds: 60\n"),
      "TODO.md": "# TODO\n\n- [high] One\n- [high] Two\n",
    });
    const repo = await openRepo(dir);
    const events: LocalEvent[] = [];
    const staleQueue: string[] = [];
    const result = await runLocal({
      repo,
      env: GIT_ENV,
      emit: (e) => events.push(e),
      // What the live table shows: never a merged task in the merge queue.
      onPass: (s) => {
        for (const id of s.plan.mergeQueue)
          if (s.board.tasks.find((t) => t.id === id)?.stage === "done") staleQueue.push(id);
      },
      untilIdle: true,
      intervalMs: 50,
    });
    expect(result.reason).toBe("idle");
    expect(staleQueue).toEqual([]);
    expect(result.last!.board.tasks.map((t) => t.stage)).toEqual(["done", "done"]);
    expect(readMergeLog(repo.layout).map((m) => m.merged)).toEqual([["T1", "T2"]]);
    expect(events.some((e) => /T1: waiting — batch window: waiting up to 60 s/.test(e.text))).toBe(
      true,
    );
    expect(
      gitSync(dir, "log", "--merges", "--first-parent", "--format=%s", "main").split("\n"),
    ).toEqual(["Merge T2: Two", "Merge T1: One"]);
  }, 120_000);
});

describe("a full disk (ENOSPC)", () => {
  it("stops the run in one line; the agent in flight is not charged a failure", async () => {
    dir = makeRepo({
      ".github/conveyor.yml": configOf(agent("T1", 3), ""),
      "TODO.md": "# TODO\n\n- [high] One\n",
    });
    const repo = await openRepo(dir);
    const run = runLocal({ repo, env: GIT_ENV, emit: () => {}, untilIdle: true, intervalMs: 50 });
    await until(
      () => readRunRecords(repo.layout).some((r) => r.status === "running"),
      "the agent to run",
    );
    disk.full = /state\.json/;
    const stopped = await run;
    disk.full = undefined;
    expect(disk.hits).toBeGreaterThan(0);
    expect(stopped.reason).toBe("error");
    expect(stopped.message).toMatch(
      /^the disk is full \(ENOSPC writing .*state\.json.*\): stopped;/,
    );
    expect(stopped.message).not.toContain("\n");
    const records = readRunRecords(repo.layout);
    expect(records.map((r) => [r.correlationId, r.status])).toEqual([
      ["T1/task/0/1", "interrupted"],
    ]);

    // Space again: the same attempt runs again, and nothing counts as a failure.
    const resumed = await runLocal({
      repo,
      env: GIT_ENV,
      emit: () => {},
      untilIdle: true,
      intervalMs: 50,
    });
    expect(resumed.reason).toBe("idle");
    const task = resumed.last!.board.tasks[0]!;
    expect(task.stage).toBe("done");
    expect(task.memory.attempts.task).toBe(0);
  }, 120_000);
});
