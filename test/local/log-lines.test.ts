import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type AgentResult, emptyMemory } from "../../src/core/board.js";
import { runLocal } from "../../src/local/run/run-local.js";
import { failureLine, testerLines } from "../../src/local/view/log-lines.js";
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

describe("the tester's counts in the log", () => {
  it("a failing-then-fixed tester: the counts, the fix, no repeated line, no stale queue position", async () => {
    // The project's tests fail 2 of 14 until fixed.txt exists; the tester agent writes it.
    dir = makeRepo({
      "TODO.md": "# TODO\n\n- [high] Write a\n",
      "t.sh": [
        "if [ -f fixed.txt ]; then printf '# tests 14\\n# pass 14\\n# fail 0\\n'; exit 0; fi",
        "printf '# tests 14\\n# pass 12\\n# fail 2\\n'; exit 1",
        "",
      ].join("\n"),
    });
    const agent = `p=$(cat); case \\"$p\\" in *Role??tester*) echo ok > fixed.txt;; *Role??task*) echo a > a.txt;; esac; echo '{\\"summary\\":\\"ok\\",\\"verdict\\":\\"approve\\"}'`;
    mkdirSync(join(dir, ".github"), { recursive: true });
    writeFileSync(
      join(dir, ".github", "conveyor.yml"),
      `tests:\n  fallback: "sh t.sh"\nmerge:\n  batchWindowSeconds: 0\nagent:\n  runner: command\n  command: "${agent}"\n`,
    );
    gitSync(dir, "add", ".github/conveyor.yml");
    gitSync(dir, "commit", "-q", "-m", "config");
    const repo = await openRepo(dir);
    const lines: string[] = [];
    await runLocal({
      repo,
      env: { ...GIT_ENV, CONVEYOR_SANDBOX: "off" },
      emit: (e) => lines.push(e.text),
      untilIdle: true,
      intervalMs: 100,
    });
    const log = lines.join("\n");
    const fixing = lines.indexOf("T1: tests failed: 2 of 14; tester fixing, attempt 1 of 1");
    expect(fixing, log).toBeGreaterThanOrEqual(0);
    expect(lines[fixing + 1]).toBe("T1: tests failed → fixed → passed (14 of 14)");
    // The moves the result caused come after what the run did.
    const moved = lines.findIndex((l) => l.startsWith("T1: testing → "));
    expect(moved, log).toBeGreaterThan(fixing + 1);
    const merged = lines.indexOf("merged T1 into main");
    expect(merged, log).toBeGreaterThan(fixing);
    expect(new Set(lines).size, log).toBe(lines.length);
    // A queue position said after the task merged would be stale.
    expect(
      lines.slice(merged).some((l) => /waiting — merge queue/.test(l)),
      log,
    ).toBe(false);
  }, 240_000);

  it("words a tester failure by its counts, after its fix or without one", () => {
    const before = emptyMemory();
    const after = {
      ...before,
      attempts: { ...before.attempts, tester: 1 },
      lastFailure: "the tests failed: Targeted tests failed: `sh t.sh` (fallback).",
    };
    const result = (runs: { failed: number; total: number }[]): AgentResult => ({
      correlationId: "T3/tester/0/3",
      role: "tester",
      outcome: "ok",
      passed: false,
      summary: "",
      tests: { runs: runs.map((r) => ({ ...r, unit: "tests" as const })), fixRounds: 1 },
    });
    expect(failureLine("T3", before, after, 1, result([{ failed: 2, total: 14 }]))).toBe(
      "T3: tests failed: 2 of 14; retry 1 of 1",
    );
    const fixedSome = result([
      { failed: 2, total: 14 },
      { failed: 1, total: 14 },
    ]);
    expect(failureLine("T3", before, after, 1, fixedSome)).toBe(
      "T3: tests failed: 1 of 14 after its fix; retry 1 of 1",
    );
    expect(testerLines("T3", fixedSome)).toEqual([
      "T3: tests failed: 2 of 14; tester fixing, attempt 1 of 1",
    ]);
    expect(testerLines("T3", result([{ failed: 0, total: 14 }]))).toEqual([]);
    const commands: AgentResult = {
      ...fixedSome,
      passed: true,
      tests: {
        runs: [
          { failed: 1, total: 2, unit: "commands" },
          { failed: 0, total: 2, unit: "commands" },
        ],
        fixRounds: 1,
      },
    };
    expect(testerLines("T3", commands)).toEqual([
      "T3: tests failed: 1 of 2 test commands; tester fixing, attempt 1 of 1",
      "T3: tests failed → fixed → passed (2 of 2 test commands)",
    ]);
  });
});
