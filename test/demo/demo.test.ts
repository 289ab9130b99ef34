import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoScripts } from "../../src/demo/demo-scripts.js";
import { formatDemoSummary } from "../../src/demo/demo-summary.js";
import { type DemoOutcome, runDemo } from "../../src/demo/run-demo.js";
import { readRunRecords } from "../../src/local/agents/run-record.js";
import { repoLayout } from "../../src/local/repo/repo-layout.js";
import type { LocalEvent } from "../../src/local/run/local-events.js";

const parent = mkdtempSync(join(tmpdir(), "conveyor-demo-test-"));
const dir = join(parent, "project");
const events: LocalEvent[] = [];
let outcome: DemoOutcome;

beforeAll(async () => {
  outcome = await runDemo({ dir, env: process.env, emit: (e) => events.push(e), intervalMs: 200 });
}, 180_000);
afterAll(() => rmSync(parent, { recursive: true, force: true }));

const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8" }).trim();

describe("npm run demo (the replayed scenario, end to end)", () => {
  it("merges five tasks and escalates the one that failed twice", () => {
    if (!outcome.ok) throw new Error(outcome.message);
    const tasks = Object.fromEntries(outcome.report.board.tasks.map((t) => [t.id, t]));
    expect(Object.keys(tasks).sort()).toEqual(["T1", "T2", "T3", "T4", "T5", "T6"]);
    for (const id of ["T1", "T2", "T3", "T4", "T6"]) expect(tasks[id]?.stage).toBe("done");
    expect(tasks.T5?.memory.escalation?.reason).toContain("Still blocked");
    // The failure paths: approach wrong then a passing retry; a tester fix; two failures.
    expect(tasks.T3?.memory.runs).toBe(5);
    expect(tasks.T4?.memory.runs).toBe(3);
    expect(tasks.T5?.memory.attempts.task).toBe(2);
    expect(readFileSync(join(dir, "IN_PROGRESS.md"), "utf8")).toContain(
      "- [ESCALATED] **T5** [low]",
    );
  });

  it("plays every scripted turn exactly once: no agent ran twice", () => {
    if (!outcome.ok) throw new Error(outcome.message);
    const scripts = demoScripts();
    const asked = new Map<string, number>();
    for (const r of outcome.requests) asked.set(r.key ?? "?", (asked.get(r.key ?? "?") ?? 0) + 1);
    expect(Object.fromEntries(asked)).toEqual(
      Object.fromEntries(Object.entries(scripts).map(([k, turns]) => [k, turns.length])),
    );
    const runs = readRunRecords(repoLayout(dir));
    expect(new Set(runs.map((r) => r.correlationId)).size).toBe(runs.length);
    // 19 agent runs: no spurious re-test or re-review (a result and its commit read together).
    expect(runs).toHaveLength(19);
    expect(runs.every((r) => r.status === "exited" && r.exitCode === 0)).toBe(true);
  });

  it("really edited, tested, committed and merged: the suite passes on main", () => {
    expect(git("branch", "--show-current")).toBe("main");
    expect(git("status", "--porcelain")).toBe("");
    expect(git("branch", "--format=%(refname:short)")).toBe("T5\nmain");
    expect(existsSync(join(dir, ".worktrees", "T1"))).toBe(false);
    const merges = git("log", "--merges", "--first-parent", "--format=%s", "main").split("\n");
    expect(merges.sort()).toEqual([
      "Merge T1: Fix wordCount on empty and padded strings",
      "Merge T2: Add slugify(text)",
      "Merge T3: Add truncate(text, max) that never cuts a word",
      "Merge T4: Add titleCase(text)",
      "Merge T6: Document the API in the README",
    ]);
    const tests = execFileSync(process.execPath, ["--test", "test/"], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(tests).toMatch(/# fail 0/);
    expect(readFileSync(join(dir, "src/titlecase.js"), "utf8")).toContain(
      "w.slice(1).toLowerCase()",
    );
  });

  it("merges disjoint tasks as one batch and writes the changelog", () => {
    if (!outcome.ok) throw new Error(outcome.message);
    const { merges, changelog } = outcome.report;
    expect(merges.flatMap((m) => m.merged).sort()).toEqual(["T1", "T2", "T3", "T4", "T6"]);
    // Two at a time (maxBatch 2), in queue order: the high-priority pair first.
    expect(merges.map((m) => [...m.merged].sort())).toEqual([["T1", "T2"], ["T3", "T4"], ["T6"]]);
    for (const id of ["T1", "T2", "T3", "T4", "T6"]) expect(changelog).toContain(`(${id})`);
    expect(changelog).not.toContain("(T5)");
    // Each task's entry sits under its own type, one subsection per type.
    const headings = changelog.match(/^### .*$/gm) ?? [];
    expect(new Set(headings).size).toBe(headings.length);
    expect(changelog).toMatch(/### Fixed\n\n- Fix wordCount[^\n]*\(T1\)/);
    expect(changelog).toMatch(/### Added\n\n(- Add [^\n]*\n)*- Add titleCase/);
  });

  it("ends with a summary that says what happened and how to run it for real", () => {
    if (!outcome.ok) throw new Error(outcome.message);
    const text = formatDemoSummary(outcome.report);
    expect(text).toMatch(/5 of 6 tasks merged/);
    expect(text).toMatch(/T5 {4}escalated/);
    expect(text).toContain("one batch");
    // The name the project publishes under: the unscoped `conveyor` is someone else's package.
    expect(text).toContain("npx @conveyor-dev/conveyor run");
    expect(text).not.toMatch(/npx conveyor\b/);
    expect(outcome.report.seconds).toBeGreaterThan(0);
    expect(events.some((e) => e.kind === "escalate" && e.task === "T5")).toBe(true);
  });
});
