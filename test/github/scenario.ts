import type { ConfigInput } from "../../src/core/config.js";
import { ConfigCache } from "../../src/github/load-repo-config.js";
import { type ReconcileReport, reconcileRepo } from "../../src/github/reconcile.js";
import { FakeGitHub, type FakeGitHubOptions } from "../support/fake-github/index.js";
import { AgentSim } from "./agent-sim.js";

export const BOT = "conveyor[bot]";
export const T0 = Date.parse("2026-11-25T10:00:00.000Z");

export interface ScenarioOptions {
  /** Priority per issue, in the order they are opened. */
  priorities: string[];
  config?: ConfigInput;
  fake?: FakeGitHubOptions;
  dryRun?: boolean;
  /** For the HTTP pre-flight checks. */
  fetch?: typeof fetch;
  /** Each pass starts with nothing remembered, like an orchestrator Action run. */
  freshCachePerPass?: boolean;
}

/** A repository in the fake GitHub with labelled issues, the agents, and a clock. */
export function scenario(options: ScenarioOptions) {
  let clock = T0;
  const now = () => new Date(clock);
  const gh = new FakeGitHub({ now, botLogin: BOT, ...options.fake });
  if (options.config) gh.writeFile("main", ".github/conveyor.yml", toYaml(options.config));
  const sim = new AgentSim(gh);
  const issues = options.priorities.map((p, i) => {
    clock += 1000;
    const n = gh.addIssue({
      title: `Task ${i + 1} (${p})`,
      body: `Do thing ${i + 1}.\n\n## Location\n- \`src/t${i + 1}.ts\``,
      labels: ["conveyor:todo", `priority:${p}`],
    });
    sim.files.set(n, [`src/t${i + 1}.ts`]);
    return n;
  });
  const logs: string[] = [];
  const configCache = new ConfigCache();
  const reports: ReconcileReport[] = [];
  /** One reconcile pass; a pass that throws (GitHub down) is logged, like the app would. */
  const pass = async (): Promise<ReconcileReport | undefined> => {
    try {
      const r = await reconcileRepo({
        port: gh,
        owner: gh.owner,
        repo: gh.repo,
        botLogin: BOT,
        now,
        dryRun: options.dryRun ?? false,
        log: (l) => logs.push(l),
        configCache: options.freshCachePerPass ? new ConfigCache() : configCache,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
      reports.push(r);
      return r;
    } catch (e: unknown) {
      logs.push(`pass threw: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  };
  const tick = (minutes = 1) => {
    clock += minutes * 60_000;
  };
  /** Every issue closed AND marked done (GitHub closes an issue when its PR merges). */
  const allClosed = () =>
    issues.every(
      (n) => gh.issue(n).state === "closed" && gh.issue(n).labels.includes("conveyor:done"),
    );
  /** Between passes: the dispatched agents start and finish, time goes on. */
  const agentsWork = (minutes = 1) => {
    sim.startAll();
    sim.finish();
    tick(minutes);
  };
  /** Passes with the agents working in between, until every issue is closed. */
  const runUntilDone = async (maxPasses = 60, minutes = 1) => {
    for (let i = 0; i < maxPasses && !allClosed(); i++) {
      await pass();
      gh.revive();
      agentsWork(minutes);
    }
    return allClosed();
  };
  return { gh, sim, issues, pass, tick, logs, reports, allClosed, agentsWork, runUntilDone, now };
}

/** One task whose PR is open and in review, the reviewer dispatched: the scenario and PR. */
export async function inReview(options: Partial<ScenarioOptions> = {}) {
  const s = scenario({ priorities: ["high"], ...options });
  await s.pass();
  s.agentsWork();
  await s.pass();
  const pr = [...s.gh.pulls.values()][0]!.number;
  return { s, pr };
}

function toYaml(config: ConfigInput): string {
  return JSON.stringify(config, null, 2); // JSON is YAML
}

/** Correlation ids dispatched more than once (must be empty). */
export function duplicateDispatches(gh: FakeGitHub): string[] {
  const seen = new Map<string, number>();
  for (const r of gh.runs) seen.set(r.title, (seen.get(r.title) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([t]) => t);
}
