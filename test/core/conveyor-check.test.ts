/**
 * The `Conveyor` check run on the PR head (issue 12, quiet mode): the stage the pass leaves
 * the task in, its place in the merge queue, completed when merged, escalated or abandoned;
 * decided by the pass, written only when it changed (the memory keeps the last one).
 */
import { describe, expect, it } from "vitest";
import { applyEffects } from "../../src/core/apply.js";
import type { Board } from "../../src/core/board.js";
import type { Effect } from "../../src/core/effects.js";
import { planPass } from "../../src/core/pass-plan.js";
import { board, config, T0, task } from "../support/board-builder.js";

const none = { closedByPerson: new Set<string>(), escalatedShown: new Set<string>() };
const quiet = config({ comments: "sticky" });
const sha = (id: string) => `head${id}`.padEnd(40, "0");
const passOn = (id: string) => ({
  verdicts: {
    review: {
      role: "reviewer" as const,
      value: "approve" as const,
      sha: sha(id),
      at: T0.toISOString(),
    },
    test: { role: "tester" as const, value: "pass" as const, sha: sha(id), at: T0.toISOString() },
  },
});
const queued = (id: string) =>
  task({
    id,
    stage: "merge-queue",
    pr: { changedFiles: [`src/file${id}.ts`] },
    memory: { ...passOn(id), stageSince: `2026-11-0${id}T00:00:00.000Z` },
  });

const checks = (effects: Effect[]) =>
  effects.flatMap((e) =>
    e.type === "conveyor-check" ? [[e.task, e.status, e.conclusion ?? "", e.title]] : [],
  );

describe("the Conveyor check", () => {
  it("shows each queued PR's place; the one this pass merges is completed", () => {
    // One merge per pass (no batches): the others keep their place.
    const b = board([queued("1"), queued("2"), queued("3")]);
    const out = planPass(
      b,
      config({ comments: "sticky", merge: { batchDisjoint: false } }),
      T0,
      none,
    );
    expect(checks(out.effects)).toEqual([
      ["1", "completed", "success", "Merged"],
      ["2", "in_progress", "", "Merge queue: 1 of 2"],
      ["3", "in_progress", "", "Merge queue: 2 of 2"],
    ]);
    // Each check write is followed by the memory that records it, after every other effect.
    const firstCheck = out.effects.findIndex((e) => e.type === "conveyor-check");
    expect(out.effects.slice(firstCheck).map((e) => e.type)).toEqual([
      "conveyor-check",
      "save-memory",
      "conveyor-check",
      "save-memory",
      "conveyor-check",
      "save-memory",
    ]);
    const memory = out.effects.find(
      (e): e is Extract<Effect, { type: "save-memory" }> =>
        e.type === "save-memory" && e.task === "2",
    )!.memory;
    expect(memory.check).toEqual({ sha: sha("2"), text: "in_progress//Merge queue: 1 of 2" });
  });

  it("an unchanged pass writes no check (and saves no memory for it)", () => {
    const b = board([task({ id: "1", stage: "review", pr: true, memory: { runs: 1 } })], {});
    // A reviewer is dispatched: the first pass writes "Review".
    const first = planPass(b, quiet, T0, none);
    expect(checks(first.effects)).toEqual([["1", "in_progress", "", "Review"]]);
    let next: Board = applyEffects(b, first.effects, T0);
    const again = planPass(next, quiet, T0, none);
    expect(checks(again.effects)).toEqual([]);
    // A new head (a push) is a new check on that head.
    next = {
      ...next,
      tasks: next.tasks.map((t) => ({ ...t, pr: { ...t.pr!, headSha: sha("9") } })),
    };
    const pushed = planPass(next, quiet, T0, none).effects.filter(
      (e) => e.type === "conveyor-check",
    );
    expect(pushed.map((e) => e.type === "conveyor-check" && e.sha)).toEqual([sha("9")]);
  });

  it("an escalated task's check is completed (neutral); an abandoned one's cancelled", () => {
    const escalation = {
      reason: "tests failed twice",
      at: T0.toISOString(),
      stage: "testing" as const,
    };
    const b = board([
      task({ id: "1", stage: "testing", pr: true, memory: { escalation } }),
      task({ id: "2", stage: "review", pr: true }),
    ]);
    const out = planPass(b, quiet, T0, {
      ...none,
      escalatedShown: new Set(["1"]),
      closedByPerson: new Set(["2"]),
    });
    expect(checks(out.effects)).toEqual([
      ["1", "completed", "neutral", "Escalated: Testing"],
      ["2", "completed", "cancelled", "Abandoned"],
    ]);
  });

  it.each([
    ["comments: each (the default)", config(), {}],
    ["conveyorCheck: false", config({ comments: "sticky", conveyorCheck: false }), {}],
    ["the config is invalid", quiet, { configErrors: ["labels: bad"] }],
  ])("no check with %s", (_, cfg, extra) => {
    const b = board([queued("1"), task({ id: "2", stage: "review", pr: true })], extra);
    expect(checks(planPass(b, cfg, T0, none).effects)).toEqual([]);
  });

  it("a task without a PR gets no check", () => {
    const b = board([task({ id: "1", stage: "todo" })]);
    expect(checks(planPass(b, quiet, T0, none).effects)).toEqual([]);
  });
});
