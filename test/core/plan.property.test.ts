import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyEffects } from "../../src/core/apply.js";
import { type AgentResult, type Board, IN_FLIGHT_STAGES } from "../../src/core/board.js";
import { type Config, PRIORITIES } from "../../src/core/config.js";
import type { Effect } from "../../src/core/effects.js";
import { overlappingLocations } from "../../src/core/locations.js";
import { plan } from "../../src/core/plan.js";
import { board, config, minutesAfter, T0, task } from "../support/board-builder.js";

/**
 * plan -> apply -> plan loops over random boards and random agent outcomes: the rules that
 * must hold whatever happens.
 */

const FILES = ["src/a.ts", "src/b.ts", "src/c.ts", "src/db/", "src/db/pool.ts", "docs/x.md"];

const arbTask = (i: number) =>
  fc
    .record({
      priority: fc.constantFrom(...PRIORITIES),
      age: fc.integer({ min: 0, max: 1000 }),
      locations: fc.subarray(FILES, { maxLength: 2 }),
    })
    .map((r) =>
      task({
        id: String(i + 1),
        priority: r.priority,
        createdAt: new Date(T0.getTime() - r.age * 60_000).toISOString(),
        locations: r.locations,
      }),
    );

const arbBoard = fc
  .integer({ min: 1, max: 14 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbTask(i))))
  .map((tasks) => board(tasks));

const arbConfig = fc
  .record({
    agents: fc.integer({ min: 1, max: 6 }),
    inFlight: fc.integer({ min: 1, max: 6 }),
    batch: fc.boolean(),
    retries: fc.integer({ min: 0, max: 2 }),
  })
  .map((c) =>
    config({
      capacity: { agents: c.agents, inFlight: c.inFlight },
      merge: { batchDisjoint: c.batch, maxBatch: 20 },
      retries: c.retries,
      guards: { maxDispatchesPerHour: 10_000 },
    }),
  );

/** A deterministic stream of dice rolls in [0, 100). */
class Dice {
  private i = 0;
  constructor(private readonly rolls: number[]) {}
  roll(): number {
    const v = this.rolls[this.i % this.rolls.length]!;
    this.i++;
    return v;
  }
}

let shaCounter = 0;
const newSha = () => `sha${++shaCounter}`.padEnd(40, "0");

/** The outside world for one step: agents start, finish, hang; people push. */
function worldStep(b: Board, dice: Dice, now: Date): Board {
  const next = structuredClone(b);
  for (const t of next.tasks) {
    const run = t.memory.run;
    if (!run) {
      // Now and then someone pushes to a PR waiting for its tests or merge.
      if (t.pr && (t.stage === "testing" || t.stage === "merge-queue") && dice.roll() < 3)
        t.pr.headSha = newSha();
      continue;
    }
    const observed = next.runs[run.correlationId];
    if (next.results[run.correlationId] || observed?.status === "completed") continue;
    const r = dice.roll();
    if (observed?.status === "queued" && r < 90) {
      observed.status = "in_progress";
      observed.startedAt = now.toISOString();
      continue;
    }
    if (r < 5) continue; // hangs or never starts: the timeout paths
    if (r < 8) {
      if (observed) observed.status = "completed";
      continue; // crashed without a result
    }
    if (observed?.status !== "in_progress") continue;
    next.results[run.correlationId] = outcome(t, run.role, dice);
    if (observed) observed.status = "completed";
  }
  return next;
}

function outcome(t: Board["tasks"][number], role: AgentResult["role"], dice: Dice): AgentResult {
  const cid = t.memory.run!.correlationId;
  const r = dice.roll();
  const base = { correlationId: cid, role, summary: `roll ${r}`, tokens: 100, costUsd: 0.01 };
  if (r < 8) return { ...base, outcome: "failed" };
  if (role === "task") {
    const head = newSha();
    t.pr = {
      number: 100 + Number(t.id),
      branch: `conveyor/${t.id}`,
      headSha: head,
      changedFiles: t.locations.length > 0 ? t.locations : [`src/t${t.id}.ts`],
      merged: false,
      mergeable: dice.roll() < 90,
    };
    return { ...base, outcome: "ok", headSha: head, pr: t.pr.number };
  }
  if (!t.pr) return { ...base, outcome: "failed" };
  if (dice.roll() < 30) t.pr.headSha = newSha(); // the agent pushed fixes
  if (role === "reviewer") {
    const verdict = r < 65 ? "approve" : r < 80 ? "request_changes" : "approach_wrong";
    return { ...base, outcome: "ok", verdict, headSha: t.pr.headSha };
  }
  return { ...base, outcome: "ok", passed: r < 75, headSha: t.pr.headSha, baseSha: "base" };
}

