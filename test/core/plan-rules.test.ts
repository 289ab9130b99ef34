import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyEffects } from "../../src/core/apply.js";
import type { AgentResult, Board, Task } from "../../src/core/board.js";
import { type Config, defaultMaxRunsPerTask, type Role } from "../../src/core/config.js";
import type { Effect, Plan } from "../../src/core/effects.js";
import {
  LocationIndex,
  normalizedLocations,
  normalizePath,
  overlappingLocations,
} from "../../src/core/locations.js";
import { plan } from "../../src/core/plan.js";
import { board, config, minutesAfter, T0, task } from "../support/board-builder.js";

/**
 * The rules of issue 13, each from the workflow's words: verdicts bound to the commits they
 * judged, finishing work before starting work, locations with line numbers, a reason for
 * every task. Each case failed against the planner before the rule.
 */

const cfg = config();
const sha = (s: string) => s.padEnd(40, "0");
const approvedAt = (s: string) => ({
  review: {
    role: "reviewer" as const,
    value: "approve" as const,
    sha: sha(s),
    at: T0.toISOString(),
  },
});

/** A task whose `role` agent runs, started on `startHead`, the PR's head now being `head`. */
function runningOn(
  id: string,
  role: Role,
  opts: { head: string; startHead?: string; verdicts?: object; stage?: Task["stage"] },
): Task {
  const stage =
    opts.stage ?? (role === "reviewer" ? "review" : role === "tester" ? "testing" : "in-progress");
  return task({
    id,
    stage,
    pr: { headSha: sha(opts.head) },
    memory: {
      runs: 1,
      run: {
        role,
        attempt: 0,
        correlationId: `${id}/${role}/0/1`,
        dispatchedAt: T0.toISOString(),
        headSha: sha(opts.startHead ?? opts.head),
      },
      ...(opts.verdicts ? { verdicts: opts.verdicts } : {}),
    },
  });
}

const withResult = (t: Task, r: Partial<AgentResult>): Board =>
  board([t], {
    results: {
      [t.memory.run!.correlationId]: {
        correlationId: t.memory.run!.correlationId,
        role: t.memory.run!.role,
        outcome: "ok",
        summary: "done",
        ...r,
      },
    },
  });

const stages = (effects: Effect[]) =>
  effects.flatMap((e) => (e.type === "set-stage" ? [`${e.from} -> ${e.to}: ${e.reason}`] : []));
const dispatched = (effects: Effect[]) =>
  effects.flatMap((e) => (e.type === "dispatch" ? [`${e.task}:${e.role}`] : []));
const merged = (effects: Effect[]) =>
  effects.flatMap((e) => (e.type === "merge" ? e.batch.map((b) => b.sha) : []));

/** plan, apply, plan again: nothing new (the planner's fixed point). */
function settled(b: Board, c: Config = cfg, now = T0): Plan {
  const p = plan(b, c, now);
  expect(plan(applyEffects(b, p.effects, now), c, now).effects).toEqual([]);
  return p;
}

describe("an approval counts only for the head SHA it judged", () => {
  it("a push during the review: the task stays in review and is reviewed again", () => {
    const t = runningOn("1", "reviewer", { head: "y", startHead: "x" });
    const p = settled(withResult(t, { verdict: "approve", headSha: sha("x") }));
    expect(stages(p.effects)).toEqual([]);
    expect(dispatched(p.effects)).toEqual(["1:reviewer"]);
    const mem = p.effects.find((e) => e.type === "save-memory");
    expect(mem?.type === "save-memory" && mem.memory.verdicts.review).toBeUndefined();
  });

  it("an approval of the head moves to testing, the tester started on that head", () => {
    const t = runningOn("1", "reviewer", { head: "x" });
    const p = settled(withResult(t, { verdict: "approve", headSha: sha("x") }));
    expect(stages(p.effects)).toEqual(["review -> testing: the reviewer approved"]);
    const save = p.effects.find((e) => e.type === "save-memory");
    expect(save?.type === "save-memory" && save.memory.run?.headSha).toBe(sha("x"));
  });
});

