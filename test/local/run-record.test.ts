import { describe, expect, it } from "vitest";
import { type RunRecord, runInfoOf } from "../../src/local/agents/run-record.js";

const base: RunRecord = {
  correlationId: "T1/task/0/1",
  task: "T1",
  role: "task",
  attempt: 0,
  pid: 4242,
  startedAt: "2026-11-25T10:00:00.000Z",
  status: "running",
};

describe("a run record as the planner sees it", () => {
  it.each<[string, Partial<RunRecord>, boolean, string]>([
    ["a live agent", {}, true, "in_progress"],
    ["an agent that died with `conveyor run`", {}, false, "completed/null"],
    [
      "an agent of an earlier `conveyor run` that ended after a cancel",
      { cancelled: true },
      false,
      "completed/cancelled",
    ],
    ["an agent that exited 0", { status: "exited", exitCode: 0 }, false, "completed/success"],
    ["an agent that exited 1", { status: "exited", exitCode: 1 }, false, "completed/failure"],
    [
      "an agent killed at its timeout",
      { status: "exited", timedOut: true },
      false,
      "completed/timed_out",
    ],
    ["an agent cancelled", { status: "exited", cancelled: true }, false, "completed/cancelled"],
    ["an agent stopped by Ctrl-C (started again)", { status: "interrupted" }, false, "none"],
    ["a record without a pid (started again)", { pid: undefined }, true, "none"],
  ])("%s", (_what, change, alive, expected) => {
    const info = runInfoOf({ ...base, ...change }, () => alive);
    const seen = info
      ? info.status === "completed"
        ? `completed/${info.conclusion}`
        : info.status
      : "none";
    expect(seen).toBe(expected);
  });
});