function checkPlan(b: Board, effects: Effect[], c: Config) {
  const dispatched = effects.filter((e) => e.type === "dispatch");
  const after = applyEffects(b, effects, T0);
  // Never more agents at once than the shared pool holds.
  // Runs being cancelled still hold their runner until they end.
  const active = after.tasks.filter((t) => t.memory.run);
  const cancelling = after.tasks
    .flatMap((t) => t.memory.cancelling ?? [])
    .filter((x) => after.runs[x.correlationId]?.status !== "completed");
  expect(active.length + cancelling.length).toBeLessThanOrEqual(c.capacity.agents);
  // Each dispatch is recorded on its task before it is sent, and only once.
  const cids = dispatched.map((e) => e.type === "dispatch" && e.correlationId);
  expect(new Set(cids).size).toBe(cids.length);
  for (const e of dispatched) {
    if (e.type !== "dispatch") continue;
    const idx = effects.indexOf(e);
    const saved = effects
      .slice(0, idx)
      .some(
        (x) =>
          x.type === "save-memory" &&
          x.task === e.task &&
          x.memory.run?.correlationId === e.correlationId,
      );
    expect(saved).toBe(true);
    const t = after.tasks.find((x) => x.id === e.task)!;
    expect(IN_FLIGHT_STAGES).toContain(t.stage);
  }
  // In flight: never more than the cap after this plan started anything new.
  const inFlight = after.tasks.filter(
    (t) => IN_FLIGHT_STAGES.includes(t.stage) && !t.memory.escalation,
  ).length;
  if (effects.some((e) => e.type === "set-stage" && e.from === "todo"))
    expect(inFlight).toBeLessThanOrEqual(c.capacity.inFlight);
  // Merges never overlap: one merge effect, pairwise-disjoint files, pinned to the head.
  const merges = effects.filter((e) => e.type === "merge");
  expect(merges.length).toBeLessThanOrEqual(1);
  for (const m of merges) {
    if (m.type !== "merge") continue;
    const seen = new Set<string>();
    for (const item of m.batch) {
      const t = b.tasks.find((x) => x.id === item.task)!;
      expect(item.sha).toBe(t.pr!.headSha);
      for (const f of t.pr!.changedFiles) {
        expect(seen.has(f)).toBe(false);
        seen.add(f);
      }
    }
    if (!c.merge.batchDisjoint) expect(m.batch).toHaveLength(1);
  }
  // No two task agents hold overlapping locations.
  const holders = active.filter((t) => t.memory.run?.role === "task");
  for (let i = 0; i < holders.length; i++)
    for (let j = i + 1; j < holders.length; j++)
      expect(overlappingLocations(holders[i]!.locations, holders[j]!.locations)).toEqual([]);
  return after;
}

describe("plan over random boards and random agent outcomes", () => {
  it("keeps every invariant and finishes every task (done or escalated)", () => {
    fc.assert(
      fc.property(
        arbBoard,
        arbConfig,
        fc.array(fc.integer({ min: 0, max: 99 }), { minLength: 50, maxLength: 300 }),
        (start, c, rolls) => {
          const dice = new Dice(rolls);
          let b = start;
          let now = T0;
          const ids = start.tasks.map((t) => t.id).sort();
          for (let step = 0; step < 600; step++) {
            const p = plan(b, c, now);
            b = checkPlan(b, p.effects, c);
            // A second plan over the applied board plans nothing new — except the next merge
            // of the queue when merges are serial (one PR per merge, batching off).
            const again = plan(b, c, now).effects;
            const nextSerialMerge =
              !c.merge.batchDisjoint &&
              again[0]?.type === "merge" &&
              p.effects.some((e) => e.type === "merge");
            if (!nextSerialMerge) expect(again).toEqual([]);
            // No task lost or duplicated.
            expect(b.tasks.map((t) => t.id).sort()).toEqual(ids);
            if (b.tasks.every((t) => t.stage === "done" || t.memory.escalation)) break;
            b = worldStep(b, dice, now);
            now = minutesAfter(now, 3);
          }
          const stuck = b.tasks.filter((t) => t.stage !== "done" && !t.memory.escalation);
          expect(stuck.map((t) => `${t.id}:${t.stage}`)).toEqual([]);
          for (const t of b.tasks)
            expect(t.memory.runs).toBeLessThanOrEqual(c.guards.maxRunsPerTask);
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 150) },
    );
  });

  it("a plan's waiting reasons name every task that could move but does not", () => {
    fc.assert(
      fc.property(arbBoard, arbConfig, (b, c) => {
        const p = plan(b, c, T0);
        const moved = new Set(p.effects.flatMap((e) => ("task" in e ? [e.task] : [])));
        for (const t of b.tasks) {
          if (moved.has(t.id)) continue;
          expect(p.waiting.some((w) => w.task === t.id)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});
