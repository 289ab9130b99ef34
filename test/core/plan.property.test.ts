import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyEffects } from "../../src/core/apply.js";
import { type AgentResult, type Board, IN_FLIGHT_STAGES } from "../../src/core/board.js";
import { type Config, PRIORITIES } from "../../src/core/config.js";
import type { Plan } from "../../src/core/effects.js";
import { overlappingLocations } from "../../src/core/locations.js";
import { plan, runsSinceRetry } from "../../src/core/plan.js";
import { board, config, minutesAfter, T0, task } from "../support/board-builder.js";

/**
 * plan -> apply -> plan loops over random boards and random agent outcomes: the rules that
 * must hold whatever happens.
 */

const RUNS = Number(process.env.PROPERTY_RUNS ?? 100);

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
// The separator keeps every sha distinct: `sha1` and `sha10` padded with zeros are one string,
// which made a commit its own ancestor (an endless history walk: the worker ran out of memory).
const newSha = () => `sha${++shaCounter}x`.padEnd(40, "0");

/**
 * What the outside world knows and the planner does not: every commit with its parent and
 * who wrote it (a person, or an agent run by correlation id), the head each run started
 * from, the heads reviewers approved and the heads testers' passes named.
 */
class World {
  readonly commits = new Map<string, { parent?: string; by: string }>();
  readonly startOf = new Map<string, string | undefined>();
  readonly approved = new Map<string, string[]>();
  readonly lastPass = new Map<string, { sha: string; cid: string }>();
  /** Tester runs that passed: their own pushes (a merge of the base, fixes) are judged. */
  readonly passed = new Set<string>();
  /** The base branch: the files each merge changed, oldest first (`base<n>` = after n). */
  readonly base: string[][] = [];

  commit(parent: string | undefined, by: string): string {
    const sha = newSha();
    this.commits.set(sha, { ...(parent ? { parent } : {}), by });
    return sha;
  }

  /** The commits of a branch head, newest first. */
  history(sha: string): { sha: string; by: string }[] {
    const out: { sha: string; by: string }[] = [];
    for (let c: string | undefined = sha; c; c = this.commits.get(c)?.parent)
      out.push({ sha: c, by: this.commits.get(c)?.by ?? "?" });
    return out;
  }
}

/** What the loaders compute: the files the base changed since the base each pass merged in. */
function loadDrift(b: Board, w: World): Board {
  for (const t of b.tasks) {
    if (!t.pr || t.pr.merged) continue;
    const tested = t.memory.verdicts.test?.baseSha;
    if (tested === undefined) delete t.pr.baseDrift;
    else t.pr.baseDrift = [...new Set(w.base.slice(Number(tested.slice(4))).flat())];
  }
  return b;
}

/** The outside world for one step: agents start, finish, hang; people push at any moment. */
function worldStep(b: Board, dice: Dice, now: Date, w: World): Board {
  const next = structuredClone(b);
  for (const t of next.tasks) {
    // Now and then someone pushes to an open PR, whatever its stage, agent or no agent.
    if (t.pr && !t.pr.merged && t.stage !== "done" && dice.roll() < 3)
      t.pr.headSha = w.commit(t.pr.headSha, "person");
    const run = t.memory.run;
    if (!run) continue;
    const observed = next.runs[run.correlationId];
    if (next.results[run.correlationId] || observed?.status === "completed") continue;
    const r = dice.roll();
    if (observed?.status === "queued" && r < 90) {
      observed.status = "in_progress";
      observed.startedAt = now.toISOString();
      w.startOf.set(run.correlationId, t.pr?.headSha); // the head the run checked out
      continue;
    }
    if (r < 5) continue; // hangs or never starts: the timeout paths
    if (r < 8) {
      if (observed) observed.status = "completed";
      continue; // crashed without a result
    }
    if (observed?.status !== "in_progress") continue;
    next.results[run.correlationId] = outcome(t, run.role, dice, w);
    if (observed) observed.status = "completed";
  }
  return next;
}

