import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadBoard } from "../../src/local/board/load-board.js";
import { readState, writeState } from "../../src/local/board/state-store.js";
import { cleanup, makeRepo, openRepo, planAndRun } from "./temp-repo.js";

const now = new Date("2026-11-25T10:00:00.000Z");
let dir = "";
afterEach(() => {
  if (dir) cleanup(dir);
  dir = "";
});

/** One pass of `conveyor run` (agents started end at once, no result). */
const pass = () => planAndRun(dir, now);

async function board() {
  const loaded = await loadBoard(await openRepo(dir), { now, preflight: [] });
  if (loaded instanceof Error) throw loaded;
  return loaded;
}

const DUPLICATE = "- **T3** [high] Write a, again";

describe("a task id listed twice: the second line is the user's and never comes alive", () => {
  it("when the first copy moves on to IN_PROGRESS, the kept line is not a second T3", async () => {
    dir = makeRepo({ "TODO.md": `# TODO\n\n- **T3** [high] Write a\n${DUPLICATE}\n` });
    const first = await pass();
    expect(first.problems.map((p) => p.message).join("\n")).toMatch(/T3/);
    const after = await board();
    const t3 = after.board.tasks.filter((t) => t.id === "T3");
    expect(t3.map((t) => [t.stage, t.title])).toEqual([["in-progress", "Write a"]]);
    // The user's line is still there, once, and still reported.
    const todo = readFileSync(join(dir, "TODO.md"), "utf8");
    expect(todo.split("\n").filter((l) => l.includes("Write a, again"))).toHaveLength(1);
    expect(after.problems.some((p) => p.file === "TODO.md" && /T3/.test(p.message))).toBe(true);
    // More passes change nothing of that.
    await pass();
    const later = await board();
    expect(later.board.tasks.filter((t) => t.id === "T3").map((t) => t.stage)).toEqual([
      "in-progress",
    ]);
  });

  it("when the first copy is done, the kept line does not reopen it", async () => {
    dir = makeRepo({ "TODO.md": `# TODO\n\n- **T3** [high] Write a\n${DUPLICATE}\n` });
    await pass();
    // T3 finished (as a merge leaves it: done in the state, gone from the tracking files).
    const repo = await openRepo(dir);
    const state = readState(repo.layout.stateFile);
    if (state instanceof Error) throw state;
    state.tasks.T3!.stage = "done";
    state.tasks.T3!.memory.run = undefined;
    writeState(repo.layout.stateFile, state);
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(dir, "IN_PROGRESS.md"), "# In progress\n\n_No tasks._\n");
    const loaded = await board();
    expect(loaded.board.tasks.filter((t) => t.id === "T3").map((t) => t.stage)).toEqual(["done"]);
    await pass();
    const again = await board();
    expect(again.board.tasks.filter((t) => t.id === "T3").map((t) => t.stage)).toEqual(["done"]);
  });
});
