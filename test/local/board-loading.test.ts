import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Supervisor } from "../../src/local/agents/supervisor.js";
import { loadBoard, nextTaskNumber } from "../../src/local/board/load-board.js";
import { executeEffects } from "../../src/local/run/execute-effects.js";
import type { LocalEvent } from "../../src/local/run/local-events.js";
import { cleanup, gitSync, makeRepo, openRepo } from "./temp-repo.js";

const now = new Date("2026-11-25T10:00:00.000Z");
let dir = "";
afterEach(() => {
  if (dir) cleanup(dir);
  dir = "";
});

/** Loads the board and runs an empty pass: the executor's flush (rewrite, commit). */
async function pass(d: string) {
  const repo = await openRepo(d);
  const loaded = await loadBoard(repo, { now, preflight: [] });
  if (loaded instanceof Error) throw loaded;
  const events: LocalEvent[] = [];
  const supervisor = new Supervisor({
    layout: repo.layout,
    launcher: { command: "true", args: [] },
    env: {},
  });
  await executeEffects(loaded, [], { repo, supervisor, emit: (e) => events.push(e), now });
  return { repo, loaded };
}

describe("the board from the tracking files", () => {
  it("numbers hand-written tasks, rewrites TODO.md and commits it on the base branch", async () => {
    dir = makeRepo({
      "TODO.md":
        "# TODO\n\n- [high] Add a flag\n  - Location: src/cli.ts\n  Explain the flag.\n- Second\n",
    });
    const { loaded } = await pass(dir);
    expect(loaded.assigned).toEqual(["T1", "T2"]);
    expect(loaded.board.tasks.map((t) => [t.id, t.priority, t.stage, t.locations])).toEqual([
      ["T1", "high", "todo", ["src/cli.ts"]],
      ["T2", "medium", "todo", []],
    ]);
    const todo = readFileSync(join(dir, "TODO.md"), "utf8");
    expect(todo).toContain("- **T1** [high] Add a flag");
    expect(todo).toContain("  > Explain the flag.");
    expect(gitSync(dir, "status", "--porcelain", "--", "TODO.md")).toBe("");
    expect(gitSync(dir, "log", "-1", "--format=%s")).toBe("conveyor: number new tasks T1, T2");

    // A task added by hand later gets the next id; the others keep theirs.
    writeFileSync(join(dir, "TODO.md"), `${todo}- [low] Third, added while it runs\n`);
    const again = await pass(dir);
    expect(again.loaded.assigned).toEqual(["T3"]);
    expect(again.loaded.board.tasks.map((t) => t.id)).toEqual(["T1", "T2", "T3"]);
    expect(readFileSync(join(dir, "TODO.md"), "utf8")).toContain(
      "- **T3** [low] Third, added while it runs",
    );
  });

  it("reports a line it cannot read with its line number and keeps it as written", async () => {
    dir = makeRepo({
      "TODO.md": "# TODO\n\n- [high] Good task\nthis line is not a task\n- [urgent] Bad priority\n",
    });
    const { loaded } = await pass(dir);
    expect(loaded.problems.map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([
      'TODO.md:4: not a task: write tasks as list items, e.g. "- [high] Title"',
      'TODO.md:5: unknown priority "urgent" (expected critical, high, medium, low)',
    ]);
    expect(loaded.board.tasks.map((t) => t.title)).toEqual(["Good task"]);
    const todo = readFileSync(join(dir, "TODO.md"), "utf8");
    expect(todo).toContain("- **T1** [high] Good task");
    expect(todo).toContain("\nthis line is not a task\n- [urgent] Bad priority\n");
    // Reading again reports the same lines (at their new place) and changes nothing.
    const again = await pass(dir);
    expect(again.loaded.problems).toHaveLength(2);
    expect(readFileSync(join(dir, "TODO.md"), "utf8")).toBe(todo);
  });

  it("never overwrites an edit made while it was planning: the pass stops and re-plans", async () => {
    dir = makeRepo({ "TODO.md": "# TODO\n\n- First\n" });
    const repo = await openRepo(dir);
    const loaded = await loadBoard(repo, { now, preflight: [] });
    if (loaded instanceof Error) throw loaded;
    const edited = "# TODO\n\n- First\n- Added by hand meanwhile\n";
    writeFileSync(join(dir, "TODO.md"), edited);
    const supervisor = new Supervisor({
      layout: repo.layout,
      launcher: { command: "true", args: [] },
      env: {},
    });
    const out = await executeEffects(loaded, [], { repo, supervisor, emit: () => {}, now });
    expect(out.stopped).toBe(
      "TODO.md was edited while Conveyor was planning; planning again with the edit",
    );
    expect(readFileSync(join(dir, "TODO.md"), "utf8")).toBe(edited);
    const next = await pass(dir);
    expect(next.loaded.board.tasks.map((t) => `${t.id} ${t.title}`)).toEqual([
      "T1 First",
      "T2 Added by hand meanwhile",
    ]);
  });

  it("refuses a task id that could not be a branch or folder name", async () => {
    dir = makeRepo({ "TODO.md": "# TODO\n\n- **../../etc** Escape\n- **T1** Fine\n" });
    const { loaded } = await pass(dir);
    expect(loaded.board.tasks.map((t) => t.id)).toEqual(["T1"]);
    expect(loaded.problems[0]?.message).toMatch(/^task id "\.\.\/\.\.\/etc" is not usable/);
  });

  it.each([
    [[], 1],
    [["T1", "T3", "T2"], 4],
    [["T9", "T10", "X4", "12"], 11],
  ])("next task number after %j is %i", (ids, next) => {
    expect(nextTaskNumber(ids)).toBe(next);
  });
});
