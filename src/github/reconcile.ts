import { createHash } from "node:crypto";
import type { Board, Stage } from "../core/board.js";
import type { Config } from "../core/config.js";
import type { Effect, Plan } from "../core/effects.js";
import { planPass } from "../core/pass-plan.js";
import { countRequests } from "./count-requests.js";
import { type ExecutionReport, executeEffects } from "./executor.js";
import { formatDashboard } from "./format-dashboard.js";
import { errorText } from "./http-errors.js";
import type { DashboardState, Snapshot } from "./interpret-facts.js";
import { loadSnapshot } from "./load-board.js";
import { ConfigCache, loadRepoConfig } from "./load-repo-config.js";
import {
  CONFIG_PATH,
  DASHBOARD_TITLE,
  type DefaultBranchRead,
  type GitHubPort,
  type RefState,
} from "./port.js";
import { baseStateFromHistory, checkPreflight } from "./preflight.js";
import { refuseUnauthorizedScheduling } from "./scheduling-check.js";

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
          comments: ctx.configCache.comments,
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

/**
 * Minutes within which a changed mirror waits for a later pass while agents are at work
 * (`planPass`): one tracking-files commit per window instead of one per pass.
 */
export const MIRROR_COALESCE_MINUTES = 5;

/**
 * One pass: load config and board, plan, execute, then bring the dashboard up to date.
 * Level-triggered: whatever event asked for it, the pass looks at everything again. Never
 * throws for bad input (an invalid config is shown on the dashboard and as a failing check).
 * A GitHub failure while writing stops the pass there and surfaces in `failed`; a failure
 * while reading the snapshot throws (nothing was written; the next event or sweep retries).
 */
