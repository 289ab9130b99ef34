import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { applyEffects } from "../../src/core/apply.js";
import type { Board } from "../../src/core/board.js";
import { type ConveyorCommand, planCommand } from "../../src/core/commands.js";
import { PRIORITIES } from "../../src/core/config.js";
import { describeEffect, type Effect } from "../../src/core/effects.js";
import { planPass } from "../../src/core/pass-plan.js";
import { plan } from "../../src/core/plan.js";
import { config as makeConfig } from "../support/board-builder.js";
import {
  type BoardSpec,
  type GitHubBackend,
  type LocalBackend,
  localFile,
  observe,
  seedGitHub,
  seedLocal,
  type TaskSpec,
} from "../support/contract-backends.js";

/**
 * The executor contract: `applyEffects` (src/core/apply.ts) is the reference semantics of
 * the effects; each executor, run on a backend seeded with a board, must leave a board that
 * its own loader reads back as `applyEffects(board, effects, now)`.
 *
 * For each backend, from the same abstract board (`BoardSpec`): seed it, read the board
 * with the real loader, take the effects (the real planner's, or a hand-written list built
 * on that board), run the real executor, read back, and compare with `applyEffects` of the
 * board as read. Compared (see `Observed` in test/support/contract-backends.ts): per task
 * the stage, the priority, the whole memory (both backends persist it) and whether its PR is
 * merged; the state of the runs the memories name; the repository memory. Beside the board,
 * where the effect has a place to land: the escalated label, the closed issue, the comment,
 * the CHANGELOG entry, the mirror files.
 *
 * Normalised, because a backend legitimately cannot know it:
 * - a run's state is compared as a class: `active` (queued or running: GitHub queues a
 *   dispatch, a local agent runs at once), or `completed:<conclusion>`;
 * - a cancel that is not forced "takes a while to land" (`applyEffects` leaves the run as it
 *   was): a backend may already show it completed as cancelled (GitHub cancels a queued run
 *   at once; a local agent ends on SIGTERM within a moment);
 * - run ids, URLs, start times the backend assigns are not compared.
 *
 * Legitimate differences between the backends (each checked below where it shows):
 * - GitHub does not return finished tasks (done, abandoned) from the loader: they are no
 *   longer tracked issues; they are read from the issue (labels, state, status comment).
 * - local mode has no issue: `close-issue` is skipped; a `comment` is only said in the log.
 * - local mode writes the tracking files with every pass: `write-mirror` is skipped.
 * - local mode has no escalated label: the escalation report stands for it (written by
 *   `escalate`, removed by `clear-escalation` and when the task finishes).
 * - a local branch has no PR number: the core words it as "branch T3" itself (the board's
 *   host), so both backends apply the planner's effects unchanged.
 *
 * - the board's `mirror` field is not compared: GitHub's loader does not read the tracking
 *   files back (the files written are checked on the branch instead), local mode has none.
 * - the GitHub executor writes the repository memory itself here (`deferRepoMemory` off, as
 *   for `/conveyor pause`); in a pass, `reconcileRepo` writes it with the dashboard.
 *
 * Differences found that were bugs (fixed, each with its case):
 * - local: an agent started by an earlier `conveyor run` (gone, so nobody records the
 *   agent's exit) that is cancelled read back as ended without a conclusion, not as
 *   cancelled (`runInfoOf` ignored the record's `cancelled`): "a maintainer escalates a task
 *   in progress", "cancel a running agent", "force-cancel a running agent", and the
 *   property (timeouts of the seeded runs).
 * - local: the escalation report (`.conveyor/reports/<task>/escalation.md`, the local place
 *   of GitHub's escalated label) stayed after the escalation was cleared or the task was
 *   finished: "retry an escalated task", "clear an escalation".
 *
 * Found and left to the GitHub loader (not an executor's): it lists the runs created from
 * `longest timeout + start grace` before the oldest remembered cancel; a cancel planned
 * later than that after the dispatch (passes stopped for a while) names a run the loader no
 * longer lists, and the planner forgets the cancel without a force-cancel. The property's
 * passes are therefore spaced as a working app's would be (minutes, not hours).
 */

const NOW = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);

const baseConfig = makeConfig({
  capacity: { agents: 3, inFlight: 4 },
  guards: { maxDispatchesPerHour: 10_000 },
});

let disposers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const d of disposers) await d();
  disposers = [];
});

// --- one pass on each backend ------------------------------------------------------------

type EffectsOf = (board: Board, now: Date) => Effect[];

