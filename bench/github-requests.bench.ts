/**
 * GitHub requests per task from label to merged, on the happy path of the end-to-end
 * scenario over the fake GitHub (eight labelled issues, agents succeed at once, a pass after
 * every batch of agent results). Target: ≤ 20 per task. Lists count one request per page,
 * a GraphQL query one (the default branch with config and recent checks, the PRs on their
 * way to the merge, the mirror commit). Also printed:
 * the requests that cost rate limit, i.e. less the reads GitHub answers 304 (the port sends
 * lists and the base's status with the ETag of its last answer; the app keeps one port per
 * repository, while the orchestrator Action starts each run with an empty cache).
 */
import { scenario } from "../test/github/scenario.js";

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