export async function reconcileRepo(ctx: ReconcileContext): Promise<ReconcileReport> {
  const counter = countRequests(ctx.port);
  const port = counter.port;
  const configCache = ctx.configCache ?? new ConfigCache();
  const inner: ReconcileContext = { ...ctx, port, configCache };
  const now = ctx.now();
  const state = await loadRepoState(inner);
  const { config, configErrors, snapshot } = state;
  // Work scheduled by someone not allowed to leaves the board (label removed, told why).
  await refuseUnauthorizedScheduling(port, snapshot, config, {
    botLogin: ctx.botLogin,
    now,
    dryRun: ctx.dryRun,
    log: ctx.log,
    facts: configCache.facts,
  });
  // Every decision of the pass is the core's (`planPass`): abandons of closed issues, the
  // plan, repairs of escalations, the mirror.
  const escalatedShown = new Set(
    [...snapshot.github.labels]
      .filter(([, labels]) => labels.includes(config.labels.escalated))
      .map(([id]) => id),
  );
  const decide = () =>
    planPass(snapshot.board, config, now, {
      closedByPerson: snapshot.github.closedByPerson,
      escalatedShown,
      mirror: {
        digest: digestOf,
        ...(snapshot.github.mirrorDigest ? { lastDigest: snapshot.github.mirrorDigest } : {}),
        ...(snapshot.github.mirrorAt ? { lastWrittenAt: snapshot.github.mirrorAt } : {}),
        coalesceMinutes: MIRROR_COALESCE_MINUTES,
      },
    });
  let decided = decide();
  // Pre-flight costs requests (and HTTP checks): only when the plan wants to dispatch.
  let preflight = snapshot.github.lastPreflight;
  if (decided.plan.effects.some((e) => e.type === "dispatch")) {
    const checked = await checkPreflight(port, config, snapshot.github.baseBranch, ctx.fetch, () =>
      baseState(port, state, snapshot.github.baseBranch, configCache),
    );
    snapshot.board.preflight = checked;
    preflight = checked;
    decided = decide();
  }
  const thePlan = decided.plan;
  const board = structuredClone(snapshot.board);
  const effects = decided.effects;
  const mirrorWrite = decided.mirrorWrite;
  let mirrorDigest = decided.mirrorDigest ?? snapshot.github.mirrorDigest;
  let mirrorAt = snapshot.github.mirrorAt;

  const knownHeads = new Map<string, string>();
  if (state.configSha) knownHeads.set(state.defaultBranch, state.configSha);
  const execution = await executeEffects(port, snapshot, effects, {
    dryRun: ctx.dryRun,
    log: ctx.log,
    config,
    now,
    knownHeads,
    deferRepoMemory: true,
    branchesDeletedOnMerge: state.branch.deleteBranchOnMerge,
  });
  for (const c of execution.commits)
    if (c.branch === state.defaultBranch) configCache.ownCommit(c.sha, c.parent, c.files);
  if (execution.merged.length > 0) await warmMergeable(port, snapshot, execution.merged);
  const mirrorFailed = mirrorWrite !== undefined && !isApplied(execution, mirrorWrite);
  if (mirrorFailed) mirrorDigest = snapshot.github.mirrorDigest;
  else if (mirrorWrite !== undefined) mirrorAt = now.toISOString();

  if (!ctx.dryRun) {
    const dashboardState: DashboardState = {
      memory: snapshot.board.repoMemory,
      ...(mirrorDigest ? { mirror: mirrorDigest } : {}),
      ...(mirrorAt ? { mirrorAt } : {}),
      ...(preflight ? { preflight } : {}),
    };
    const boardLabel = config.labels.board;
    await writeDashboard(
      port,
      snapshot,
      thePlan,
      configErrors,
      dashboardState,
      boardLabel,
      ctx.log,
    ).catch((e: unknown) => {
      execution.failed ??= { effect: "update the dashboard", error: errorText(e) };
      ctx.log(`failed: update the dashboard: ${errorText(e)}`);
    });
    if (configErrors.length > 0)
      await reportConfigCheck(port, state.configSha, configErrors).catch((e: unknown) =>
        ctx.log(`failed: config check run: ${errorText(e)}`),
      );
  }

  return {
    repo: `${ctx.owner}/${ctx.repo}`,
    config,
    configErrors,
    board,
    plan: thePlan,
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

/** Creates the dashboard issue once (when there is anything to show), then edits it in place. */
async function writeDashboard(
  port: GitHubPort,
  snapshot: Snapshot,
  thePlan: Plan,
  configErrors: string[],
  state: DashboardState,
  boardLabel: string,
  log: (line: string) => void,
): Promise<void> {
  const { board, github } = snapshot;
  const body = formatDashboard({
    board: { ...board, tasks: board.tasks.filter((t) => !github.closed.has(t.id)) },
    plan: thePlan,
    configErrors,
    state,
    ...(github.dashboard ? { previous: github.dashboard.body } : {}),
  });
  if (github.dashboard) {
    const closed = github.dashboard.closed === true;
    if (github.dashboard.body === body && !closed) return;
    // Someone closed it: it holds the repository's state (pause, mirror), so it reopens.
    await port.updateIssue(github.dashboard.number, { body, ...(closed ? { state: "open" } : {}) });
    github.dashboard = { number: github.dashboard.number, body };
    if (closed) log(`reopened the dashboard issue #${github.dashboard.number}`);
    return;
  }
  const worthShowing = board.tasks.length > 0 || configErrors.length > 0 || board.repoMemory.paused;
  if (!worthShowing) return;
  const created = await port.createIssue(DASHBOARD_TITLE, body, [boardLabel]);
  github.dashboard = { number: created.number, body };
  log(`created the dashboard issue #${created.number}`);
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
    if (!pr || pr.merged || pr.closed || merged.includes(pr.number)) continue;
    if (WARMED.has(task.stage)) numbers.push(pr.number);
  }
  if (numbers.length > 0) await port.getPulls(numbers).catch(() => undefined);
}

/** A failing check run on the commit whose config is invalid, once per commit. */
async function reportConfigCheck(port: GitHubPort, sha: string, errors: string[]): Promise<void> {
  if (!sha) return;
  const name = "Conveyor config";
  const existing = await port.listCheckRuns(sha);
  if (existing.some((c) => c.name === name)) return;
  await port.createCheckRun({
    name,
    headSha: sha,
    status: "completed",
    conclusion: "failure",
    title: `${CONFIG_PATH} is invalid (${errors.length} ${errors.length === 1 ? "problem" : "problems"})`,
    summary: errors.map((e) => `- ${e}`).join("\n"),
  });
}

function isApplied(report: ExecutionReport, effect: Effect): boolean {
  if (effect.type !== "write-mirror") return false;
  const line = `write mirror: ${Object.keys(effect.files).sort().join(", ")}`;
  return report.applied.includes(line) || report.skipped.includes(line);
}

/** A short digest of the tracking files (kept in the dashboard marker). */
export function digestOf(files: Record<string, string>): string {
  const hash = createHash("sha256");
  for (const key of Object.keys(files).sort()) hash.update(`${key}\0${files[key]}\0`);
  return hash.digest("hex").slice(0, 16);
}