/** What the effects leave that is not on the board, per task: the escalated label. */
function escalatedAfter(before: boolean, id: string, effects: readonly Effect[]): boolean {
  let shown = before;
  for (const e of effects) {
    if (!("task" in e) || e.task !== id) continue;
    if (e.type === "escalate") shown = true;
    if (e.type === "clear-escalation") shown = false;
    if (e.type === "set-stage" && (e.to === "done" || e.to === "abandoned")) shown = false;
  }
  return shown;
}

async function githubPass(b: GitHubBackend, now: Date, effectsOf: EffectsOf) {
  const snapshot = await b.load();
  const before = structuredClone(snapshot.board);
  const labelled = new Map(before.tasks.map((t) => [t.id, b.escalatedLabel(t.id)]));
  const effects = effectsOf(before, now);
  if (process.env.CONTRACT_DEBUG)
    for (const e of effects) console.log("GH", e.type, describeEffect(e));
  const expected = applyEffects(before, effects, now);
  const report = await b.execute(snapshot, effects);
  expect(report.failures, effects.map(describeEffect).join("\n")).toEqual([]);
  const actual = await b.observe(expected, effects);
  const want = observe(
    expected,
    (id) => expected.tasks.find((t) => t.id === id)?.pr?.merged,
    expected,
    effects,
  );
  settleCancels(want, actual, effects);
  expect(actual, effects.map(describeEffect).join("\n")).toEqual(want);
  for (const t of before.tasks)
    expect(b.escalatedLabel(t.id), `escalated label of #${t.id}`).toBe(
      escalatedAfter(labelled.get(t.id) ?? false, t.id, effects),
    );
  // People look at the PR: it carries the merge-queue label while its task is queued.
  for (const t of expected.tasks) {
    const pr = t.pr?.number !== undefined ? b.gh.pull(t.pr.number) : undefined;
    if (!pr || pr.merged) continue;
    expect(
      b.gh.issue(pr.number).labels.includes(baseConfig.labels.mergeQueue),
      `PR of #${t.id}`,
    ).toBe(t.stage === "merge-queue");
  }
  for (const e of effects) {
    if (e.type === "close-issue") {
      expect(b.gh.issue(Number(e.task))).toMatchObject({ state: "closed", stateReason: e.reason });
    }
    if (e.type === "comment")
      expect(b.gh.commentsOn(Number(e.task)).map((c) => c.body)).toContain(e.body);
    if (e.type === "record-abandoned")
      expect(b.gh.fileOn("main", "CHANGELOG.md")).toContain(`#${e.task}: ${e.title} — ${e.reason}`);
    if (e.type === "write-mirror")
      for (const [path, text] of Object.entries(e.files))
        expect(b.gh.fileOn("main", path)).toBe(text);
  }
  return { effects, expected };
}

async function localPass(b: LocalBackend, now: Date, effectsOf: EffectsOf) {
  const loaded = await b.load();
  const before = structuredClone(loaded.board);
  const heads = new Map(before.tasks.flatMap((t) => (t.pr ? [[t.id, t.pr.headSha]] : [])));
  const reported = new Map(
    before.tasks.map((t) => [
      t.id,
      localFile(b.dir, `.conveyor/reports/${t.id}/escalation.md`) !== "",
    ]),
  );
  const effects = effectsOf(before, now);
  const expected = applyEffects(before, effects, now);
  const outcome = await b.execute(loaded, effects);
  expect(outcome.stopped, effects.map(describeEffect).join("\n")).toBeUndefined();
  const actual = await b.observe(expected, effects, heads);
  const want = observe(
    expected,
    (id) => expected.tasks.find((t) => t.id === id)?.pr?.merged,
    expected,
    effects,
  );
  settleCancels(want, actual, effects);
  expect(actual, effects.map(describeEffect).join("\n")).toEqual(want);
  // The escalation is shown by its report (GitHub: the label), gone once cleared or finished.
  for (const t of before.tasks) {
    const report = localFile(b.dir, `.conveyor/reports/${t.id}/escalation.md`);
    expect(report !== "", `escalation report of ${t.id}`).toBe(
      escalatedAfter(reported.get(t.id) ?? false, t.id, effects),
    );
  }
  for (const e of effects) {
    if (e.type === "record-abandoned")
      expect(localFile(b.dir, b.repo.changelogPath)).toContain(
        `${e.task}: ${e.title} — ${e.reason}`,
      );
    if (e.type === "escalate")
      expect(localFile(b.dir, `.conveyor/reports/${e.task}/escalation.md`)).toContain(e.reason);
  }
  return { effects, expected };
}

