import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type PassOutcome, ReconcileQueue } from "../../src/app/reconcile-queue.js";

/** A reconcile we finish by hand, so "running" is a state the test controls. */
function manualRun() {
  const calls: {
    key: string;
    target: number;
    steps: string[];
    finish: (o?: PassOutcome<string>) => void;
    fail: (e: unknown) => void;
  }[] = [];
  const run = (key: string, target: number, steps: string[]) =>
    new Promise<PassOutcome<string> | undefined>((resolve, reject) => {
      calls.push({ key, target, steps, finish: resolve, fail: reject });
    });
  return { calls, run };
}

describe("ReconcileQueue", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([
    [1, 1],
    [2, 1],
    [6, 1],
    [50, 1],
  ])("a burst of %i requests inside the settle delay costs %i pass", async (n, passes) => {
    const { calls, run } = manualRun();
    const q = new ReconcileQueue<number, string>({ run, onError: () => {}, settleMs: 1000 });
    for (let i = 0; i < n; i++) q.request("o/r", i);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(passes);
    expect(calls[0]?.target).toBe(n - 1);
    calls[0]?.finish();
    await vi.runAllTimersAsync();
    expect(calls).toHaveLength(passes);
    expect(q.stats).toEqual({ requests: n, passes, failures: 0, busy: 0, retries: 0 });
  });

  it("requests while a pass runs coalesce into ONE more pass (six labels -> two passes)", async () => {
    const { calls, run } = manualRun();
    const q = new ReconcileQueue<number, string>({ run, onError: () => {}, settleMs: 0 });
    q.request("o/r", 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(1);
    for (let i = 2; i <= 6; i++) q.request("o/r", i, `label ${i}`);
    await vi.advanceTimersByTimeAsync(10);
    expect(calls).toHaveLength(1);
    calls[0]?.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.target).toBe(6);
    expect(calls[1]?.steps).toEqual(["label 2", "label 3", "label 4", "label 5", "label 6"]);
    calls[1]?.finish();
    await q.idle();
    expect(q.stats.passes).toBe(2);
  });

  it("runs repositories independently, one pass at a time each", async () => {
    const { calls, run } = manualRun();
    const q = new ReconcileQueue<number, string>({ run, onError: () => {}, settleMs: 0 });
    q.request("o/a", 1);
    q.request("o/b", 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.key)).toEqual(["o/a", "o/b"]);
    q.request("o/a", 2);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(2);
    calls[0]?.finish();
    calls[1]?.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.key)).toEqual(["o/a", "o/b", "o/a"]);
    calls[2]?.finish();
    await q.idle();
  });

  it("logs a failing pass, keeps going, and runs the pending pass", async () => {
    const { calls, run } = manualRun();
    const errors: string[] = [];
    const q = new ReconcileQueue<number, string>({
      run,
      onError: (key, e) => errors.push(`${key}: ${(e as Error).message}`),
    });
    q.request("o/r", 1);
    await vi.advanceTimersByTimeAsync(0);
    q.request("o/r", 2);
    calls[0]?.fail(new Error("boom"));
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toEqual(["o/r: boom"]);
    expect(calls).toHaveLength(2);
    calls[1]?.finish();
    await q.idle();
    expect(q.stats).toMatchObject({ passes: 2, failures: 1 });
  });

  it("a busy repository is retried later with its steps kept", async () => {
    const { calls, run } = manualRun();
    const q = new ReconcileQueue<number, string>({ run, onError: () => {} });
    q.request("o/r", 1, "command");
    await vi.advanceTimersByTimeAsync(0);
    calls[0]?.finish({ kind: "busy", retryMs: 30_000 });
    await vi.advanceTimersByTimeAsync(29_000);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.steps).toEqual(["command"]);
    calls[1]?.finish({ kind: "done" });
    await q.idle();
    expect(q.stats.busy).toBe(1);
  });

  it("a pass that asks for a retry runs again later with the steps it hands back first", async () => {
    const { calls, run } = manualRun();
    const q = new ReconcileQueue<number, string>({ run, onError: () => {} });
    q.request("o/r", 1, "check a");
    q.request("o/r", 1, "check b");
    await vi.advanceTimersByTimeAsync(0);
    q.request("o/r", 2, "command c");
    calls[0]?.finish({ kind: "retry", retryMs: 1000, steps: ["check b"] });
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls[1]?.steps).toEqual(["check b", "command c"]);
    calls[1]?.finish();
    await q.idle();
    expect(q.stats.retries).toBe(1);
  });

  it("stop() drops scheduled passes and resolves idle()", async () => {
    const { calls, run } = manualRun();
    const q = new ReconcileQueue<number, string>({ run, onError: () => {}, settleMs: 5000 });
    q.request("o/r", 1);
    const idle = q.idle();
    q.stop();
    await idle;
    await vi.runAllTimersAsync();
    expect(calls).toHaveLength(0);
  });
});
