/**
 * The schedule against its lower bound: the real `plan` on a simulated clock (see
 * schedule-sim.ts) for 6, 12 and 60 tasks with disjoint files, some overlap and heavy
 * overlap, over several seeds, next to the workflow's naive batch schedule on the same work.
 * Targets (issue 14, on its bound): ≤ 1.10× the bound at 60 tasks with heavy overlap, ≤ 1.20×
 * at 12. The rule-aware bound also counts `capacity.inFlight` and exclusive locations, which
 * issue 14's bound ignores (see `inFlightBound` and `locationsBound` in schedule-sim.ts).
 */
import { type ConfigInput, configSchema } from "../src/core/config.js";
import {
  DEFAULT_WORK,
  naiveBatch,
  type Overlap,
  type SimOptions,
  type SimResult,
  simulate,
} from "./schedule-sim.js";

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const f2 = (x: number) => x.toFixed(2);
const f0 = (x: number) => x.toFixed(0);

interface Row {
  sim: SimResult[];
  naive: SimResult[];
}

function row(base: Omit<SimOptions, "seed">, naiveAgents?: number): Row {
  const sim: SimResult[] = [];
  const naive: SimResult[] = [];
  for (const seed of SEEDS) {
    const s = simulate({ ...base, seed });
    sim.push(s);
    const n = naiveBatch({ ...base, seed }, naiveAgents ?? 6);
    n.ratio = n.makespanMin / s.bound.value;
    naive.push(n);
  }
  return { sim, naive };
}

function print(label: string, r: Row): void {
  const s = r.sim;
  const n = r.naive;
  console.log(
    [
      label.padEnd(22),
      f2(mean(s.map((x) => x.ratio))).padStart(6),
      f2(Math.max(...s.map((x) => x.ratio))).padStart(6),
      f2(mean(s.map((x) => x.ruleRatio))).padStart(6),
      f2(Math.max(...s.map((x) => x.ruleRatio))).padStart(6),
      f2(mean(s.map((x) => x.fifoRatio))).padStart(6),
      f2(mean(s.map((x) => x.lptRatio))).padStart(6),
      f0(mean(s.map((x) => x.meanToMergeMin))).padStart(7),
      `${f0(mean(s.map((x) => x.utilisation)) * 100)}%`.padStart(6),
      f2(mean(s.map((x) => x.extraRuns))).padStart(7),
      f2(mean(s.map((x) => x.escalatedAfterPass))).padStart(6),
      f2(mean(s.map((x) => x.escalated))).padStart(5),
      ...IDLE.map(([, codes]) =>
        `${f0(idleShare(s, codes) * 100)}%`.padStart(codes[0] === "none" ? 5 : 6),
      ),
      "  |",
      f2(mean(n.map((x) => x.ratio))).padStart(6),
      f0(mean(n.map((x) => x.meanToMergeMin))).padStart(7),
      `${f0(mean(n.map((x) => x.utilisation)) * 100)}%`.padStart(6),
    ].join(" "),
  );
}

/** Idle slots by why work waited (see `SimResult.idleBy`), as shares of agents × makespan. */
const IDLE: [string, string[]][] = [
  ["clash", ["location-clash"]],
  ["caps", ["in-flight-full", "slots-and-in-flight-full", "dispatch-limit"]],
  ["tail", ["none"]],
];

function idleShare(rs: SimResult[], codes: string[]): number {
  return mean(
    rs.map((r) => codes.reduce((n, c) => n + (r.idleBy[c] ?? 0), 0) / (r.agents * r.makespanMin)),
  );
}

const HEADER = `${"".padEnd(22)}  ratio    max   rule   rmax   fifo    lpt  →merge   util   extra  escP  esc  clash  caps  tail   |  naive  →merge   util`;

function table(title: string, input: ConfigInput, extra: Partial<SimOptions> = {}): void {
  console.log(`\n${title}`);
  console.log(HEADER);
  const config = configSchema.parse(input);
  for (const tasks of [6, 12, 60])
    for (const overlap of ["disjoint", "some", "heavy"] as Overlap[])
      print(`${tasks} tasks, ${overlap}`, row({ tasks, overlap, config, ...extra }));
}

function single(title: string, input: ConfigInput, extra: Partial<SimOptions> = {}): void {
  const config = configSchema.parse(input);
  const r = row({ tasks: 10, overlap: "one-file", config, ...extra });
  console.log(`\n${title}`);
  console.log(HEADER);
  print("10 PRs on one file", r);
}

const SHORT: SimOptions["work"] = {
  task: [DEFAULT_WORK.task[0] / 4, DEFAULT_WORK.task[1] / 4],
  reviewer: [DEFAULT_WORK.reviewer[0] / 4, DEFAULT_WORK.reviewer[1] / 4],
  tester: [DEFAULT_WORK.tester[0] / 4, DEFAULT_WORK.tester[1] / 4],
};

export default function run(): void {
  console.log(
    `work per run (min): task ${DEFAULT_WORK.task.join("–")}, reviewer ${DEFAULT_WORK.reviewer.join("–")}, tester ${DEFAULT_WORK.tester.join("–")}; start latency 0.5, merge 1; 20% of reviews ask for changes, 15% of tests fail; ${SEEDS.length} seeds`,
  );
  console.log(
    "ratio: makespan ÷ issue 14's lower bound (mean, max); rule, rmax: makespan ÷ the rule-aware bound, which adds capacity.inFlight and exclusive locations (mean, max); fifo, lpt: the same chains on capacity.inFlight lanes oldest first (the rules' start order) and longest first (clairvoyant), each ÷ issue 14's bound (both ignore locations); →merge: mean minutes from todo to merged; util: slot utilisation; extra: runs beyond each task's own; escP: escalated after the tests had passed; esc: escalated; clash / caps / tail: share of slot time idle while a new task waited for overlapping locations / for capacity.inFlight or the hourly cap / while nothing waited (the backlog's end); naive: the batch schedule's ratio to the same bound",
  );
  table("defaults (6 agents)", {});
  table("12 agents, capacity.inFlight 12", { capacity: { agents: 12, inFlight: 12 } });
  table("short runs (¼ the work), 6 agents", {}, { work: SHORT });
  single("one file, defaults", {});
}