/** A cancel that is not forced may already have landed (see the header). */
function settleCancels(
  want: ReturnType<typeof observe>,
  actual: ReturnType<typeof observe>,
  effects: readonly Effect[],
): void {
  for (const e of effects) {
    if (e.type !== "cancel-run" || e.force) continue;
    const cid = e.correlationId;
    if (want.runs[cid] === "active" && actual.runs[cid] === "completed:cancelled")
      want.runs[cid] = "completed:cancelled";
  }
}

// --- the planner's effects over random boards --------------------------------------------

const FILES = ["src/a.ts", "src/b.ts", "src/c.ts", "docs/x.md"];

const arbTask: fc.Arbitrary<TaskSpec> = fc
  .record({
    stage: fc.constantFrom("todo", "in-progress", "review", "testing", "merge-queue" as const),
    priority: fc.constantFrom(...PRIORITIES),
    locations: fc.subarray(FILES, { maxLength: 2 }),
    run: fc.option(
      fc.record({
        status: fc.constantFrom("queued", "in_progress", "failed", "good", "bad", "good" as const),
        minutesAgo: fc.integer({ min: 1, max: 25 }),
      }),
      { nil: undefined },
    ),
    failures: fc.integer({ min: 0, max: 2 }),
    escalated: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    tested: fc.boolean(),
  })
  .map((r) => {
    const t: TaskSpec = {
      stage: r.stage,
      priority: r.priority,
      locations: r.locations,
      failures: r.stage === "todo" ? 0 : r.failures,
      escalated: r.stage !== "todo" && r.escalated,
      tested: r.stage === "merge-queue" || (r.stage === "testing" && r.tested),
    };
    const published = r.run?.status === "good" || r.run?.status === "bad";
    if (r.stage !== "todo" && (r.stage !== "in-progress" || published)) t.prFiles = [];
    if (r.run && r.stage !== "todo" && r.stage !== "merge-queue") t.run = r.run;
    return t;
  });

describe("executor contract: the planner's effects over random boards", () => {
  it("both executors leave what applyEffects says, pass after pass", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(arbTask, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.boolean(),
        async (tasks, paused, runDetails) => {
          // Each PR changes a file of its own (disjoint PRs merge in one batch).
          const spec: BoardSpec = { tasks, paused };
          let clock = NOW;
          const gh = await seedGitHub(spec, baseConfig, () => clock, runDetails);
          const local = await seedLocal(spec, baseConfig, () => clock);
          disposers.push(() => local.dispose());
          // Three passes: now, past the start grace and the timeouts, past the cancel grace.
          for (const minutes of [0, 20, 30]) {
            clock = at(minutes);
            await githubPass(gh, clock, (board, now) => {
              const facts = {
                closedByPerson: new Set<string>(),
                escalatedShown: new Set<string>(),
              };
              for (const t of board.tasks)
                if (gh.escalatedLabel(t.id)) facts.escalatedShown.add(t.id);
              // The mirror as the pass decides it: written when the rendering changed.
              const mirror = { digest: (f: Record<string, string>) => JSON.stringify(f) };
              return planPass(board, baseConfig, now, { ...facts, mirror }).effects;
            });
            await localPass(local, clock, (board, now) => plan(board, baseConfig, now).effects);
          }
          await local.dispose();
          disposers.pop();
        },
      ),
      { numRuns: 15, seed: 1616 },
    );
  }, 120_000);
});

// --- hand-written effect lists: what the planner rarely emits -----------------------------

const spec = (t: Partial<TaskSpec> & Pick<TaskSpec, "stage">): TaskSpec => ({
  priority: "medium",
  locations: [],
  failures: 0,
  escalated: false,
  tested: false,
  ...(t.stage !== "todo" && t.stage !== "in-progress" ? { prFiles: [] } : {}),
  ...t,
});

/** The task seeded as the `n`-th of the spec ("Task n"): ids differ between the backends. */
function nth(board: Board, n: number): Board["tasks"][number] {
  const t = board.tasks.find((x) => x.title === `Task ${n}`);
  if (!t) throw new Error(`no Task ${n} on the board`);
  return t;
}

const command =
  (n: number | undefined, c: ConveyorCommand): EffectsOf =>
  (board, now) => {
    const outcome = planCommand(
      board,
      n === undefined ? undefined : nth(board, n).id,
      c,
      baseConfig,
      now,
    );
    expect(outcome.accepted, outcome.reply).toBe(true);
    return outcome.effects;
  };