describe("a tester's pass covers only its own pushes on top of the reviewed head", () => {
  it("a push before the tester started (it started from y, the review judged x): back to review", () => {
    const t = runningOn("1", "tester", { head: "y", startHead: "x", verdicts: approvedAt("x") });
    const p = settled(
      withResult(t, { passed: true, startSha: sha("y"), headSha: sha("y"), baseSha: "b" }),
    );
    expect(merged(p.effects)).toEqual([]);
    expect(stages(p.effects)).toEqual([
      "testing -> review: the tester started from y000000, not the reviewed x000000: review again",
    ]);
    expect(dispatched(p.effects)).toEqual(["1:reviewer"]);
  });

  it("a push after the tester's own (it pushed z, the head is now w): back to review", () => {
    const t = runningOn("1", "tester", { head: "w", startHead: "x", verdicts: approvedAt("x") });
    const p = settled(withResult(t, { passed: true, startSha: sha("x"), headSha: sha("z") }));
    expect(merged(p.effects)).toEqual([]);
    expect(stages(p.effects)).toEqual([
      "testing -> review: the head moved to w000000 after the tester pushed z000000: review again",
    ]);
  });

  it("its own fixes on the reviewed head merge, at the SHA its pass names", () => {
    const t = runningOn("1", "tester", { head: "z", startHead: "x", verdicts: approvedAt("x") });
    const p = settled(withResult(t, { passed: true, startSha: sha("x"), headSha: sha("z") }));
    expect(merged(p.effects)).toEqual([sha("z")]);
  });

  it("without a recorded start, the head the tester was dispatched on stands for it", () => {
    const t = runningOn("1", "tester", { head: "y", startHead: "y", verdicts: approvedAt("x") });
    const p = settled(withResult(t, { passed: true, headSha: sha("y") }));
    expect(merged(p.effects)).toEqual([]);
    expect(dispatched(p.effects)).toEqual(["1:reviewer"]);
  });

  it("the merge queue re-checks the chain: a pass that started off the reviewed head never merges", () => {
    const b = board([
      task({
        id: "1",
        stage: "merge-queue",
        pr: { headSha: sha("z") },
        memory: {
          verdicts: {
            ...approvedAt("x"),
            test: {
              role: "tester",
              value: "pass",
              sha: sha("z"),
              startSha: sha("y"),
              at: T0.toISOString(),
            },
          },
        },
      }),
    ]);
    const p = settled(b);
    expect(merged(p.effects)).toEqual([]);
    expect(stages(p.effects)).toEqual([
      "merge-queue -> review: the tests ran on y000000, not on the reviewed x000000",
    ]);
  });
});

describe("the effects of a pass come out in dispatch order", () => {
  it("tester, then reviewer, then task agents, whatever the age and priority", () => {
    const b = board([
      task({ id: "1", priority: "critical", createdAt: "2026-01-01T00:00:00Z" }),
      task({
        id: "2",
        stage: "review",
        priority: "low",
        createdAt: "2026-06-01T00:00:00Z",
        pr: true,
      }),
      task({
        id: "3",
        stage: "testing",
        priority: "low",
        createdAt: "2026-09-01T00:00:00Z",
        pr: { headSha: sha("h3") },
        memory: { verdicts: approvedAt("h3") },
      }),
    ]);
    const p = settled(b);
    expect(dispatched(p.effects)).toEqual(["3:tester", "2:reviewer", "1:task"]);
    // The executor stops at the first failure: a failing todo dispatch keeps the others.
    const firstTodo = p.effects.findIndex((e) => "task" in e && e.task === "1");
    const lastOther = p.effects.findLastIndex((e) => "task" in e && e.task !== "1");
    expect(firstTodo).toBeGreaterThan(lastOther);
  });
});

