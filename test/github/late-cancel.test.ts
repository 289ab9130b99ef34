/**
 * Issue 16: a cancel planned long after its run was dispatched (passes stopped for a while:
 * an outage, no events) still ends in a force-cancel. The loader lists agent runs created
 * only within the longest timeout plus the start grace before the oldest remembered cancel,
 * so such a run is no longer listed; the loader reads it by the id the cancel remembers.
 */
import { describe, expect, it } from "vitest";
import { scenario } from "./scenario.js";

const byId = (calls: readonly string[]) => calls.filter((c) => c.startsWith("GET run "));

describe("a late cancel", () => {
  it("is force-cancelled after the grace period even when its run is older than the runs listed", async () => {
    const s = scenario({ priorities: ["high"] });
    await s.pass();
    s.sim.startAll();
    const id = s.gh.runs[0]!.id;
    // No pass for three hours: the timeout cancel is planned long after the dispatch.
    s.tick(180);
    await s.pass();
    expect(s.gh.calls).toContain(`o/r:cancel run ${id}`);
    expect(s.gh.runs[0]!.status).toBe("in_progress"); // an always() job keeps it running
    expect(s.gh.runs).toHaveLength(1);
    s.tick(6);
    const before = s.gh.calls.length;
    await s.pass();
    expect(s.gh.calls).toContain(`o/r:force-cancel run ${id}`);
    expect(s.gh.runs[0]!.status).toBe("completed");
    // What it costs: one read of that run by id, in that pass only.
    expect(byId(s.gh.calls.slice(before))).toEqual([`GET run ${id}`]);
    // Force-cancelled: the retry goes out in that same pass.
    expect(s.gh.runs[1]!.inputs.attempt).toBe("1");
  });

  it("a cancel whose run is still listed costs no extra read", async () => {
    const s = scenario({ priorities: ["high"] });
    await s.pass();
    s.sim.startAll();
    s.tick(16);
    await s.pass();
    s.tick(6);
    await s.pass();
    expect(s.gh.runs[0]!.status).toBe("completed");
    expect(byId(s.gh.calls)).toEqual([]);
  });
});