const mergeItem = (t: Board["tasks"][number]) => ({
  task: t.id,
  pr: t.pr!.number,
  sha: t.pr!.headSha,
  branch: t.pr!.branch,
});

/** The effects that finish a merged task, as the planner writes them. */
const finish = (t: Board["tasks"][number], now: Date): Effect[] => [
  { type: "set-stage", task: t.id, from: t.stage, to: "done", reason: "merged" },
  {
    type: "save-memory",
    task: t.id,
    memory: { ...t.memory, stageSince: now.toISOString() },
  },
  { type: "close-issue", task: t.id, reason: "completed" },
];

interface Case {
  name: string;
  tasks: TaskSpec[];
  paused?: boolean;
  effects: EffectsOf;
}

const CASES: Case[] = [
  {
    name: "abandon a task whose reviewer runs (cancel, stage, memory, CHANGELOG, close)",
    tasks: [spec({ stage: "review", run: { status: "in_progress", minutesAgo: 3 } })],
    effects: command(1, { kind: "abandon", reason: "duplicate of another task" }),
  },
  {
    name: "a maintainer escalates a task in progress",
    tasks: [spec({ stage: "in-progress", run: { status: "in_progress", minutesAgo: 3 } })],
    effects: command(1, { kind: "escalate", reason: "needs a design decision" }),
  },
  {
    name: "retry an escalated task (escalation cleared, failures reset)",
    tasks: [spec({ stage: "testing", failures: 2, escalated: true })],
    effects: command(1, { kind: "retry" }),
  },
  {
    name: "deprioritize a task in review (back to the backlog, low priority)",
    tasks: [spec({ stage: "review", priority: "high" })],
    effects: command(1, { kind: "deprioritize", notes: "later" }),
  },
  {
    name: "set a priority",
    tasks: [spec({ stage: "todo", priority: "low" })],
    effects: command(1, { kind: "priority", level: "critical" }),
  },
  {
    name: "pause the repository",
    tasks: [spec({ stage: "todo" })],
    effects: command(undefined, { kind: "pause", reason: "release freeze" }),
  },
  {
    name: "resume a paused repository",
    tasks: [spec({ stage: "todo" })],
    paused: true,
    effects: command(undefined, { kind: "resume" }),
  },
  {
    name: "force-cancel a running agent",
    tasks: [spec({ stage: "in-progress", run: { status: "in_progress", minutesAgo: 30 } })],
    effects: (board) => {
      const t = nth(board, 1);
      const { run, ...rest } = t.memory;
      return [
        {
          type: "cancel-run",
          task: t.id,
          correlationId: run!.correlationId,
          force: true,
          reason: "stop",
        },
        { type: "save-memory", task: t.id, memory: rest },
      ];
    },
  },
  {
    name: "cancel a running agent (not forced) and remember the cancel",
    tasks: [spec({ stage: "review", run: { status: "in_progress", minutesAgo: 12 } })],
    effects: (board, now) => {
      const t = nth(board, 1);
      const { run, ...rest } = t.memory;
      const cid = run!.correlationId;
      return [
        { type: "cancel-run", task: t.id, correlationId: cid, force: false, reason: "timed out" },
        {
          type: "save-memory",
          task: t.id,
          memory: { ...rest, cancelling: [{ correlationId: cid, at: now.toISOString() }] },
        },
      ];
    },
  },
  {
    name: "merge one PR, then the task is done",
    tasks: [spec({ stage: "merge-queue", tested: true })],
    effects: (board, now) => {
      const t = nth(board, 1);
      return [
        { type: "merge", method: "merge", batch: [mergeItem(t)], deleteBranch: true },
        ...finish(t, now),
      ];
    },
  },
  {
    name: "merge a batch of two disjoint PRs, then both are done",
    tasks: [
      spec({ stage: "merge-queue", tested: true, prFiles: ["src/one.ts"] }),
      spec({ stage: "merge-queue", tested: true, prFiles: ["src/two.ts"] }),
    ],
    effects: (board, now) => {
      const a = nth(board, 1);
      const b = nth(board, 2);
      return [
        {
          type: "merge",
          method: "merge",
          batch: [mergeItem(a), mergeItem(b)],
          deleteBranch: true,
        },
        ...finish(a, now),
        ...finish(b, now),
      ];
    },
  },
  {
    name: "a merge alone: the PR is merged, the task still in the merge queue",
    tasks: [spec({ stage: "merge-queue", tested: true, prFiles: ["src/alone.ts"] })],
    effects: (board) => [
      { type: "merge", method: "squash", batch: [mergeItem(nth(board, 1))], deleteBranch: false },
    ],
  },
  {
    name: "move back: merge queue to testing, the test verdict dropped",
    tasks: [spec({ stage: "merge-queue", tested: true })],
    effects: (board, now) => {
      const t = nth(board, 1);
      const verdicts = { ...t.memory.verdicts };
      delete verdicts.test;
      return [
        { type: "set-stage", task: t.id, from: "merge-queue", to: "testing", reason: "head moved" },
        {
          type: "save-memory",
          task: t.id,
          memory: { ...t.memory, verdicts, stageSince: now.toISOString() },
        },
      ];
    },
  },
  {
    name: "move back: review to in progress with feedback",
    tasks: [spec({ stage: "review", failures: 1 })],
    effects: (board, now) => {
      const t = nth(board, 1);
      return [
        { type: "set-stage", task: t.id, from: "review", to: "in-progress", reason: "changes" },
        {
          type: "save-memory",
          task: t.id,
          memory: {
            ...t.memory,
            attempts: { ...t.memory.attempts, task: 1 },
            feedback: "Rename the function.",
            lastFailure: "the reviewer asked for changes",
            stageSince: now.toISOString(),
          },
        },
      ];
    },
  },
  {
    name: "memory updates only: tokens, cost, handled results, a remembered cancel",
    tasks: [spec({ stage: "testing" })],
    effects: (board, now) => {
      const t = nth(board, 1);
      return [
        {
          type: "save-memory",
          task: t.id,
          memory: {
            ...t.memory,
            tokens: 1234,
            costUsd: 0.5,
            handled: [...t.memory.handled, `${t.id}/tester/0/9`],
            cancelling: [{ correlationId: `${t.id}/tester/0/8`, at: now.toISOString() }],
          },
        },
        {
          type: "save-memory",
          task: t.id,
          memory: { ...t.memory, tokens: 99, runsAtRetry: 2 },
        },
      ];
    },
  },
  {
    name: "clear an escalation",
    tasks: [spec({ stage: "review", escalated: true })],
    effects: (board) => {
      const t = nth(board, 1);
      const { escalation: _e, ...memory } = t.memory;
      return [
        { type: "clear-escalation", task: t.id },
        { type: "save-memory", task: t.id, memory },
      ];
    },
  },
  {
    name: "queue and merge in one pass: testing to the merge queue, merged, done",
    tasks: [spec({ stage: "testing", tested: true })],
    effects: (board, now) => {
      const t = nth(board, 1);
      const queued = { ...t, stage: "merge-queue" as const };
      return [
        { type: "set-stage", task: t.id, from: "testing", to: "merge-queue", reason: "tested" },
        { type: "merge", method: "rebase", batch: [mergeItem(t)], deleteBranch: true },
        ...finish(queued, now),
      ];
    },
  },
  {
    name: "deprioritize a task in the merge queue (its PR leaves the queue too)",
    tasks: [spec({ stage: "merge-queue", tested: true, priority: "high" })],
    effects: command(1, { kind: "deprioritize", notes: "after the release" }),
  },
  {
    name: "abandon a task in the merge queue",
    tasks: [spec({ stage: "merge-queue", tested: true })],
    effects: command(1, { kind: "abandon", reason: "no longer needed" }),
  },
  {
    name: "set the priority of a task in review, two tasks on the board",
    tasks: [spec({ stage: "review", priority: "low" }), spec({ stage: "todo" })],
    effects: command(1, { kind: "priority", level: "high" }),
  },
  {
    name: "a comment and the mirror",
    tasks: [spec({ stage: "todo" })],
    effects: (board) => [
      { type: "comment", task: nth(board, 1).id, body: "Queued behind 2 tasks." },
      { type: "write-mirror", files: { "TODO.md": "# TODO\n\n- mirrored\n" } },
    ],
  },
];

describe("executor contract: hand-written effect lists", () => {
  for (const c of CASES) {
    it(`GitHub: ${c.name}`, async () => {
      const b = await seedGitHub(
        { tasks: c.tasks, paused: c.paused ?? false },
        baseConfig,
        () => NOW,
      );
      await githubPass(b, NOW, c.effects);
    });
    it(`local: ${c.name}`, async () => {
      const b = await seedLocal(
        { tasks: c.tasks, paused: c.paused ?? false },
        baseConfig,
        () => NOW,
      );
      disposers.push(() => b.dispose());
      await localPass(b, NOW, c.effects);
    });
  }
});
