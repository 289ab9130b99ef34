import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runLocal } from "../../src/local/run/run-local.js";
import { cleanup, GIT_ENV, gitSync, makeRepo, openRepo } from "./temp-repo.js";

let dir = "";
afterEach(() => {
  if (dir) cleanup(dir);
  dir = "";
});

const AGENT = `cat > /dev/null; echo done >> work-$(git branch --show-current).txt; echo '{\\"summary\\":\\"ok\\",\\"verdict\\":\\"approve\\"}'`;

describe("TODO.md edited by hand while conveyor run works", () => {
  it("picks the new task up on the next pass and takes it through to the merge", async () => {
    dir = makeRepo({
      ".github/conveyor.yml": `tests:\n  fallback: "true"\nagent:\n  runner: command\n  command: "${AGENT}"\n`,
      "TODO.md": "# TODO\n\n- [high] First task\n",
    });
    const repo = await openRepo(dir);
    let added = false;
    const result = await runLocal({
      repo,
      env: GIT_ENV,
      emit: () => {},
      untilIdle: true,
      intervalMs: 100,
      onPass: (s) => {
        if (added || !s.board.tasks.some((t) => t.stage === "in-progress")) return;
        appendFileSync(join(dir, "TODO.md"), "- [low] Added by hand\n  - Location: notes.txt\n");
        added = true;
      },
    });
    expect(added).toBe(true);
    expect(result.reason).toBe("idle");
    expect(result.last!.board.tasks.map((t) => [t.id, t.title, t.stage])).toEqual([
      ["T1", "First task", "done"],
      ["T2", "Added by hand", "done"],
    ]);
    expect(
      gitSync(dir, "log", "--merges", "--first-parent", "--format=%s").split("\n").sort(),
    ).toEqual(["Merge T1: First task", "Merge T2: Added by hand"]);
    expect(gitSync(dir, "status", "--porcelain")).toBe("");
  }, 120_000);
});
