/**
 * The decisions that used to be taken around the planner (issue 16), now `planPass`'s:
 * refusing work scheduled by someone not allowed to, the dashboard write, the config
 * check. Tables of plain data; no GitHub.
 */
import { describe, expect, it } from "vitest";
import type { PermissionLevel } from "../../src/core/actor-permission.js";
import { applyEffects } from "../../src/core/apply.js";
import type { Stage } from "../../src/core/board.js";
import type { Effect } from "../../src/core/effects.js";
import { type PassFacts, planPass } from "../../src/core/pass-plan.js";
import type { SchedulingFacts } from "../../src/core/scheduling.js";
import { acceptedScheduling, MAX_ACCEPTED, schedulersToAsk } from "../../src/core/scheduling.js";
import { board, config, T0, task } from "../support/board-builder.js";

const BOT = "conveyor[bot]";
const none: PassFacts = { closedByPerson: new Set(), escalatedShown: new Set() };

function scheduling(input: {
  labeled?: Record<string, readonly { label: string; by: string }[]>;
  queued?: Record<string, { pr: number; stage: Stage; by: string }>;
  permissions?: Record<string, PermissionLevel>;
  remembered?: string[];
}): SchedulingFacts {
  return {
    botLogin: BOT,
    remembered: new Set(input.remembered ?? []),
    stageLabeledBy: new Map(Object.entries(input.labeled ?? {})),
    queuedByHand: new Map(Object.entries(input.queued ?? {})),
    permissions: new Map(Object.entries(input.permissions ?? {})),
  };
}

const refusals = (effects: Effect[]) =>
  effects.flatMap((e) =>
    e.type === "refuse-scheduling" ? [`${e.task}:${e.label}${e.pr ? `@${e.pr}` : ""}`] : [],
  );

describe("planPass: who scheduled the work", () => {
  const todo = (by: string) => ({ "1": [{ label: "conveyor:todo", by }] });
  it.each([
    ["a maintainer", todo("maya"), { maya: "maintain" }, [], []],
    ["a writer (the default `schedule: write`)", todo("wes"), { wes: "write" }, [], []],
    ["a triager", todo("trish"), { trish: "triage" }, [], ["1:conveyor:todo"]],
    ["someone without access", todo("mallory"), { mallory: "none" }, [], ["1:conveyor:todo"]],
    ["nobody the history still shows", todo(""), {}, [], ["1:conveyor:todo"]],
    ["Conveyor itself", todo(BOT), {}, [], []],
    ["a bot allowBots does not name", todo("renovate[bot]"), {}, [], ["1:conveyor:todo"]],
    ["a triager, on a task Conveyor remembers", todo("trish"), { trish: "triage" }, ["1"], []],
    [
      "todo by a maintainer, in-progress by a triager: only in-progress",
      {
        "1": [
          { label: "conveyor:todo", by: "maya" },
          { label: "conveyor:in-progress", by: "trish" },
        ],
      },
      { maya: "admin", trish: "triage" },
      [],
      ["1:conveyor:in-progress"],
    ],
  ] as const)("%s", (_, labeled, permissions, remembered, expected) => {
    const b = board([task({ id: "1", stage: "todo" }), task({ id: "2", stage: "todo" })]);
    const facts = scheduling({ labeled, permissions, remembered: [...remembered] });
    const out = planPass(b, config(), T0, { ...none, scheduling: facts });
    expect(refusals(out.effects)).toEqual(expected);
    const refused = expected.length > 0;
    // A refused task leaves the board of the pass: nothing is dispatched for it.
    expect(out.board.tasks.map((t) => t.id)).toEqual(refused ? ["2"] : ["1", "2"]);
    expect(out.effects.some((e) => e.type === "dispatch" && e.task === "1")).toBe(!refused);
    // The refusals come first, and the board the pass works on is what they lead to.
    if (refused) expect(out.effects[0]?.type).toBe("refuse-scheduling");
    expect(applyEffects(b, refusalsOf(out.effects), T0).tasks).toEqual(out.board.tasks);
  });

  it("a bot that allowBots names may schedule", () => {
    const b = board([task({ id: "1", stage: "todo" })]);
    const facts = scheduling({ labeled: todo("renovate[bot]") });
    const cfg = config({ permissions: { allowBots: ["renovate"] } });
    const out = planPass(b, cfg, T0, { ...none, scheduling: facts });
    expect(refusals(out.effects)).toEqual([]);
  });

  it.each([
    ["a triager", "trish", "triage", ["1:merge-queue@5"], "review"],
    ["a maintainer", "maya", "maintain", [], "merge-queue"],
  ] as const)("the merge-queue label put on the PR by %s", (_, by, level, expected, stage) => {
    const b = board([task({ id: "1", stage: "merge-queue", pr: true })]);
    const facts = scheduling({
      queued: { "1": { pr: 5, stage: "review", by } },
      permissions: { [by]: level },
      remembered: ["1"],
    });
    const out = planPass(b, config(), T0, { ...none, scheduling: facts });
    expect(refusals(out.effects)).toEqual(expected);
    // Refused: the task stays where its issue says (the review goes on), not queued.
    expect(out.board.tasks[0]?.stage).toBe(stage);
  });

  it("asks for the permission of each person once, never of bots or Conveyor", () => {
    const b = board([
      task({ id: "1", stage: "todo" }),
      task({ id: "2", stage: "todo" }),
      task({ id: "3", stage: "todo" }),
    ]);
    const facts = scheduling({
      labeled: {
        "1": [{ label: "conveyor:todo", by: "trish" }],
        "2": [
          { label: "conveyor:todo", by: "trish" },
          { label: "conveyor:review", by: "dependabot[bot]" },
        ],
        "3": [{ label: "conveyor:todo", by: BOT }],
      },
      queued: { "4": { pr: 9, stage: "testing", by: "maya" } },
    });
    expect(schedulersToAsk(b, facts)).toEqual(["maya", "trish"]);
  });
});