describe("finish work before starting work: retries and next roles outrank new work", () => {
  it("a task in progress waiting for its retry takes the one free slot before a critical todo", () => {
    const c = config({ capacity: { agents: 1, inFlight: 6 } });
    const b = board([
      task({ id: "1", priority: "critical" }),
      task({
        id: "2",
        stage: "in-progress",
        priority: "low",
        memory: { runs: 1, attempts: { task: 1, reviewer: 0, tester: 0, merge: 0 } },
      }),
    ]);
    const p = settled(b, c);
    expect(dispatched(p.effects)).toEqual(["2:task"]);
    expect(p.waiting.find((w) => w.task === "1")?.code).toBe("slots-full");
  });

  it("a new task never starts on the files of a half-finished one waiting for its retry", () => {
    const b = board([
      task({ id: "1", priority: "critical", locations: ["src/db.ts"] }),
      task({
        id: "2",
        stage: "in-progress",
        priority: "low",
        locations: ["src/db.ts"],
        memory: {
          runs: 1,
          attempts: { task: 1, reviewer: 0, tester: 0, merge: 0 },
          cancelling: [{ correlationId: "2/task/0/1", at: T0.toISOString() }],
        },
      }),
    ]);
    b.runs["2/task/0/1"] = { correlationId: "2/task/0/1", status: "in_progress" };
    const p = settled(b);
    expect(dispatched(p.effects)).toEqual([]);
    expect(p.waiting).toContainEqual({
      task: "1",
      code: "location-clash",
      text: "waits for #2: both touch src/db.ts",
    });
  });
});

describe("reviewers and testers work only on a pull request", () => {
  it("a task agent that reports success without a PR has failed, with that reason", () => {
    const t = task({
      id: "1",
      stage: "in-progress",
      memory: {
        runs: 1,
        run: {
          role: "task",
          attempt: 0,
          correlationId: "1/task/0/1",
          dispatchedAt: T0.toISOString(),
        },
      },
    });
    const p = settled(withResult(t, {}));
    expect(dispatched(p.effects)).toEqual(["1:task"]);
    const d = p.effects.find((e) => e.type === "dispatch");
    expect(d).toMatchObject({ attempt: 1 });
    const save = p.effects.find((e) => e.type === "save-memory");
    expect(save?.type === "save-memory" && save.memory.lastFailure).toBe(
      "the task agent reported success, but the task has no open pull request (no branch with commits)",
    );
  });

  it("a task in review or testing without a PR goes back to a task agent", () => {
    for (const stage of ["review", "testing"] as const) {
      const p = settled(board([task({ id: "1", stage })]));
      expect(dispatched(p.effects)).toEqual(["1:task"]);
      expect(stages(p.effects)[0]).toMatch(new RegExp(`^${stage} -> in-progress: no pull request`));
    }
  });
});

