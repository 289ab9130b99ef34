import { describe, expect, it } from "vitest";
import {
  inFlightBound,
  laneBound,
  laneSchedule,
  locationsBound,
  type Overlap,
  simulate,
} from "../../bench/schedule-sim.js";
import { configSchema } from "../../src/core/config.js";

describe("laneBound (P||Cmax lower bound)", () => {
  it("three equal chains on two lanes: two run one after the other, above sum ÷ lanes", () => {
    // Σ/c = 7.5; any two of the three 5s share a lane: 10.
    expect(laneBound([5, 5, 5], 2)).toBe(10);
  });

  it("seven chains of 4 under an in-flight cap of 6: 8, not 28 ÷ 6", () => {
    expect(laneBound([4, 4, 4, 4, 4, 4, 4], 6)).toBe(8);
  });

  it("five chains of 3 on two lanes: one lane carries three of them", () => {
    // Σ/c = 7.5, p2 + p3 = 6, the three shortest of the five longest = 9 (the optimum).
    expect(laneBound([3, 3, 3, 3, 3], 2)).toBe(9);
  });

  it("the longest chain, or the mean load, when they are larger", () => {
    expect(laneBound([10, 1, 1, 1], 2)).toBe(10);
    expect(laneBound([4, 4, 4, 4], 4)).toBe(4);
    expect(laneBound([6, 6, 6, 6, 6, 6], 2)).toBe(18);
    expect(laneBound([], 3)).toBe(0);
  });

  it("inFlightBound adds one merge after the last first pass", () => {
    expect(inFlightBound([5, 5, 5], 2, 1)).toBe(11);
    expect(inFlightBound([], 2, 1)).toBe(0);
  });
});

describe("locationsBound", () => {
  it("serialises the task-agent work per file, then adds the shortest rest among its tasks", () => {
    const tasks = [
      { files: ["a.ts"], taskWork: 4, rest: 6 },
      { files: ["a.ts", "b.ts"], taskWork: 3, rest: 5 },
      { files: ["b.ts"], taskWork: 10, rest: 2 },
    ];
    // a.ts: 4 + 3 + min(6, 5) = 12; b.ts: 3 + 10 + min(5, 2) = 15.
    expect(locationsBound(tasks)).toBe(15);
  });

  it("names of one file are one file; a task counts once per file", () => {
    expect(
      locationsBound([
        { files: ["./src/x.ts", "src/x.ts"], taskWork: 2, rest: 1 },
        { files: ["src/x.ts"], taskWork: 2, rest: 3 },
      ]),
    ).toBe(5);
  });

  it("disjoint tasks bound only their own chains", () => {
    expect(
      locationsBound([
        { files: ["a.ts"], taskWork: 4, rest: 6 },
        { files: ["b.ts"], taskWork: 3, rest: 9 },
      ]),
    ).toBe(12);
  });
});

describe("laneSchedule (references)", () => {
  it("takes the longest chain first on the lane that frees first, then merges in turn", () => {
    // Lanes: 5 then 3 (ends 8); 4 then 3 (ends 7). Merges at 4→5, 5→6, 7→8, 8→9.
    const chains = [3, 5, 3, 4].map((busy) => ({ busy, merges: true }));
    expect(laneSchedule(chains, 2, 1, true)).toBe(9);
    // Oldest first: 3 | 5; the second 3 on the first lane (ends 6), the 4 on the second
    // (ends 9). Merges: 3→4, 5→6, 6→7, 9→10.
    expect(laneSchedule(chains, 2, 1, false)).toBe(10);
  });

  it("serialises merges of chains that end together", () => {
    expect(
      laneSchedule(
        [2, 2, 2].map((busy) => ({ busy, merges: true })),
        3,
        1,
        true,
      ),
    ).toBe(5);
  });

  it("a chain that does not merge ends on its lane", () => {
    expect(
      laneSchedule(
        [
          { busy: 10, merges: false },
          { busy: 1, merges: true },
        ],
        2,
        1,
        true,
      ),
    ).toBe(10);
  });
});

/** The premises of the proofs (schedule-sim.ts), checked on the real plan. */
describe("the rule-aware bound's premises hold in the simulated schedule", () => {
  const defaults = configSchema.parse({});
  const wide = configSchema.parse({ capacity: { agents: 12, inFlight: 12 } });
  const cases: [number, Overlap, number, "defaults" | "12 agents"][] = [
    [12, "heavy", 1, "defaults"],
    [12, "heavy", 4, "defaults"],
    [12, "some", 2, "defaults"],
    [12, "disjoint", 3, "defaults"],
    [60, "heavy", 5, "defaults"],
    [12, "heavy", 6, "12 agents"],
  ];
  const eps = 1e-9;

  it.each(cases)("%i tasks, %s, seed %i, %s", (tasks, overlap, seed, which) => {
    const config = which === "defaults" ? defaults : wide;
    const r = simulate({ tasks, overlap, seed, config });
    const passes = r.trace.firstPass;
    expect(passes.length).toBe(r.merged);
    // A first pass holds at least the task's runs alone.
    for (const p of passes) expect(p.to - p.from).toBeGreaterThanOrEqual(p.aloneBusy - eps);
    // No instant lies in more than capacity.inFlight first passes (checked at every start).
    for (const p of passes) {
      const open = passes.filter((q) => q.from <= p.from && p.from < q.to).length;
      expect(open).toBeLessThanOrEqual(config.capacity.inFlight);
    }
    // Task-agent runs of tasks naming one file never overlap.
    const runs = r.trace.taskRuns;
    for (const a of runs)
      for (const b of runs) {
        if (a === b || !a.files.some((f) => b.files.includes(f))) continue;
        expect(a.to <= b.from + eps || b.to <= a.from + eps).toBe(true);
      }
    expect(r.bound.rules).toBeGreaterThanOrEqual(r.bound.value);
    expect(r.makespanMin).toBeGreaterThanOrEqual(r.bound.rules - eps);
  });

  it("the in-flight and locations terms bind where the issue's bound is loose", () => {
    const small = simulate({ tasks: 12, overlap: "disjoint", seed: 1, config: defaults });
    const hot = simulate({ tasks: 12, overlap: "heavy", seed: 1, config: defaults });
    expect(small.bound.inFlight).toBeGreaterThan(small.bound.value);
    expect(hot.bound.locations).toBeGreaterThan(hot.bound.value);
  });
});
