import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { closest, parseBoard } from "../../src/core/board-schema.js";

/** `conveyor plan --board` reads boards strictly: what it cannot honour is refused, with the path. */

const errorsOf = (value: unknown) => {
  const r = parseBoard(value);
  return r.ok ? [] : r.errors;
};

describe("boards are read strictly", () => {
  it("a misspelt key is refused with the closest known key, not dropped", () => {
    expect(errorsOf({ tasks: [{ id: "1", stgae: "review" }] })).toEqual([
      "tasks.0.stgae: unknown key, did you mean `stage`?",
    ]);
    expect(errorsOf({ tasks: [{ id: "1", memory: { verdicts: { reveiw: {} } } }] })).toEqual([
      "tasks.0.memory.verdicts.reveiw: unknown key, did you mean `review`?",
    ]);
    expect(errorsOf({ repoMemroy: {} })).toEqual([
      "repoMemroy: unknown key, did you mean `repoMemory`?",
    ]);
    // Far from every known key: no guess.
    expect(errorsOf({ tasks: [{ id: "1", colour: "red" }] })).toEqual([
      "tasks.0.colour: unknown key",
    ]);
  });

  it("unknown keys inside results and runs are refused too", () => {
    const errors = errorsOf({
      tasks: [{ id: "1" }],
      results: { "1/task/0/1": { role: "task", outcome: "ok", sumary: "x" } },
    });
    expect(errors).toEqual(["results.1/task/0/1.sumary: unknown key, did you mean `summary`?"]);
  });

  it("results and runs must belong to a task, under their own correlation id", () => {
    expect(
      errorsOf({
        tasks: [{ id: "1" }],
        results: { "9/task/0/1": { role: "task", outcome: "ok", summary: "" } },
        runs: {
          "1/task/0/1": { correlationId: "1/task/0/2", status: "queued" },
        },
      }),
    ).toEqual([
      "runs.1/task/0/1.correlationId: names 1/task/0/2, but is filed under 1/task/0/1",
      "results.9/task/0/1: no task has this correlation id (no task 9)",
    ]);
  });

  it("a result or run without its correlation id takes the key's", () => {
    const r = parseBoard({
      tasks: [{ id: "1" }],
      results: { "1/task/0/1": { role: "task", outcome: "ok", summary: "" } },
    });
    expect(r.ok && r.board.results["1/task/0/1"]?.correlationId).toBe("1/task/0/1");
  });

  it("a duplicate task id is reported at the duplicate", () => {
    expect(errorsOf({ tasks: [{ id: "1" }, { id: 1 }] })).toEqual([
      "tasks.1.id: task id 1 appears twice (first at tasks.0.id)",
    ]);
  });

  it("a missing required field says 'required'", () => {
    expect(errorsOf({ tasks: [{ title: "no id" }] })).toEqual(["tasks.0.id: required"]);
    expect(errorsOf({ tasks: [{ id: "1", pr: { number: 3, branch: "b" } }] })).toEqual([
      "tasks.0.pr.headSha: required",
    ]);
  });

  it("the README's example board is valid as written", () => {
    const r = parseBoard(JSON.parse(readFileSync("examples/board.json", "utf8")));
    expect(r.ok ? [] : r.errors).toEqual([]);
  });
});

describe("closest", () => {
  it("finds typos and transpositions, not unrelated words", () => {
    expect(closest("stgae", ["stage", "status"])).toBe("stage");
    expect(closest("prioirty", ["priority", "pr"])).toBe("priority");
    expect(closest("zzz", ["stage", "pr"])).toBeUndefined();
  });
});
