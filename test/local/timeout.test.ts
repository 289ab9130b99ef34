import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readRunRecords } from "../../src/local/agents/run-record.js";
import type { LocalEvent } from "../../src/local/run/local-events.js";
import { runLocal } from "../../src/local/run/run-local.js";
import { cleanup, GIT_ENV, makeRepo, openRepo } from "./temp-repo.js";

let dir = "";
afterEach(() => {
  if (dir) cleanup(dir);
  dir = "";
});

/** Dead, or a zombie waiting for a parent that no longer exists to reap it. */
const gone = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
};

describe("an agent past its timeout", () => {
  it("has its whole process group killed, is retried once, then escalated", async () => {
    dir = makeRepo({
      ".github/conveyor.yml": "roles:\n  task:\n    timeoutMinutes: 0.02\n",
      "TODO.md": "# TODO\n\n- [high] Hang forever\n",
    });
    const pids = join(dir, ".git", "grandchildren");
    // The "agent" starts a grandchild and waits: only a group kill ends both.
    const launcher = {
      command: "sh",
      args: ["-c", `sleep 30 & echo $! >> ${pids}; wait`, "agent"],
    };
    const repo = await openRepo(dir);
    const events: LocalEvent[] = [];
    const result = await runLocal({
      repo,
      env: GIT_ENV,
      emit: (e) => events.push(e),
      untilIdle: true,
      intervalMs: 100,
      launcher,
    });
    expect(result.reason).toBe("idle");
    const task = result.last!.board.tasks[0]!;
    expect(task.memory.escalation?.reason).toMatch(/timed out|without publishing a result/);
    expect(task.memory.runs).toBe(2);
    const records = readRunRecords(repo.layout).sort((a, b) =>
      a.correlationId.localeCompare(b.correlationId),
    );
    expect(records.map((r) => r.correlationId)).toEqual(["T1/task/0/1", "T1/task/1/2"]);
    for (const r of records) {
      expect(r.status).toBe("exited");
      expect(gone(r.pid!)).toBe(true);
    }
    const grandchildren = readFileSync(pids, "utf8").trim().split("\n").map(Number);
    expect(grandchildren).toHaveLength(2);
    for (const pid of grandchildren) expect(gone(pid)).toBe(true);
    expect(readFileSync(join(dir, "IN_PROGRESS.md"), "utf8")).toContain(
      "- [ESCALATED] **T1** [high] Hang forever",
    );
  });
});