describe("the default loop guard leaves room for every path the retry rules allow", () => {
  /**
   * Drives one task through every failure the retry rules allow (each retry spent), then to
   * the merge: a task agent fails, the reviewer says "approach wrong" (the same allowance:
   * only one of the two per retry), the reviewer fails, the tests fail, the merge conflicts.
   */
  function worstPath(retries: number, approachWrong: boolean): Board {
    const c = config({ retries, capacity: { agents: 1, inFlight: 1 } });
    let b = board([task({ id: "1" })]);
    let now = T0;
    let head = 0;
    const left = {
      task: approachWrong ? 0 : retries,
      wrong: approachWrong ? retries : 0,
      reviewer: retries,
      tester: retries,
      merge: retries,
    };
    for (let step = 0; step < 200; step++) {
      const p = plan(b, c, now);
      b = applyEffects(b, p.effects, now);
      const t = b.tasks[0]!;
      if (t.stage === "done" || t.memory.escalation) return b;
      if (t.stage === "merge-queue" && t.pr && left.merge > 0 && t.pr.mergeable) {
        left.merge--;
        t.pr.mergeable = false;
        continue;
      }
      const run = t.memory.run;
      if (!run) {
        now = minutesAfter(now, 1);
        continue;
      }
      const r: AgentResult = {
        correlationId: run.correlationId,
        role: run.role,
        outcome: "ok",
        summary: "s",
      };
      if (run.role === "task") {
        if (left.task > 0) {
          left.task--;
          r.outcome = "failed";
        } else {
          head++;
          t.pr = {
            number: 1,
            headSha: sha(`h${head}`),
            branch: "b",
            changedFiles: ["a.ts"],
            merged: false,
            mergeable: true,
          };
          r.headSha = t.pr.headSha;
        }
      } else if (run.role === "reviewer") {
        if (left.reviewer > 0) {
          left.reviewer--;
          r.outcome = "failed";
        } else if (left.wrong > 0) {
          left.wrong--;
          r.verdict = "approach_wrong";
        } else r.verdict = "approve";
        r.headSha = t.pr!.headSha;
      } else {
        r.passed = left.tester === 0;
        if (left.tester > 0) left.tester--;
        r.headSha = t.pr!.headSha;
        r.startSha = t.pr!.headSha;
      }
      b.results[run.correlationId] = r;
      b.runs[run.correlationId] = { correlationId: run.correlationId, status: "completed" };
      now = minutesAfter(now, 1);
    }
    return b;
  }

  it.each([0, 1, 2, 3])("retries: %i — the task merges without hitting the guard", (retries) => {
    for (const approachWrong of [false, true]) {
      const t = worstPath(retries, approachWrong).tasks[0]!;
      expect(t.memory.escalation?.reason).toBeUndefined();
      expect(t.stage).toBe("done");
      expect(t.memory.runs).toBeLessThanOrEqual(defaultMaxRunsPerTask(retries));
    }
  });

  it("one 'approach wrong' and one test failure fit the default cap (7 runs)", () => {
    expect(config().guards.maxRunsPerTask).toBeGreaterThanOrEqual(7);
    expect(config({ guards: { maxRunsPerTask: 4 } }).guards.maxRunsPerTask).toBe(4);
  });
});

describe("locations written as the task template does (file:line, file:12-30)", () => {
  it("the planner's index finds the same first overlapping holder as a scan of every holder", () => {
    const path = fc
      .tuple(
        fc.constantFrom("", "./", "src/", "src/db/", "docs/"),
        fc.constantFrom("a.ts", "db", "db/pool.ts", "x.md", "a.ts:12", "db/"),
      )
      .map(([dir, name]) => dir + name);
    const locs = fc.array(path, { maxLength: 3 });
    fc.assert(
      fc.property(fc.array(locs, { maxLength: 8 }), locs, (held, mine) => {
        const index = new LocationIndex<number>();
        for (const [i, h] of held.entries()) index.add(i, normalizedLocations(h));
        const scan = held.findIndex((h) => overlappingLocations(mine, h).length > 0);
        const found = index.first(normalizedLocations(mine));
        expect(found?.holder ?? -1).toBe(scan);
        if (found) expect(found.paths).toEqual(overlappingLocations(mine, held[scan]!));
        // A holder never clashes with itself.
        expect(index.first(normalizedLocations(mine), scan)?.holder).not.toBe(scan);
      }),
      { numRuns: 500 },
    );
  });

  it("overlap by their file path", () => {
    expect(overlappingLocations(["src/db.ts:42"], ["src/db.ts:120-130"])).toEqual(["src/db.ts"]);
    expect(overlappingLocations(["src/db.ts#L4-L9"], ["./src/db.ts"])).toEqual(["src/db.ts"]);
    expect(normalizePath("src/a.ts:7")).toBe("src/a.ts");
  });

  it("two task agents never edit src/db.ts at once", () => {
    const b = board([
      task({ id: "1", locations: ["src/db.ts:42"] }),
      task({ id: "2", locations: ["src/db.ts:120-130"] }),
    ]);
    expect(dispatched(settled(b).effects)).toEqual(["1:task"]);
  });
});