describe("planPass: the dashboard", () => {
  const shown = (exists: boolean) => ({ ...none, dashboard: { exists } });
  it.each([
    ["no dashboard, nothing to show", board([]), shown(false), false],
    ["no dashboard, a task to show", board([task({ id: "1", stage: "todo" })]), shown(false), true],
    [
      "no dashboard, the config is invalid",
      board([], { configErrors: ["labels: bad"] }),
      shown(false),
      true,
    ],
    [
      "no dashboard, the queue is paused",
      board([], { repoMemory: { paused: true, dispatches: [] } }),
      shown(false),
      true,
    ],
    ["a dashboard, nothing to show: kept up to date", board([]), shown(true), true],
    [
      "a backend without a dashboard (local)",
      board([task({ id: "1", stage: "todo" })]),
      none,
      false,
    ],
  ])("%s", (_, b, facts, written) => {
    const out = planPass(b, config(), T0, facts);
    const writes = out.effects.filter((e) => e.type === "write-dashboard");
    expect(writes).toHaveLength(written ? 1 : 0);
  });

  it("comes after every other write but the config check, with the plan's view", () => {
    const b = board([task({ id: "1", stage: "todo" })], { configErrors: [] });
    const digest = () => "d2";
    const out = planPass(b, config(), T0, {
      ...shown(true),
      mirror: { digest, lastDigest: "d1" },
      preflight: [{ name: "api", ok: true, detail: "200" }],
    });
    const types = out.effects.map((e) => e.type);
    expect(types.slice(-2)).toEqual(["write-mirror", "write-dashboard"]);
    const write = out.effects.at(-1);
    expect(write).toMatchObject({
      type: "write-dashboard",
      view: { slots: out.plan.slots, mergeQueue: out.plan.mergeQueue },
      // The new digest counts only once the mirror is written; until then the last one.
      mirror: { last: "d1", next: "d2" },
      preflight: [{ name: "api", ok: true, detail: "200" }],
    });
  });

  it("shows the last pre-flight when this pass did not check", () => {
    const last = [{ name: "api", ok: false, detail: "503" }];
    const out = planPass(board([]), config(), T0, {
      ...none,
      dashboard: { exists: true, lastPreflight: last },
    });
    expect(out.effects.find((e) => e.type === "write-dashboard")).toMatchObject({
      preflight: last,
    });
  });
});

describe("planPass: the config check", () => {
  it.each([
    ["an invalid config, its commit known", ["labels: bad"], "abc1234", 1],
    ["a valid config", [], "abc1234", 0],
    ["an invalid config, no commit (no default branch yet)", ["labels: bad"], undefined, 0],
  ] as const)("%s", (_, errors, sha, count) => {
    const b = board([], { configErrors: [...errors] });
    const out = planPass(b, config(), T0, { ...none, ...(sha ? { configSha: sha } : {}) });
    const checks = out.effects.filter((e) => e.type === "report-config-check");
    expect(checks).toHaveLength(count);
    if (count > 0) expect(checks[0]).toEqual({ type: "report-config-check", sha, errors });
    // Nothing is dispatched while the config is invalid.
    expect(out.effects.some((e) => e.type === "dispatch")).toBe(false);
  });
});

function refusalsOf(effects: Effect[]): Effect[] {
  return effects.filter((e) => e.type === "refuse-scheduling");
}

