import { createHash } from "node:crypto";
import type { Board, Stage } from "../core/board.js";
import type { Config } from "../core/config.js";
import type { Plan } from "../core/effects.js";
import { type PassRead, runPass } from "../core/pass.js";
import { countRequests } from "./count-requests.js";
import { type ExecutionReport, executeEffects } from "./executor.js";
import type { Snapshot } from "./interpret-facts.js";
import { loadSnapshot } from "./load-board.js";
import { ConfigCache, loadRepoConfig } from "./load-repo-config.js";
import type { DefaultBranchRead, GitHubPort, RefState } from "./port.js";
import { baseStateFromHistory, checkPreflight } from "./preflight.js";
import { readSchedulingFacts } from "./scheduling-check.js";

export { ConfigCache, loadRepoConfig };

/** Everything one reconcile pass needs; the app and the orchestrator Action build it. */
export interface ReconcileContext {
  port: GitHubPort;
  owner: string;
  repo: string;
  /** Login of the app's bot user (e.g. `conveyor[bot]`): the only author whose markers count. */
  botLogin: string;
  now: () => Date;
  dryRun: boolean;
  log: (line: string) => void;
  /** Keeps the config per head commit across passes (the app keeps one per repository). */
  configCache?: ConfigCache;
  /** For the HTTP pre-flight checks; default: global fetch. */
  fetch?: typeof fetch;
  /**
   * Authors trusted for agent result comments besides `agent.resultAuthors` of the config
   * (the GitHub App passes its own identity).
   */
  resultAuthors?: string[];
  /**
   * The pass's own load, when its steps made one already (a command planned against it;
   * the executor kept it up to date): the pass plans on it instead of loading again.
   */
  state?: RepoState;
}

/** What one pass saw and did. */
export interface ReconcileReport {
  repo: string;
  /** The configuration used (defaults when the file is missing or invalid). */
  config: Config;
  /** One line per bad key when `.github/conveyor.yml` is invalid. */
  configErrors: string[];
  /** The board as loaded at the start of the pass. */
  board: Board;
  plan: Plan;
  /** `describeEffect` lines of the effects applied (dry-run: that would be applied). */
  applied: string[];
  /** The effect that failed (the pass stopped there), with the error. */
  failed?: { effect: string; error: string };
  execution: ExecutionReport;
  /** Requests sent to GitHub during the pass (reads and writes). */
  requests: number;
}

/** The loaded state of a repository: what the app needs to answer commands. */
export interface RepoState {
  config: Config;
  configErrors: string[];
  /** Head of the default branch the config was read at. */
  configSha: string;
  /** The default branch as read with the config (recent checks, auto-delete setting). */
  branch: DefaultBranchRead;
  defaultBranch: string;
  snapshot: Snapshot;
}

/** Loads config and board (no writes). The app uses it for `/conveyor status` and commands. */
export async function loadRepoState(ctx: ReconcileContext): Promise<RepoState> {
  const repoConfig = await loadRepoConfig(ctx.port, ctx.configCache);
  const snapshot = await loadSnapshot(ctx.port, repoConfig.config, ctx.now(), {
    botLogin: ctx.botLogin,
    defaultBranch: repoConfig.defaultBranch,
    configErrors: repoConfig.errors,
    ...(ctx.resultAuthors ? { resultAuthors: ctx.resultAuthors } : {}),
    ...(repoConfig.headSha ? { baseHeadSha: repoConfig.headSha } : {}),
    ...(repoConfig.branch.tracked ? { tracked: repoConfig.branch.tracked } : {}),
    ...(ctx.configCache
      ? {
          facts: ctx.configCache.facts,
          ownTail: ctx.configCache.ownTail.bind(ctx.configCache),
        }
      : {}),
  });
  return {
    config: repoConfig.config,
    configErrors: repoConfig.errors,
    configSha: repoConfig.headSha,
    branch: repoConfig.branch,
    defaultBranch: repoConfig.defaultBranch,
    snapshot,
  };
}

/** What the GitHub read step hands the pass body: the loaded state and the pass's facts. */
interface GitHubRead extends PassRead {
  repoState: RepoState;
  snapshot: Snapshot;
}

/**
 * Minutes within which a changed mirror waits for a later pass while agents are at work
 * (`planPass`): one tracking-files commit per window instead of one per pass.
 */
export const MIRROR_COALESCE_MINUTES = 5;

/**
 * Minutes within which a routine change of the dashboard (tasks moving on while agents are at
 * work) waits for a later pass (`planPass`): one edit per window instead of one per pass.
 */
export const DASHBOARD_COALESCE_MINUTES = 5;

/**
 * One pass (the shared pass body, `runPass`): read config, board and who scheduled the work;
 * plan every decision (`planPass`: refused scheduling, abandons of closed issues, the plan,
 * repairs of escalations, the mirror, the dashboard, the config check); read pre-flight and
 * plan again only when the plan dispatches; execute. Level-triggered: whatever event asked
 * for it, the pass looks at everything again. Never throws for bad input (an invalid config
 * is shown on the dashboard and as a failing check). A GitHub failure while writing stops
 * that task's effects (an outage: the pass) and surfaces in `failed`; a failure while reading
 * throws (nothing was written; the next event or sweep retries).
 */