function outcome(
  t: Board["tasks"][number],
  role: AgentResult["role"],
  dice: Dice,
  w: World,
): AgentResult {
  const cid = t.memory.run!.correlationId;
  const start = w.startOf.get(cid);
  const r = dice.roll();
  const base = { correlationId: cid, role, summary: `roll ${r}`, tokens: 100, costUsd: 0.01 };
  if (r < 8) return { ...base, outcome: "failed" };
  // A push on top of what the run checked out; refused when someone pushed meanwhile.
  const push = (): string | "rejected" => {
    if (t.pr && t.pr.headSha !== start) return "rejected";
    const sha = w.commit(start, cid);
    if (t.pr) t.pr.headSha = sha;
    return sha;
  };
  if (role === "task") {
    if (!t.pr && dice.roll() < 3) return { ...base, outcome: "ok" }; // "done", but no PR
    const head = push();
    if (head === "rejected") return { ...base, outcome: "failed" };
    if (!t.pr) {
      // Agents touch more than the Location section says: PRs often share some files.
      const extra = FILES[dice.roll() % FILES.length]!;
      const own = t.locations.length > 0 ? t.locations : [`src/t${t.id}.ts`];
      t.pr = {
        number: 100 + Number(t.id),
        branch: `conveyor/${t.id}`,
        headSha: head,
        changedFiles: [...new Set([...own, ...(dice.roll() < 60 ? [extra] : [])])],
        merged: false,
        mergeable: true,
      };
    }
    t.pr.mergeable = dice.roll() < 90;
    return { ...base, outcome: "ok", headSha: head, pr: t.pr.number };
  }
  if (!t.pr || start === undefined) return { ...base, outcome: "failed" };
  let local = start;
  if (dice.roll() < 30) {
    const pushed = push(); // the agent pushed fixes
    if (pushed === "rejected") return { ...base, outcome: "failed", headSha: start };
    local = pushed;
  }
  if (role === "reviewer") {
    const verdict = r < 65 ? "approve" : r < 80 ? "request_changes" : "approach_wrong";
    if (verdict === "approve") w.approved.set(t.id, [...(w.approved.get(t.id) ?? []), local]);
    return { ...base, outcome: "ok", verdict, headSha: local };
  }
  const passed = r < 75;
  if (passed) {
    w.lastPass.set(t.id, { sha: local, cid });
    w.passed.add(cid);
  }
  const baseSha = `base${w.base.length}`;
  return { ...base, outcome: "ok", passed, startSha: start, headSha: local, baseSha };
}

const dispatchKey = (b: Board, taskId: string, role: string) => {
  const t = b.tasks.find((x) => x.id === taskId)!;
  const rank = role === "tester" ? 0 : role === "reviewer" ? 1 : t.stage === "todo" ? 3 : 2;
  return [rank, PRIORITIES.indexOf(t.priority), t.createdAt, Number(t.id)] as const;
};
const before = (a: readonly (string | number)[], z: readonly (string | number)[]) => {
  for (let i = 0; i < a.length; i++) if (a[i] !== z[i]) return a[i]! < z[i]!;
  return false;
};

