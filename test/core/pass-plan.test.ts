/**
 * The decisions of a pass that `plan()` does not make (issue 16): abandoning what a person
 * closed, repairing escalations the issue does not show, writing the mirror only when it
 * changed. All of them in the core, with plain data.
 */
import { describe, expect, it } from "vitest";
import { planPass } from "../../src/core/pass-plan.js";
import { board, config, lines, T0, task } from "../support/board-builder.js";

const none = { closedByPerson: new Set<string>(), escalatedShown: new Set<string>() };
const escalation = { reason: "tests failed twice", at: T0.toISOString(), stage: "review" as const };

describe("planPass", () => {
  it("a task whose issue a person closed is abandoned and left out of the plan", () => {
    const b = board([
      task({ id: "1", stage: "review", pr: true }),
      task({ id: "2", stage: "todo" }),
    ]);
    const out = planPass(b, config(), T0, { ...none, closedByPerson: new Set(["1"]) });
    expect(out.effects.some((e) => e.type === "record-abandoned" && e.task === "1")).toBe(true);
    expect(out.plan.effects.some((e) => "task" in e && e.task === "1")).toBe(false);
    expect(out.plan.effects.some((e) => e.type === "dispatch" && e.task === "2")).toBe(true);
  });

  it.each([
    ["the issue does not show it: escalated again", new Set<string>(), 1],
    ["the issue shows it: nothing to repair", new Set(["1"]), 0],
  ])("an escalation in memory, %s", (_, shown, count) => {
    const b = board([task({ id: "1", stage: "review", pr: true, memory: { escalation } })]);
    const out = planPass(b, config(), T0, { ...none, escalatedShown: shown });
    const repairs = out.effects.filter((e) => e.type === "escalate" && e.task === "1");
    expect(repairs).toHaveLength(count);
  });

  const digest = (files: Record<string, string>) => JSON.stringify(files).length.toString();
  it("the mirror is written when the tracking files the plan leads to changed, once", () => {
    const b = board([task({ id: "1", stage: "todo" })]);
    const first = planPass(b, config(), T0, { ...none, mirror: { digest } });
    expect(first.mirrorWrite).toBeDefined();
    expect(first.effects.filter((e) => e.type === "write-mirror")).toHaveLength(1);
    const again = planPass(b, config(), T0, {
      ...none,
      mirror: { digest, lastDigest: first.mirrorDigest! },
    });
    expect(again.mirrorWrite).toBeUndefined();
    expect(lines(again.effects)).not.toContain("write mirror");
  });

  it("a changed mirror waits within the coalescing window while an agent is at work, not after it", () => {
    const at = (min: number) => new Date(T0.getTime() + min * 60_000);
    const written = { digest, lastDigest: "an older rendering", lastWrittenAt: T0.toISOString() };
    const facts = { ...none, mirror: { ...written, coalesceMinutes: 5 } };
    // A new task: the plan dispatches its task agent, so a run is in flight after the pass.
    const busy = board([task({ id: "1", stage: "todo" })]);
    const soon = planPass(busy, config(), at(2), facts);
    expect(soon.effects.some((e) => e.type === "dispatch")).toBe(true);
    expect(soon.mirrorWrite).toBeUndefined();
    expect(soon.mirrorDigest).toBeUndefined(); // the digest kept is the one last written
    // The window has passed: written.
    expect(planPass(busy, config(), at(5), facts).mirrorWrite).toBeDefined();
    // Without the window (the default): written at once.
    expect(planPass(busy, config(), at(2), { ...none, mirror: written }).mirrorWrite).toBeDefined();
    // Nothing in flight after the pass (the board at rest): written at once.
    const resting = board([task({ id: "1", stage: "done", pr: { merged: true } })]);
    expect(planPass(resting, config(), at(2), facts).mirrorWrite).toBeDefined();
  });

  it.each([
    ["the mirror is off", config({ mirror: { enabled: false } }), {}],
    ["the config is invalid", config(), { configErrors: ["labels: bad"] }],
  ])("no mirror when %s", (_, cfg, extra) => {
    const b = board([task({ id: "1", stage: "todo" })], extra);
    const out = planPass(b, cfg, T0, { ...none, mirror: { digest } });
    expect(out.effects.some((e) => e.type === "write-mirror")).toBe(false);
  });
});
