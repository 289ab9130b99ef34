import * as fs from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Effect } from "../../src/core/effects.js";
import { executeEffects } from "../../src/local/execute-effects.js";
import { loadBoard } from "../../src/local/load-board.js";
import type { LocalRepo } from "../../src/local/local-repo.js";
import { Supervisor } from "../../src/local/supervisor.js";
import { cleanup, gitSync, makeRepo, openRepo } from "./temp-repo.js";

/**
 * A SIGKILL can stop `conveyor run` between any two of its writes, or inside one (a file
 * opened and truncated, its text not yet written). These tests stop the executor at each
 * file write in turn — the write is cut off (the target left empty) and nothing after it
 * runs — then load the board as a resumed run would: no task may ever be missing.
 */
const crash = vi.hoisted(() => ({ at: 0, count: 0, hit: false }));

vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs")>();
  const step = (): boolean => {
    if (crash.at === 0) return false;
    crash.count++;
    if (crash.count !== crash.at) return false;
    crash.hit = true;
    return true;
  };
  const writeFileSync: typeof real.writeFileSync = (file, data, options) => {
    if (step()) {
      // Killed after open(O_TRUNC), before the text went out.
      real.writeFileSync(file, "");
      throw new Error(`simulated SIGKILL inside write #${crash.count}`);
    }
    return real.writeFileSync(file, data, options);
  };
  const renameSync: typeof real.renameSync = (from, to) => {
    if (step()) throw new Error(`simulated SIGKILL before rename #${crash.count}`);
    return real.renameSync(from, to);
  };
  const mocked = { ...real, writeFileSync, renameSync };
  return { ...mocked, default: mocked };
});

const now = new Date("2026-11-25T10:00:00.000Z");
let dir = "";
afterEach(() => {
  crash.at = 0;
  if (dir) cleanup(dir);
  dir = "";
});

const supervisorOf = (repo: LocalRepo) =>
  new Supervisor({ layout: repo.layout, launcher: { command: "true", args: [] }, env: {} });

/** One pass of the executor with `effects`; a simulated crash ends it where it hits. */
async function pass(repo: LocalRepo, effects: Effect[] = []): Promise<void> {
  const loaded = await loadBoard(repo, { now, preflight: [] });
  if (loaded instanceof Error) throw loaded;
  const ctx = { repo, supervisor: supervisorOf(repo), emit: () => {}, now };
  await executeEffects(loaded, effects, ctx);
}

async function board(repo: LocalRepo) {
  const loaded = await loadBoard(repo, { now, preflight: [] });
  if (loaded instanceof Error) throw loaded;
  return loaded;
}

const move = (task: string, from: "todo" | "in-progress", to: "in-progress" | "review") =>
  ({ type: "set-stage", task, from, to, reason: "test" }) as const;

/**
 * T1..T3 numbered and committed; then, in one pass, a task written by hand gets its id (T4),
 * T1 moves to in-progress, T2 on to review and T3 is abandoned: three tracking files and
 * CHANGELOG.md change, tasks leave one file and enter another.
 */
async function crashedRepo(at: number): Promise<{ repo: LocalRepo; hit: boolean }> {
  dir = makeRepo({
    "TODO.md": "# TODO\n\n- [high] One\n- Two\n- Three\n",
    "CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n",
  });
  const repo = await openRepo(dir);
  await pass(repo);
  await pass(repo, [move("T2", "todo", "in-progress")]);
  fs.appendFileSync(`${dir}/TODO.md`, "- Four, written by hand\n");
  crash.count = 0;
  crash.hit = false;
  crash.at = at;
  try {
    await pass(repo, [
      move("T1", "todo", "in-progress"),
      move("T2", "in-progress", "review"),
      { type: "set-stage", task: "T3", from: "todo", to: "abandoned", reason: "test" },
      { type: "record-abandoned", task: "T3", title: "Three", reason: "not needed" },
    ]);
  } catch (e: unknown) {
    if (!crash.hit) throw e;
  }
  crash.at = 0;
  return { repo, hit: crash.hit };
}

describe("a crash at any instant of a pass's writes", () => {
  it("loses no task, numbers none twice, and the next pass leaves the files whole and committed", async () => {
    let hits = 0;
    for (let at = 1; ; at++) {
      const { repo, hit } = await crashedRepo(at);
      const after = await board(repo);
      const where = `crash at write #${at}`;
      expect(after.board.tasks.map((t) => `${t.id} ${t.title}`).sort(), where).toEqual([
        "T1 One",
        "T2 Two",
        "T3 Three",
        "T4 Four, written by hand",
      ]);
      expect(after.problems, where).toEqual([]);

      // The resumed run's first pass repairs the files: whole, consistent, committed.
      await pass(repo);
      const resumed = await board(repo);
      expect(
        resumed.board.tasks.map((t) => [t.id, t.stage]),
        where,
      ).toEqual(after.board.tasks.map((t) => [t.id, t.stage]));
      expect(resumed.assigned, where).toEqual([]);
      // CHANGELOG.md records the abandon exactly when the board has T3 abandoned.
      const abandoned = resumed.board.tasks.find((t) => t.id === "T3")?.stage === "abandoned";
      const changelog = fs.readFileSync(`${dir}/CHANGELOG.md`, "utf8");
      expect(changelog.includes("Abandoned T3: Three — not needed"), where).toBe(abandoned);
      expect(gitSync(dir, "status", "--porcelain"), where).toBe("");
      cleanup(dir);
      dir = "";
      if (!hit) break;
      hits++;
    }
    // Every write of the pass was a crash point once (a sanity check on the harness).
    expect(hits).toBeGreaterThanOrEqual(4);
  });
});