function checkPlan(b: Board, p: Plan, c: Config, w: World) {
  const effects = p.effects;
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
    // Reviewers and testers only ever work on a PR; no agent joins a run being cancelled.
    if (e.role !== "task") expect(t.pr).toBeDefined();
    const prior = b.tasks.find((x) => x.id === e.task)!.memory.cancelling ?? [];
    for (const x of prior)
      expect(
        b.runs[x.correlationId]?.status === "completed" ||
          effects.some(
            (f) => f.type === "cancel-run" && f.force && f.correlationId === x.correlationId,
          ),
      ).toBe(true);
  }
  // Finish work before starting work: dispatches come out in dispatch order, and a task
  // left waiting for a slot ranks after every task that got one.
  const keys = dispatched.map((e) => (e.type === "dispatch" ? dispatchKey(b, e.task, e.role) : []));
  for (let i = 1; i < keys.length; i++) expect(before(keys[i]!, keys[i - 1]!)).toBe(false);
  for (const wt of p.waiting) {
    if (wt.code !== "slots-full" && wt.code !== "slots-and-in-flight-full") continue;
    const t = after.tasks.find((x) => x.id === wt.task)!;
    const role = t.stage === "testing" ? "tester" : t.stage === "review" ? "reviewer" : "task";
    const mine = dispatchKey(after, wt.task, role);
    const mineKey = [t.stage === "todo" ? 3 : mine[0], mine[1], mine[2], mine[3]] as const;
    for (const k of keys) expect(before(mineKey, k)).toBe(false);
  }
  // In flight: never more than the cap after this plan started anything new.
  const inFlight = after.tasks.filter(
    (t) => IN_FLIGHT_STAGES.includes(t.stage) && !t.memory.escalation,
  ).length;
  if (effects.some((e) => e.type === "set-stage" && e.from === "todo"))
    expect(inFlight).toBeLessThanOrEqual(c.capacity.inFlight);
  // Merges: one merge effect, pairwise-disjoint files; each PR at the SHA its tester's
  // pass named, every commit in it judged by a reviewer (or pushed by a tester whose run
  // passed), and never untested on the base: nothing merged since the base its tester
  // merged in touches its files.
  const merges = effects.filter((e) => e.type === "merge");
  expect(merges.length).toBeLessThanOrEqual(1);
  for (const m of merges) {
    if (m.type !== "merge") continue;
    const seen = new Set<string>();
    const merged = new Set<string>();
    for (const item of m.batch) {
      const t = b.tasks.find((x) => x.id === item.task)!;
      const pass = w.lastPass.get(item.task);
      expect(item.sha).toBe(pass?.sha);
      const reviewed = new Set(
        (w.approved.get(item.task) ?? []).flatMap((s) => w.history(s).map((h) => h.sha)),
      );
      const unjudged = w
        .history(item.sha)
        .filter((h) => h.by !== pass?.cid && !w.passed.has(h.by) && !reviewed.has(h.sha));
      expect(unjudged).toEqual([]);
      const tested = after.tasks.find((x) => x.id === item.task)!.memory.verdicts.test?.baseSha;
      expect(tested).toBeDefined();
      const since = new Set(w.base.slice(Number(tested!.slice(4))).flat());
      expect(t.pr!.changedFiles.filter((f) => since.has(f))).toEqual([]);
      for (const f of t.pr!.changedFiles) {
        expect(seen.has(f)).toBe(false);
        seen.add(f);
        merged.add(f);
      }
    }
    if (!c.merge.batchDisjoint) expect(m.batch).toHaveLength(1);
    w.base.push([...merged]);
    // A PR left in the queue that shares a file with what merged keeps its place until it is
    // re-tested (checked above when it merges) and, when batching with room to spare, no
    // ready disjoint PR is left behind.
    const left = after.tasks.filter(
      (t) => t.stage === "merge-queue" && !t.memory.escalation && t.pr && !t.pr.merged,
    );
    if (c.merge.batchDisjoint && m.batch.length < c.merge.maxBatch)
      for (const t of left)
        expect(
          t.pr!.mergeable === true &&
            t.memory.verdicts.test?.sha === t.pr!.headSha &&
            t.pr!.changedFiles.every((f) => !merged.has(f)) &&
            (t.pr!.baseDrift ?? []).every((f) => !t.pr!.changedFiles.includes(f)),
        ).toBe(false);
  }
  // No two task agents hold overlapping locations.
  const holders = active.filter((t) => t.memory.run?.role === "task");
  for (let i = 0; i < holders.length; i++)
    for (let j = i + 1; j < holders.length; j++)
      expect(overlappingLocations(holders[i]!.locations, holders[j]!.locations)).toEqual([]);
  // Every task the pass leaves as it is says why, once.
  for (const t of after.tasks) {
    const lines = p.waiting.filter((x) => x.task === t.id);
    const moving =
      t.stage === "done" ||
      t.stage === "abandoned" ||
      dispatched.some((e) => e.type === "dispatch" && e.task === t.id);
    expect(lines.length).toBe(moving ? 0 : 1);
  }
  return after;
}

describe("plan over random boards and random agent outcomes", () => {
  it(
    "keeps every invariant and finishes every task (done or escalated)",
    () => {
      fc.assert(
        fc.property(
          arbBoard,
          arbConfig,
          fc.array(fc.integer({ min: 0, max: 99 }), { minLength: 50, maxLength: 300 }),
          (start, c, rolls) => {
            const dice = new Dice(rolls);
            const w = new World();
            let b = start;
            let now = T0;
            const ids = start.tasks.map((t) => t.id).sort();
            for (let step = 0; step < 600; step++) {
              const p = plan(loadDrift(b, w), c, now);
              b = loadDrift(checkPlan(b, p, c, w), w);
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
              b = worldStep(b, dice, now, w);
              now = minutesAfter(now, 3);
            }
            const stuck = b.tasks.filter((t) => t.stage !== "done" && !t.memory.escalation);
            expect(stuck.map((t) => `${t.id}:${t.stage}`)).toEqual([]);
            // The loop guard counts a task's own runs; the re-tests merges cause are bounded
            // by the merges.
            for (const t of b.tasks) {
              expect(runsSinceRetry(t.memory)).toBeLessThanOrEqual(c.guards.maxRunsPerTask);
              expect(t.memory.runs).toBeLessThanOrEqual(c.guards.maxRunsPerTask + w.base.length);
            }
          },
        ),
        { numRuns: RUNS },
      );
    },
    Math.max(120_000, RUNS * 1000),
  );

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
