import { describe, expect, it } from "vitest";
import { naiveBatch, type Overlap, simulate } from "../../bench/schedule-sim.js";
import { configSchema } from "../../src/core/config.js";

/** The simulator checks itself: invariants of any schedule, never a timing. */
describe("schedule simulator", () => {
  const config = configSchema.parse({});
  const cases: [number, Overlap, number][] = [
    [6, "disjoint", 1],
    [6, "heavy", 2],
    [12, "some", 3],
    [12, "heavy", 4],
    [10, "one-file", 5],
  ];

  it.each(cases)(
    "%i tasks, %s, seed %i: every task ends merged or escalated, never below the bound",
    (tasks, overlap, seed) => {
      const r = simulate({ tasks, overlap, seed, config });
      expect(r.merged + r.escalated).toBe(tasks);
      expect(r.merged).toBeGreaterThan(0);
      expect(r.bound.value).toBeGreaterThan(0);
      expect(r.makespanMin).toBeGreaterThanOrEqual(r.bound.value - 1e-9);
      expect(r.extraRuns).toBeGreaterThanOrEqual(0);
      expect(r.utilisation).toBeLessThanOrEqual(1 + 1e-9);
      expect(r.merges).toBeLessThanOrEqual(r.merged);
    },
  );

  it("is deterministic for a seed, and the seed matters", () => {
    const a = simulate({ tasks: 12, overlap: "some", seed: 7, config });
    const b = simulate({ tasks: 12, overlap: "some", seed: 7, config });
    const c = simulate({ tasks: 12, overlap: "some", seed: 8, config });
    expect(b).toEqual(a);
    expect(c.makespanMin).not.toBe(a.makespanMin);
  });

  it("bounds the same work whatever the capacity", () => {
    const six = simulate({ tasks: 12, overlap: "disjoint", seed: 3, config });
    const twelve = simulate({
      tasks: 12,
      overlap: "disjoint",
      seed: 3,
      config: configSchema.parse({ capacity: { agents: 12, inFlight: 12 } }),
    });
    expect(twelve.bound.work * 12).toBeCloseTo(six.bound.work * 6, 6);
    expect(twelve.makespanMin).toBeGreaterThanOrEqual(twelve.bound.value - 1e-9);
  });

  it("the naive batch schedule finishes every task on the same work", () => {
    const r = naiveBatch({ tasks: 12, overlap: "disjoint", seed: 1, config });
    expect(r.merged + r.escalated).toBe(12);
    expect(r.makespanMin).toBeGreaterThan(0);
  });
});
