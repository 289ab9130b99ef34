/**
 * Planning cost against the cost of reading the same board: boards of 100, 1,000 and
 * 10,000 tasks in every stage. Target: planning costs no more than JSON.parse of the
 * board, and grows linearly, the worst case (every todo task dispatched, each checked for
 * overlapping locations) included.
 */
import type { Board, Stage, Task } from "../src/core/board.js";
import { emptyMemory, emptyRepoMemory } from "../src/core/board.js";
import { defaultConfig, PRIORITIES } from "../src/core/config.js";
import { plan } from "../src/core/plan.js";

const NOW = new Date("2026-11-25T10:00:00Z");
const STAGES: Stage[] = [
  "todo",
  "todo",
  "todo",
  "in-progress",
  "review",
  "testing",
  "merge-queue",
  "done",
  "done",
];

export function syntheticBoard(n: number): Board {
  const tasks: Task[] = [];
  const runs: Board["runs"] = {};
  for (let i = 1; i <= n; i++) {
    const stage = STAGES[i % STAGES.length]!;
    const id = String(i);
    const sha = `${i.toString(16)}`.padStart(40, "a");
    const t: Task = {
      id,
      title: `Task ${i}: make the widget ${i} faster`,
      body: "## Location\n- `src/widget.ts`\n\nSome description of the problem and the fix.",
      priority: PRIORITIES[i % 4]!,
      stage,
      createdAt: new Date(NOW.getTime() - i * 60_000).toISOString(),
      locations: [`src/module${i % 50}/file${i}.ts`],
      memory: {
        ...emptyMemory(),
        runs: stage === "todo" ? 0 : 2,
        tokens: 12_000 * (i % 7),
        costUsd: 0.1 * (i % 5),
      },
    };
    if (stage !== "todo" && stage !== "in-progress")
      t.pr = {
        number: i + 1000,
        headSha: sha,
        branch: `conveyor/${id}-x`,
        changedFiles: [`src/f${i}.ts`, "CHANGELOG.md"],
        merged: stage === "done",
        mergeable: true,
      };
    if (stage === "merge-queue")
      t.memory.verdicts.test = { role: "tester", value: "pass", sha, at: NOW.toISOString() };
    if (stage === "review" && i % 2 === 0) {
      const cid = `${id}/reviewer/0/2`;
      t.memory.run = {
        role: "reviewer",
        attempt: 0,
        correlationId: cid,
        dispatchedAt: NOW.toISOString(),
      };
      runs[cid] = {
        correlationId: cid,
        runId: String(i),
        status: "in_progress",
        startedAt: NOW.toISOString(),
      };
    }
    tasks.push(t);
  }
  return {
    repo: "bench/board",
    tasks,
    runs,
    results: {},
    preflight: [],
    repoMemory: emptyRepoMemory(),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => void, reps: number): number {
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

export default function run(): void {
  const defaults = defaultConfig();
  // The worst case: every todo task is dispatchable (disjoint locations, no cap binds) and
  // each dispatch is checked against every location held (the task agents at work and the
  // tasks in progress, plus those dispatched before it in the same plan).
  const unlimited = {
    ...defaults,
    capacity: { agents: 100_000, inFlight: 100_000 },
    guards: { ...defaults.guards, exclusiveLocations: true, maxDispatchesPerHour: 1_000_000 },
  };
  for (const [label, config] of [
    ["default capacity (6 agents)", defaults],
    [
      "worst case: every todo task dispatched (capacity 100,000, locations on, no hourly cap)",
      unlimited,
    ],
  ] as const) {
    console.log(`\n${label}`);
    table(config);
  }
}

function table(config: ReturnType<typeof defaultConfig>): void {
  console.log(
    "tasks   board KB   JSON.parse ms   plan ms   plan/parse   plan µs/task   effects   dispatches",
  );
  for (const n of [100, 1_000, 10_000]) {
    const text = JSON.stringify(syntheticBoard(n));
    const reps = n >= 10_000 ? 15 : 50;
    for (let i = 0; i < 3; i++) plan(JSON.parse(text) as Board, config, NOW); // warm up
    const parseMs = time(() => JSON.parse(text), reps);
    const board = JSON.parse(text) as Board;
    let effects = 0;
    let dispatches = 0;
    const planMs = time(() => {
      const p = plan(board, config, NOW);
      effects = p.effects.length;
      dispatches = p.effects.filter((e) => e.type === "dispatch").length;
    }, reps);
    console.log(
      `${String(n).padStart(6)}   ${(text.length / 1024).toFixed(0).padStart(8)}   ${parseMs.toFixed(2).padStart(13)}   ${planMs.toFixed(2).padStart(7)}   ${(planMs / parseMs).toFixed(2).padStart(10)}   ${((planMs * 1000) / n).toFixed(1).padStart(12)}   ${String(effects).padStart(7)}   ${String(dispatches).padStart(10)}`,
    );
  }
}
