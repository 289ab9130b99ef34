import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { emptyMemory } from "../../src/core/board.js";
import { runLocal } from "../../src/local/run/run-local.js";
import { failureLine } from "../../src/local/view/log-lines.js";
import { cleanup, GIT_ENV, gitSync, makeRepo, openRepo } from "./temp-repo.js";

let dir = "";
afterEach(() => {
  if (dir) cleanup(dir);
  dir = "";
});

describe("the log says each failure, its reason and what follows", () => {
  it("a failed run: the reason, then the retry it gets; the last one: escalated", async () => {
    dir = makeRepo({ "TODO.md": "# TODO\n\n- [high] Never works\n" });
    mkdirSync(join(dir, ".github"), { recursive: true });
    writeFileSync(
      join(dir, ".github", "conveyor.yml"),
      `tests:\n  fallback: "true"\nagent:\n  runner: command\n  command: "cat > /dev/null; echo no luck >&2; exit 1"\n`,
    );
    gitSync(dir, "add", ".github/conveyor.yml");
    gitSync(dir, "commit", "-q", "-m", "config");
    const repo = await openRepo(dir);
    const lines: string[] = [];
    await runLocal({
      repo,
      env: GIT_ENV,
      emit: (e) => lines.push(e.text),
      untilIdle: true,
      intervalMs: 100,
    });
    const failed = lines.findIndex((l) => /^T1: task agent failed: .+; retry 1 of 1$/.test(l));
    expect(failed, lines.join("\n")).toBeGreaterThanOrEqual(0);
    const retry = lines.findIndex((l) => /^T1: task agent started \(retry 1, /.test(l));
    expect(retry).toBeGreaterThan(failed);
    const last = lines.findIndex(
      (l, i) => i > retry && /^T1: task agent failed: .+; escalated$/.test(l),
    );
    expect(last, lines.join("\n")).toBeGreaterThan(retry);
    // Said once each.
    expect(new Set(lines.filter((l) => !l.includes("waiting"))).size).toBe(
      lines.filter((l) => !l.includes("waiting")).length,
    );
  }, 120_000);

  it("words a merge failure and a role failure the same way", () => {
    const before = emptyMemory();
    const merge = {
      ...before,
      attempts: { ...before.attempts, merge: 1 },
      lastFailure: "merge failed: a hook said no",
    };
    expect(failureLine("T2", before, merge, 2)).toBe(
      "T2: merge failed: a hook said no; retry 1 of 2",
    );
    const tester = {
      ...before,
      attempts: { ...before.attempts, tester: 2 },
      lastFailure: "the tests failed: 2 of 14",
    };
    expect(
      failureLine("T2", { ...before, attempts: { ...before.attempts, tester: 1 } }, tester, 1),
    ).toBe("T2: tester agent failed: the tests failed: 2 of 14; escalated");
    expect(failureLine("T2", before, before, 1)).toBeUndefined();
  });
});
