import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { emptyMemory } from "../../src/core/board.js";
import { Supervisor } from "../../src/local/agents/supervisor.js";
import { loadBoard } from "../../src/local/board/load-board.js";
import { emptyState, writeState } from "../../src/local/board/state-store.js";
import { executeEffects } from "../../src/local/run/execute-effects.js";
import { cleanup, makeRepo, openRepo } from "./temp-repo.js";

const now = new Date("2026-11-25T10:00:00.000Z");
let dir = "";
afterEach(() => {
  if (dir) cleanup(dir);
  dir = "";
});

describe("a task id used before", () => {
  it.each(["done", "abandoned"] as const)(
    "of a task that is %s is refused with a clear message; the old task keeps its history",
    async (stage) => {
      dir = makeRepo({ "TODO.md": "# TODO\n\n- T3: Something new\n- Numbered by Conveyor\n" });
      const repo = await openRepo(dir);
      const state = emptyState();
      state.tasks.T3 = {
        title: "The old task",
        priority: "medium",
        stage,
        createdAt: "2026-11-20T10:00:00.000Z",
        locations: [],
        memory: {
          ...emptyMemory(),
          runs: 5,
          attempts: { task: 1, reviewer: 0, tester: 1, merge: 0 },
        },
      };
      writeState(repo.layout.stateFile, state);
      const loaded = await loadBoard(repo, { now, preflight: [] });
      if (loaded instanceof Error) throw loaded;
      expect(loaded.board.tasks.map((t) => [t.id, t.title, t.stage])).toEqual([
        ["T4", "Numbered by Conveyor", "todo"],
        ["T3", "The old task", stage],
      ]);
      expect(loaded.problems.map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([
        `TODO.md:3: task id T3 belongs to a task that is ${stage} ("The old task"); ids are never reused: leave the id out (Conveyor numbers the task) or choose another`,
      ]);
      const supervisor = new Supervisor({
        layout: repo.layout,
        launcher: { command: "true", args: [] },
        env: {},
      });
      await executeEffects(loaded, [], { repo, supervisor, emit: () => {}, now });
      // The line is kept as written, for the user to fix.
      expect(readFileSync(join(dir, "TODO.md"), "utf8")).toContain("\n- T3: Something new\n");
    },
  );
});