describe("planPass: the dashboard waits on routine changes while agents work", () => {
  const at = (minutesAgo: number) => new Date(T0.getTime() - minutesAgo * 60_000).toISOString();
  const running = task({
    id: "1",
    stage: "review",
    pr: true,
    memory: {
      runs: 2,
      run: { role: "reviewer", attempt: 0, correlationId: "1/reviewer/0/2", dispatchedAt: at(1) },
    },
  });
  const shownAt = (minutesAgo: number, extra: Record<string, unknown> = {}): PassFacts => ({
    ...none,
    dashboard: { exists: true, lastWrittenAt: at(minutesAgo), coalesceMinutes: 5, ...extra },
  });
  const writes = (b: ReturnType<typeof board>, facts: PassFacts) =>
    planPass(b, config(), T0, facts).effects.filter((e) => e.type === "write-dashboard").length;

  it.each([
    ["written 2 min ago, a run in flight: waits", board([running]), shownAt(2), 0],
    ["written 6 min ago: written", board([running]), shownAt(6), 1],
    [
      "no record of the last write (an older marker): written",
      board([running]),
      { ...none, dashboard: { exists: true, coalesceMinutes: 5 } },
      1,
    ],
    [
      "nothing in flight (the board at rest): written",
      board([task({ id: "2", stage: "todo" })], {
        repoMemory: { paused: true, dispatches: [] },
      }),
      shownAt(1),
      1,
    ],
    [
      "the dashboard was closed by someone: reopened at once",
      board([running]),
      shownAt(2, { closed: true }),
      1,
    ],
    ["a clock that went back: written", board([running]), shownAt(-3), 1],
    [
      "an escalation to show: written",
      board([running, task({ id: "3", stage: "review", pr: true, memory: { runs: 99 } })]),
      shownAt(2),
      1,
    ],
    [
      "a pre-flight that changed: written",
      board([running]),
      { ...shownAt(2), preflight: [{ name: "api", ok: false, detail: "503" }] },
      1,
    ],
  ] as const)("%s", (_, b, facts, expected) => {
    expect(writes(b, facts as PassFacts)).toBe(expected);
  });

  it("the write carries when the dashboard was last written, for the marker", () => {
    const out = planPass(board([running]), config(), T0, shownAt(7));
    expect(out.effects.find((e) => e.type === "write-dashboard")).toMatchObject({
      lastAt: at(7),
    });
  });
});

describe("planPass: the scheduling of waiting tasks is remembered", () => {
  const labeled = (at: string) => ({ label: "conveyor:todo", by: "maya", at });
  const waiting = (id: string) =>
    task({ id, stage: "todo", createdAt: `2026-11-0${id}T00:00:00.000Z` });
  const full = config({ capacity: { agents: 1 } });

  it("records tasks checked and still waiting, not the one dispatched", () => {
    const facts = scheduling({
      labeled: {
        "1": [labeled("2026-11-25T09:00:00.000Z")],
        "2": [labeled("2026-11-25T09:01:00.000Z")],
      },
      permissions: { maya: "maintain" },
    });
    const out = planPass(board([waiting("1"), waiting("2")]), full, T0, {
      ...none,
      scheduling: facts,
    });
    const saved = out.effects.find((e) => e.type === "save-repo-memory");
    expect(saved).toMatchObject({
      memory: { accepted: { "2": "conveyor:todo@2026-11-25T09:01:00.000Z" } },
    });
    expect(out.effects.some((e) => e.type === "dispatch" && e.task === "1")).toBe(true);
  });

  it("a recorded task is neither asked about nor refused; a label added since is", () => {
    const recorded = board([waiting("1"), waiting("2")], {
      repoMemory: {
        paused: false,
        dispatches: [],
        accepted: { "2": "conveyor:todo@2026-11-25T09:01:00.000Z" },
      },
    });
    const same = scheduling({
      labeled: { "2": [labeled("2026-11-25T09:01:00.000Z")] },
      remembered: ["1"],
    });
    expect(schedulersToAsk(recorded, same)).toEqual([]);
    expect(refusalsOf(planPass(recorded, full, T0, { ...none, scheduling: same }).effects)).toEqual(
      [],
    );
    const later = scheduling({
      labeled: {
        "2": [
          labeled("2026-11-25T09:01:00.000Z"),
          { label: "conveyor:in-progress", by: "trish", at: "2026-11-25T09:30:00.000Z" },
        ],
      },
      remembered: ["1"],
      permissions: { maya: "maintain", trish: "triage" },
    });
    expect(schedulersToAsk(recorded, later)).toEqual(["maya", "trish"]);
    const out = planPass(recorded, full, T0, { ...none, scheduling: later });
    expect(refusals(out.effects)).toEqual(["2:conveyor:in-progress"]);
  });

  it("an event without its time is never recorded (checked every pass)", () => {
    const facts = scheduling({
      labeled: { "2": [{ label: "conveyor:todo", by: "maya" }] },
      permissions: { maya: "maintain" },
      remembered: ["1"],
    });
    const b = board([task({ id: "1", stage: "in-progress", memory: { runs: 1 } }), waiting("2")]);
    const out = planPass(b, full, T0, { ...none, scheduling: facts });
    expect(out.effects.some((e) => e.type === "save-repo-memory")).toBe(false);
  });
});

describe("the record of accepted scheduling is bounded", () => {
  it(`keeps at most ${MAX_ACCEPTED} waiting tasks (the dashboard's body is limited)`, () => {
    const tasks = Array.from({ length: MAX_ACCEPTED + 50 }, (_, i) =>
      task({ id: String(i + 1), stage: "todo" }),
    );
    const facts = scheduling({
      labeled: Object.fromEntries(
        tasks.map((t) => [
          t.id,
          [{ label: "conveyor:todo", by: "maya", at: "2026-11-25T09:00:00.000Z" }],
        ]),
      ),
      permissions: { maya: "maintain" },
    });
    const accepted = acceptedScheduling(board(tasks), facts, () => false);
    expect(Object.keys(accepted)).toHaveLength(MAX_ACCEPTED);
  });
});
