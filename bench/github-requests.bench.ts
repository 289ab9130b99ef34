/**
 * GitHub requests per task from label to merged, on the happy path of the end-to-end
 * scenario over the fake GitHub (eight labelled issues, agents succeed at once, a pass after
 * every batch of agent results). Target: ≤ 20 per task. Lists count one request per page,
 * a GraphQL query one (the default branch with config and recent checks, the PRs on their
 * way to the merge, the mirror commit). Also printed:
 * the requests that cost rate limit, i.e. less the reads GitHub answers 304 (the port sends
 * lists and the base's status with the ETag of its last answer; the app keeps one port per
 * repository, while the orchestrator Action starts each run with an empty cache).
 *
 * The last rows follow the orchestrator template's real event pattern: the `on:` triggers of
 * .github/workflows/conveyor.yml decide which events start a pass (a `workflow_run` event
 * per agent run for each listed type — requested, in_progress, completed —, the agents'
 * pull_request and review events when they push with an app token, the 15-minute schedule;
 * the job-level `if:` evaluated as GitHub would decides whether such an event runs a job),
 * each pass with an empty cache, as an Action run starts. Only the maintainer's burst of
 * labels is coalesced by the concurrency group (two passes); agent events are not: an upper
 * bound.
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { scenario } from "../test/github/scenario.js";
import { evaluate } from "../test/support/actions-expression.js";

const PRIORITIES = ["low", "critical", "medium", "high", "medium", "critical", "low", "high"];

export default async function bench(): Promise<void> {
  console.log("-- one pass per batch of agent results (agents finish together) --");
  const batched = scenario({ priorities: PRIORITIES });
  if (!(await batched.runUntilDone())) throw new Error("the scenario did not finish");
  report(batched);

  console.log("\n-- the same, in a repository that deletes merged branches itself --");
  const autoDelete = scenario({ priorities: PRIORITIES });
  autoDelete.gh.deleteBranchOnMerge = true;
  if (!(await autoDelete.runUntilDone())) throw new Error("the scenario did not finish");
  report(autoDelete);

  console.log("\n-- one pass per agent result (one workflow_run event each) --");
  const single = scenario({ priorities: PRIORITIES });
  for (let i = 0; i < 400 && !single.allClosed(); i++) {
    await single.pass();
    single.sim.startAll();
    single.sim.finish(1);
    single.tick();
  }
  if (!single.allClosed()) throw new Error("the scenario did not finish");
  report(single);

  const on = templateTriggers();
  console.log(
    `\n-- the orchestrator template's events (workflow_run: ${on.workflowRun.join(", ")}; schedule every 15 min; agents push with GITHUB_TOKEN) --`,
  );
  report(await templatePattern(on, false));
  console.log(
    "\n-- the same, agents pushing with an app token (their PR and review events start passes) --",
  );
  report(await templatePattern(on, true));
}

interface Triggers {
  workflowRun: string[];
  pullRequest: string[];
  review: string[];
  /** The job-level condition: whether an event starts a job at all. */
  condition: string;
}

/** The event types of the orchestrator template that start a pass. */
function templateTriggers(): Triggers {
  const file = new URL("../.github/workflows/conveyor.yml", import.meta.url);
  const workflow = parse(readFileSync(file, "utf8")) as {
    on: Record<string, { types?: string[] }>;
    jobs: Record<string, { if?: string }>;
  };
  const on = workflow.on;
  return {
    workflowRun: on.workflow_run?.types ?? ["requested", "in_progress", "completed"],
    pullRequest: on.pull_request?.types ?? [],
    review: on.pull_request_review?.types ?? [],
    condition: workflow.jobs.reconcile?.if ?? "true",
  };
}

/** Whether an agent's own PR or review event (sent by a bot: the app token) starts a job. */
function agentEventStartsJob(on: Triggers, eventName: string): boolean {
  const github = {
    repository: "o/r",
    event_name: eventName,
    event: {
      pull_request: { head: { ref: "conveyor/1-task", repo: { full_name: "o/r" } } },
      sender: { type: "Bot" },
    },
  };
  return evaluate(on.condition, { github });
}

/**
 * One pass per event the template listens to: each agent run's workflow_run events, the
 * PR opened by a task agent and the review a reviewer submits (when pushed with an app
 * token), the maintainer's labels, and the schedule.
 */
async function templatePattern(on: Triggers, appToken: boolean) {
  const s = scenario({ priorities: PRIORITIES, freshCachePerPass: true });
  const has = (types: string[], t: string) => types.includes(t);
  // The maintainer labels the issues at once: the concurrency group runs one pass and keeps
  // one pending, so the burst costs two passes.
  await s.pass();
  await s.pass();
  let minutes = 0;
  for (let i = 0; i < 400 && !s.allClosed(); i++) {
    const queued = s.gh.runs.filter((r) => r.status === "queued").length;
    s.sim.startAll();
    const startEvents =
      (has(on.workflowRun, "requested") ? 1 : 0) + (has(on.workflowRun, "in_progress") ? 1 : 0);
    for (let k = 0; k < queued * startEvents; k++) await s.pass();
    const ending = s.gh.runs.find((r) => r.status === "in_progress");
    s.sim.finish(1);
    s.tick();
    minutes++;
    if (minutes % 15 === 0) await s.pass(); // the schedule
    if (!ending) {
      await s.pass();
      continue;
    }
    if (appToken && ending.inputs.mode === "task" && has(on.pullRequest, "opened"))
      if (agentEventStartsJob(on, "pull_request")) await s.pass();
    if (appToken && ending.inputs.mode === "review" && has(on.review, "submitted"))
      if (agentEventStartsJob(on, "pull_request_review")) await s.pass();
    if (has(on.workflowRun, "completed")) await s.pass();
  }
  if (!s.allClosed()) throw new Error("the scenario did not finish");
  return s;
}

function report(s: ReturnType<typeof scenario>): void {
  const tasks = PRIORITIES.length;
  const calls = s.gh.calls;
  const reads = calls.filter((c) => c.startsWith("GET ")).length;
  const writes = calls.length - reads;
  const kinds = new Map<string, number>();
  for (const c of calls) {
    const kind = c.startsWith("GET ")
      ? `read  ${c.split(" ")[1]}`
      : `write ${(/:(\+|-|=)/.test(c) ? "labels" : (c.split(":")[1] ?? c).split(/[ @"]/)[0]) || c}`;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  console.log(`tasks: ${tasks}, reconcile passes: ${s.reports.length}`);
  console.log(
    `requests: ${s.gh.requests} total, ${(s.gh.requests / tasks).toFixed(1)} per task (target <= 20)`,
  );
  console.log(
    `  costing rate limit: ${s.gh.rateLimited} (${(s.gh.rateLimited / tasks).toFixed(1)} per task); ${s.gh.notModified} reads answered 304 Not Modified (free)`,
  );
  console.log(
    `  calls: reads ${reads} (${(reads / tasks).toFixed(1)}/task), writes ${writes} (${(writes / tasks).toFixed(1)}/task)`,
  );
  console.log(`  per pass: ${(s.gh.requests / s.reports.length).toFixed(1)} requests`);
  console.log("  calls by kind (a list call is a request per page):");
  for (const [kind, n] of [...kinds].sort((a, b) => b[1] - a[1]))
    console.log(`  ${kind.padEnd(28)} ${String(n).padStart(4)}  (${(n / tasks).toFixed(2)}/task)`);
}
