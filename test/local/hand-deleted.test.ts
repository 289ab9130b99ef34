import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { plan } from "../../src/core/plan.js";
import { Supervisor } from "../../src/local/agents/supervisor.js";
import { loadBoard } from "../../src/local/board/load-board.js";
import { executeEffects } from "../../src/local/run/execute-effects.js";
import { cleanup, makeRepo, openRepo } from "./temp-repo.js";

const now = new Date("2026-11-25T10:00:00.000Z");
let dir = "";
afterEach(() => {
  if (dir) cleanup(dir);
  dir = "";
});

async function pass(d: string, withPlan: boolean) {
  const repo = await openRepo(d);
  const loaded = await loadBoard(repo, { now, preflight: [] });
  if (loaded instanceof Error) throw loaded;
  const supervisor = new Supervisor({
    layout: repo.layout,
    launcher: { command: "sleep", args: ["30"] },
    env: {},
  });
  const effects = withPlan ? plan(loaded.board, repo.config, now).effects : [];
  await executeEffects(loaded, effects, { repo, supervisor, emit: () => {}, now });
  await supervisor.stopAll();
  return loaded;
}

describe("tracking files edited by hand", () => {
  it("a task in flight whose line was deleted from IN_PROGRESS.md is kept, and the user is told", async () => {
    dir = makeRepo({ "TODO.md": "# TODO\n\n- [high] Keep me\n- [low] Other\n" });
    await pass(dir, true);
    const inProgress = join(dir, "IN_PROGRESS.md");
    expect(readFileSync(inProgress, "utf8")).toContain("**T1** [high] Keep me");
    writeFileSync(inProgress, "# In progress\n\n_No tasks._\n");

    const loaded = await pass(dir, false);
    const t1 = loaded.board.tasks.find((t) => t.id === "T1");
    expect(t1?.stage).toBe("in-progress");
    expect(loaded.problems.map((p) => p.message)).toContainEqual(
      expect.stringMatching(
        /^task T1 \(in-progress\) was deleted from IN_PROGRESS\.md by hand; Conveyor keeps it .*conveyor abandon T1/,
      ),
    );
    expect(readFileSync(inProgress, "utf8")).toContain("**T1** [high] Keep me");
  }, 60_000);

  it("a read-only tracking file stays read-only when Conveyor rewrites it", async () => {
    dir = makeRepo({ "TODO.md": "# TODO\n\n- [high] Number me\n" });
    chmodSync(join(dir, "TODO.md"), 0o444);
    await pass(dir, false);
    expect(readFileSync(join(dir, "TODO.md"), "utf8")).toContain("**T1** [high] Number me");
    expect(statSync(join(dir, "TODO.md")).mode & 0o777).toBe(0o444);
  });
});