export async function reconcileRepo(ctx: ReconcileContext): Promise<ReconcileReport> {
  const counter = countRequests(ctx.port);
  const port = counter.port;
  const configCache = ctx.configCache ?? new ConfigCache();
  const inner: ReconcileContext = { ...ctx, port, configCache };
  const now = ctx.now();
  let board: Board | undefined;
  const run = await runPass<GitHubRead, ExecutionReport>(
    {
      read: async () => {
        const repoState = ctx.state ?? (await loadRepoState(inner));
        const { config, snapshot } = repoState;
        const { github } = snapshot;
        const scheduling = await readSchedulingFacts(port, snapshot, config, {
          botLogin: ctx.botLogin,
          now,
          facts: configCache.facts,
        });
        const escalatedShown = new Set(
          [...github.labels]
            .filter(([, labels]) => labels.includes(config.labels.escalated))
            .map(([id]) => id),
        );
        return {
          repoState,
          snapshot,
          board: snapshot.board,
          config,
          facts: {
            closedByPerson: github.closedByPerson,
            escalatedShown,
            mirror: {
              digest: digestOf,
              ...(github.mirrorDigest ? { lastDigest: github.mirrorDigest } : {}),
              ...(github.mirrorAt ? { lastWrittenAt: github.mirrorAt } : {}),
              coalesceMinutes: MIRROR_COALESCE_MINUTES,
            },
            scheduling,
            dashboard: {
              exists: github.dashboard !== undefined,
              ...(github.dashboard?.closed ? { closed: true } : {}),
              ...(github.lastPreflight ? { lastPreflight: github.lastPreflight } : {}),
              ...(github.dashboardAt ? { lastWrittenAt: github.dashboardAt } : {}),
              coalesceMinutes: DASHBOARD_COALESCE_MINUTES,
            },
            ...(repoState.configSha ? { configSha: repoState.configSha } : {}),
          },
        };
      },
      preflight: ({ repoState, snapshot, config }) =>
        checkPreflight(port, config, snapshot.github.baseBranch, ctx.fetch, () =>
          baseState(port, repoState, snapshot.github.baseBranch, configCache),
        ),
      execute: async ({ repoState, snapshot, config }, decided) => {
        // The executor works on the board the pass planned on (refused work left out).
        snapshot.board = decided.board;
        board = structuredClone(decided.board);
        const knownHeads = new Map<string, string>();
        if (repoState.configSha) knownHeads.set(repoState.defaultBranch, repoState.configSha);
        const execution = await executeEffects(port, snapshot, decided.effects, {
          dryRun: ctx.dryRun,
          log: ctx.log,
          config,
          now,
          knownHeads,
          deferRepoMemory: true,
          branchesDeletedOnMerge: repoState.branch.deleteBranchOnMerge,
        });
        for (const c of execution.commits)
          if (c.branch === repoState.defaultBranch) configCache.ownCommit(c.sha, c.parent, c.files);
        if (execution.merged.length > 0) await warmMergeable(port, snapshot, execution.merged);
        return execution;
      },
    },
    now,
  );
  const execution = run.result;
  return {
    repo: `${ctx.owner}/${ctx.repo}`,
    config: run.state.config,
    configErrors: run.state.repoState.configErrors,
    board: board ?? run.decided.board,
    plan: run.decided.plan,
    applied: execution.applied,
    ...(execution.failed ? { failed: execution.failed } : {}),
    execution,
    requests: counter.count(),
  };
}

/**
 * Whether the base's checks pass. For the default branch the pass already read its recent
 * commits with their checks (with the config): the newest commit CI ran on decides, looking
 * through Conveyor's own `[skip ci]` commits (the mirror), which have no checks. Asked
 * separately only for another base branch, or when every commit read was one of ours.
 */
async function baseState(
  port: GitHubPort,
  state: RepoState,
  baseBranch: string,
  configCache: ConfigCache,
): Promise<RefState> {
  if (baseBranch !== state.defaultBranch || !state.branch.head) return port.refState(baseBranch);
  const known = baseStateFromHistory(state.branch.history, (sha) => configCache.isOwn(sha));
  if (known) return known;
  const below = configCache.ownTail(state.branch.head).sha;
  const oldest = state.branch.history.at(-1)?.sha;
  return port.refState(below !== state.branch.head || !oldest ? below : `${oldest}~1`);
}

/**
 * After merges moved the base, GitHub computes `mergeable` again for the other open PRs,
 * starting when one is asked for (the first answer is `null`, "computing"). Asking now for
 * the PRs of tasks on their way to the merge (review, testing, queued), all in one request,
 * lets a later pass find it computed instead of waiting one more pass. A failed read here
 * changes nothing.
 */
const WARMED = new Set<Stage>(["review", "testing", "merge-queue"]);

async function warmMergeable(port: GitHubPort, snapshot: Snapshot, merged: number[]) {
  const numbers: number[] = [];
  for (const task of snapshot.board.tasks) {
    const pr = task.pr;
    if (!pr || pr.number === undefined || pr.merged || pr.closed || merged.includes(pr.number))
      continue;
    if (WARMED.has(task.stage)) numbers.push(pr.number);
  }
  if (numbers.length > 0) await port.getPulls(numbers).catch(() => undefined);
}

/** A short digest of the tracking files (kept in the dashboard marker). */
export function digestOf(files: Record<string, string>): string {
  const hash = createHash("sha256");
  for (const key of Object.keys(files).sort()) hash.update(`${key}\0${files[key]}\0`);
  return hash.digest("hex").slice(0, 16);
}