describe("a reason for every task the pass leaves as it is", () => {
  it("running and not-yet-started agents say so", () => {
    const b = board([
      runningOn("1", "reviewer", { head: "x" }),
      task({
        id: "2",
        stage: "in-progress",
        memory: {
          runs: 1,
          run: {
            role: "task",
            attempt: 0,
            correlationId: "2/task/0/1",
            dispatchedAt: minutesAfter(T0, 2).toISOString(),
          },
        },
      }),
    ]);
    b.runs["1/reviewer/0/1"] = {
      correlationId: "1/reviewer/0/1",
      status: "in_progress",
      startedAt: T0.toISOString(),
    };
    const p = settled(b, cfg, minutesAfter(T0, 4));
    expect(p.waiting).toEqual([
      { task: "1", code: "running", text: "reviewer running: 4 of 10 min" },
      {
        task: "2",
        code: "not-started",
        text: "task agent dispatched 2 min ago, not started yet",
      },
    ]);
  });

  const queued = (id: string, file: string) =>
    task({
      id,
      stage: "merge-queue",
      pr: { headSha: sha(`h${id}`), changedFiles: [file] },
      memory: {
        stageSince: `2026-11-0${id}T00:00:00.000Z`,
        verdicts: {
          ...approvedAt(`h${id}`),
          test: { role: "tester", value: "pass", sha: sha(`h${id}`), at: T0.toISOString() },
        },
      },
    });

  it("'merge queue: N ahead' counts what is still ahead after this pass's merge", () => {
    const c = config({ merge: { batchDisjoint: false } });
    const p = plan(board([queued("1", "a.ts"), queued("2", "b.ts"), queued("3", "c.ts")]), c, T0);
    expect(merged(p.effects)).toEqual([sha("h1")]);
    expect(p.waiting).toEqual([
      {
        task: "2",
        code: "merge-queue",
        text: "merge queue: next, after this pass's merge (one PR per merge)",
      },
      { task: "3", code: "merge-queue", text: "merge queue: 1 ahead" },
    ]);
  });

  it("the dispatch limit does not read like /conveyor pause, and says when it frees", () => {
    const c = config({ guards: { maxDispatchesPerHour: 1 } });
    // A retry counts toward the hourly cap (a task's first runs do not).
    const retry = task({
      id: "1",
      stage: "in-progress",
      memory: { runs: 1, attempts: { task: 1, reviewer: 0, tester: 0, merge: 0 } },
    });
    const b = board([retry], {
      repoMemory: { paused: false, dispatches: [minutesAfter(T0, -50).toISOString()] },
    });
    const w = plan(b, c, T0).waiting[0]!;
    expect(w.code).toBe("dispatch-limit");
    expect(w.text).not.toMatch(/paus/);
    expect(w.text).toBe(
      "dispatch limit: 1 re-dispatches and retries in the last hour (cap 1); the next can start in 10 min",
    );
  });

  it("when both caps are full, both are named", () => {
    const c = config({ capacity: { agents: 1, inFlight: 1 } });
    const b = board([
      task({
        id: "1",
        stage: "in-progress",
        memory: {
          runs: 1,
          run: {
            role: "task",
            attempt: 0,
            correlationId: "1/task/0/1",
            dispatchedAt: T0.toISOString(),
          },
        },
      }),
      task({ id: "2" }),
    ]);
    expect(plan(b, c, T0).waiting.find((w) => w.task === "2")).toEqual({
      task: "2",
      code: "slots-and-in-flight-full",
      text: "slots full: 1/1; in-flight tasks full: 1/1",
    });
  });

  it("no platform words in the core's reasons", () => {
    const b = board([
      task({
        id: "1",
        stage: "merge-queue",
        pr: { headSha: sha("h1"), mergeable: null },
        memory: {
          verdicts: {
            ...approvedAt("h1"),
            test: { role: "tester", value: "pass", sha: sha("h1"), at: T0.toISOString() },
          },
        },
      }),
    ]);
    const w = plan(b, cfg, T0).waiting[0]!;
    expect(w.code).toBe("mergeability-unknown");
    expect(w.text).not.toMatch(/GitHub/);
  });
});
