/**
 * Read, then interpret: the pure half of loading a GitHub board. `fetchFacts`
 * (`fetch-facts.ts`) reads GitHub into the plain `GitHubFacts` below; `interpretFacts` turns
 * them into the board and the GitHub-side state the executor needs. Nothing here does I/O
 * (Biome enforces it): every rule is tested with tables of plain fixtures.
 *
 * The few rules that say WHAT to read (which PRs to look for, since when to list runs, which
 * PRs are on their way to the merge) live here too, so the fetcher asks these functions
 * instead of deciding anything itself.
 */
import { decideActor, isBot } from "../core/actor-permission.js";
import {
  type AgentResult,
  type Board,
  emptyMemory,
  emptyRepoMemory,
  type PreflightResult,
  type RepoMemory,
  type RunInfo,
  type Stage,
  type Task,
  type TaskMemory,
} from "../core/board.js";
import { type Config, priorityFromLabels, ROLES } from "../core/config.js";
import { parseLocations } from "../core/locations.js";
import { readMarker, resultHeader } from "../core/markers.js";
import { type StageLabels, stageFrom, stageLabels } from "../core/stage-labels.js";
import { STICKY_RESULTS_HEADER, stickyEntries } from "../core/sticky-results.js";
import { ESCALATION_HEADER } from "./format-escalation.js";
import { STATUS_HEADER } from "./format-status-comment.js";
import {
  correlationFromTitle,
  DASHBOARD_TITLE,
  type GhComment,
  type GhIssue,
  type GhPull,
  type GhPullDetail,
  type GhReview,
  type GhRun,
  type Permission,
  type TrackedIssues,
} from "./port.js";

/** Everything a pass reads from GitHub to know the board: plain data, no client. */
export interface GitHubFacts {
  owner: string;
  repo: string;
  botLogin: string;
  /** Branch PRs target. */
  baseBranch: string;
  /** The repository's default branch. */
  defaultBranch: string;
  /** Issues with a stage label (open, and closed ones of work under way) and the board's. */
  tracked: TrackedIssues;
  /** Comments of the tracked issues (and of repository PRs in the same window). */
  comments: GhComment[];
  /** The open PRs, listed only when links cannot serve (see `needsOpenPulls`); else []. */
  openPulls: GhPull[];
  /** PRs read by number: named by a task agent's result but neither linked nor listed. */
  namedPulls: Map<number, GhPull>;
  /** Runs of the agent workflow since the oldest one that may matter ([] when none can). */
  runs: GhRun[];
  /** What the merge needs of each PR on its way to the merge (see `headedToMerge`). */
  merging: Map<number, MergeFacts>;
  /** Authors whose result comments count (the config's plus the caller's). */
  resultAuthors: string[];
  /** Config errors to put on the board. */
  configErrors: string[];
}

/** A PR on its way to the merge, read fresh. */
export interface MergeFacts {
  /** The PR as read now (mergeable, head, merged); undefined when the read missed it. */
  pull?: GhPullDetail;
  /** Files the PR changes at that head. */
  files: string[];
  /** Its reviews, read only when it changes a protected path. */
  reviews?: GhReview[];
  /** Permission of each person whose approval of the head counts (see `approversOf`). */
  permissions: Record<string, Permission>;
  /** What the base changed since the commit the tests ran on (read when that is known). */
  baseDrift?: string[];
}

/** GitHub-side facts the executor needs besides the board (ids, current labels). */
export interface GitHubState {
  owner: string;
  repo: string;
  botLogin: string;
  /** Branch PRs target. */
  baseBranch: string;
  /** The repository's default branch: where the agent workflow is dispatched from. */
  defaultBranch: string;
  /** Current labels of each task's issue (the executor keeps them up to date). */
  labels: Map<string, string[]>;
  /** Issues already closed during this pass. */
  closed: Set<string>;
  /** The bot's status comment per task. */
  statusComments: Map<string, { id: number; body: string }>;
  /** Labels of each task's PR. */
  pullLabels: Map<number, string[]>;
  /** The dashboard issue; `closed` when someone closed it (the next write reopens it). */
  dashboard?: { number: number; body: string; closed?: boolean };
  /** Digest of the mirror content last written (kept in the dashboard marker). */
  mirrorDigest?: string;
  /** When the mirror was last written (the dashboard's marker), if known. */
  mirrorAt?: string;
  /** When the dashboard's body last changed (its marker), if known. */
  dashboardAt?: string;
  /** Pre-flight results of an earlier pass (kept in the dashboard marker). */
  lastPreflight?: PreflightResult[];
  /** When the bot posted escalation comments, per task (so a repair does not post twice). */
  escalationNotices: Map<string, string[]>;
  /**
   * Who added the todo label of each issue (the last time), from its timeline; "" when the
   * timeline was read but no longer shows it. Absent when the read gives no timeline.
   */
  scheduledBy: Map<string, string>;
  /**
   * Who added each stage label an issue carries (the last time), from its timeline; "" when
   * the timeline no longer shows it. Absent when the read gives no timeline.
   */
  stageLabeledBy: Map<string, { label: string; by: string; at?: string }[]>;
  /**
   * Tasks whose PR someone put in the merge queue by hand (the PR has the label, the issue
   * is still in review or testing): the PR and the stage the issue is in.
   */
  queuedByHand: Map<string, { pr: number; stage: Stage }>;
  /** Tasks whose issue a person closed while work was under way (no PR of it merged). */
  closedByPerson: Set<string>;
}

export interface Snapshot {
  board: Board;
  github: GitHubState;
}

/** What the dashboard marker holds. */
export interface DashboardState {
  memory: RepoMemory;
  /** Digest of the tracking files last written. */
  mirror?: string;
  /** When the tracking files were last written (ISO), for coalescing mirror commits. */
  mirrorAt?: string;
  /** When the dashboard's body last changed (ISO), for coalescing its edits. */
  dashboardAt?: string;
  /** The last pre-flight results (shown until checked again). */
  preflight?: PreflightResult[];
}

/** The Actions bot: agent runs publish their results with the workflow's token. */
export const ACTIONS_BOT = "github-actions[bot]";

/** Paths an agent PR may change only with the config's leave and a maintainer's approval. */
export const isProtectedPath = (path: string): boolean => path.startsWith(".github/");

/** `conveyor/<issue>-<slug>` or `conveyor/<issue>`. */
export const isTaskBranch = (branch: string, id: string): boolean =>
  branch === `conveyor/${id}` || branch.startsWith(`conveyor/${id}-`);

// --- the issues -----------------------------------------------------------------------

/** The tasks' issues, the closed ones among them, and the dashboard issue. */
export interface TrackedView {
  /** Open issues with a stage label, then closed ones with a label of work under way. */
  tasks: GhIssue[];
  /**
   * Closed issues still carrying a stage label of work under way: GitHub closed them when a
   * linked PR merged (by hand, in the UI): done, the plan finishes the move; or a person
   * closed them (no PR of theirs merged): the work is abandoned (see `closedByPerson`).
   */
  closedUnderWay: GhIssue[];
  /**
   * The dashboard: the oldest issue the bot opened with the board label (open or closed: a
   * closed one still holds the pause and the mirror digest; the next write reopens it).
   */
  dashboard?: GhIssue;
}

export function trackedView(
  read: TrackedIssues,
  stageOf: StageLabels,
  botLogin: string,
): TrackedView {
  const closedUnderWay = (read.closed ?? []).filter((i) => stageFrom(i.labels, stageOf));
  const tasks = [
    ...read.issues.filter((i) => !i.isPullRequest && stageFrom(i.labels, stageOf)),
    ...closedUnderWay,
  ];
  const dashboard = read.boards.find(
    (i) => !i.isPullRequest && i.title === DASHBOARD_TITLE && i.author === botLogin,
  );
  return { tasks, closedUnderWay, ...(dashboard ? { dashboard } : {}) };
}

// --- the comments ---------------------------------------------------------------------

/** What the comments say: memory per task, escalation notices, agents' results. */
export interface CommentView {
  memories: Map<string, TaskMemory>;
  statusComments: Map<string, { id: number; body: string }>;
  escalationNotices: Map<string, string[]>;
  /**
   * Well-formed results by trusted authors (not yet matched to their runs). `sticky`: an
   * entry of a quiet-mode result comment (edited in place), with the run that published it.
   */
  results: {
    comment: GhComment;
    result: AgentResult;
    sticky?: { runId: string; publishedAt: string };
  }[];
}

export function commentView(
  comments: readonly GhComment[],
  botLogin: string,
  trusted: ReadonlySet<string>,
): CommentView {
  // Memory: the bot's one status comment per issue (first one wins). Only a comment that is
  // a status comment counts: an agent's result comment (same author in Actions mode) quotes
  // the agent's own words, which could hold a look-alike marker.
  const memories = new Map<string, TaskMemory>();
  const statusComments = new Map<string, { id: number; body: string }>();
  const escalationNotices = new Map<string, string[]>();
  for (const c of comments) {
    if (c.author !== botLogin) continue;
    const id = String(c.issue);
    if (c.body.startsWith(ESCALATION_HEADER))
      escalationNotices.set(id, [...(escalationNotices.get(id) ?? []), c.createdAt]);
    if (memories.has(id) || !c.body.startsWith(`${STATUS_HEADER}\n`)) continue;
    const value = readMarker("state", c.body);
    const memory = value === undefined ? undefined : asMemory(value);
    if (!memory) continue;
    memories.set(id, memory);
    statusComments.set(id, { id: c.id, body: c.body });
  }
  const results = comments
    .filter((c) => trusted.has(c.author))
    .flatMap((c) => [...resultOf(c), ...stickyResultsOf(c)]);
  return { memories, statusComments, escalationNotices, results };
}

/** Authors whose results count: the config's `agent.resultAuthors` and the caller's. */
export const trustedAuthors = (config: Config, extra: readonly string[] = []): Set<string> =>
  new Set([...config.agent.resultAuthors, ...extra]);

// --- the pull requests ----------------------------------------------------------------

/** The PR a task agent's result names for a task, if any. */
const namedPull = (view: CommentView, id: string): number | undefined =>
  view.results.find((r) => taskOfResult(r.result) === id && r.result.pr)?.result.pr;

/**
 * Whether the list of open PRs is needed: the links GitHub keeps ("Closes #N" in a PR into
 * the default branch) cannot serve (another base branch, or a read without links), or a
 * task past in-progress has a PR found neither by link nor by a result (a link edited away,
 * a result comment lost): it is looked for by branch name.
 */
export function needsOpenPulls(
  issues: TrackedView,
  comments: CommentView,
  stageOf: StageLabels,
  linksServe: boolean,
): boolean {
  const lost = (i: GhIssue) =>
    stageFrom(i.labels, stageOf) !== "in-progress" &&
    namedPull(comments, String(i.number)) === undefined &&
    !(i.linkedPulls ?? []).some((p) => isTaskBranch(p.headRef, String(i.number)));
  return underWay(issues, stageOf).some(
    (i) => !linksServe || i.linkedPulls === undefined || lost(i),
  );
}

const underWay = (issues: TrackedView, stageOf: StageLabels) =>
  issues.tasks.filter((i) => stageFrom(i.labels, stageOf) !== "todo");

/**
 * The candidates for a task's PR: linked ones (the one a result names, one on the task's
 * branch, or any when the issue is closed), then the listed open ones. A PR from a fork is
 * never a task's PR, whatever its branch is called or links to: its head is not ours to
 * push to, test or merge on an outsider's word.
 */
function candidatesOf(issue: GhIssue, hinted: number | undefined, openPulls: readonly GhPull[]) {
  const id = String(issue.number);
  const linked = (issue.linkedPulls ?? []).filter(
    (p) =>
      !p.fromFork &&
      (p.number === hinted || isTaskBranch(p.headRef, id) || issue.state === "closed"),
  );
  return [
    ...linked,
    ...openPulls.filter((p) => !p.fromFork && !linked.some((l) => l.number === p.number)),
  ];
}

/** PRs named by results but neither linked nor listed (merged, closed, link edited away). */
export function unseenPulls(
  issues: TrackedView,
  comments: CommentView,
  stageOf: StageLabels,
  openPulls: readonly GhPull[],
): number[] {
  const out: number[] = [];
  for (const issue of underWay(issues, stageOf)) {
    const pr = namedPull(comments, String(issue.number));
    if (pr !== undefined && !candidatesOf(issue, pr, openPulls).some((p) => p.number === pr))
      out.push(pr);
  }
  return out;
}

/**
 * The PR of each task: the one its result names, else an open one on its branch, else a
 * merged one, else any on its branch.
 */
export function pullsOfTasks(
  issues: TrackedView,
  comments: CommentView,
  openPulls: readonly GhPull[],
  namedPulls: ReadonlyMap<number, GhPull>,
): Map<string, GhPull> {
  const pullOf = new Map<string, GhPull>();
  for (const issue of issues.tasks) {
    const id = String(issue.number);
    const hinted = namedPull(comments, id);
    const hintedPull = hinted !== undefined ? namedPulls.get(hinted) : undefined;
    const candidates = [
      ...candidatesOf(issue, hinted, openPulls),
      ...(hintedPull && !hintedPull.fromFork ? [hintedPull] : []),
    ];
    const pull =
      candidates.find((p) => hinted !== undefined && p.number === hinted) ??
      candidates.find((p) => p.state === "open" && isTaskBranch(p.headRef, id)) ??
      candidates.find((p) => p.merged) ??
      candidates.find((p) => isTaskBranch(p.headRef, id));
    if (pull) pullOf.set(id, pull);
  }
  return pullOf;
}

// --- the runs and results -------------------------------------------------------------

/** When the oldest run that may still matter was dispatched; undefined: no run in flight. */
export function runsSince(
  issues: TrackedView,
  comments: CommentView,
  stageOf: StageLabels,
  config: Config,
  now: Date,
): string | undefined {
  // A run being cancelled was created before the cancel: as long before as the longest
  // timeout plus the start grace.
  const r = config.roles;
  const longest =
    Math.max(r.task.timeoutMinutes, r.reviewer.timeoutMinutes, r.tester.timeoutMinutes) +
    config.guards.startGraceMinutes;
  const times = [...comments.memories.values()].flatMap((m) => [
    ...(m.run ? [m.run.dispatchedAt] : []),
    ...(m.cancelling ?? []).map((c) => new Date(Date.parse(c.at) - longest * 60_000).toISOString()),
  ]);
  const inFlight = issues.tasks.some((i) => {
    const s = stageFrom(i.labels, stageOf);
    return s === "in-progress" || s === "review" || s === "testing";
  });
  if (times.length === 0 && !inFlight) return undefined;
  const oldest = times.sort()[0];
  // A margin for clock skew between the dispatcher and GitHub; in-flight tasks without a
  // remembered run still get the last hour listed (a dispatch whose memory write failed).
  let base = oldest ? Date.parse(oldest) : now.getTime() - 3_600_000;
  // The dashboard may have skipped passes since it was last written (`planPass` coalesces
  // routine changes): the runs that ended since then go into its chart, and a result only
  // counts with its run listed. Such a run was created at most the longest timeout before
  // that write; a write older than three hours extends the window no further.
  const shownAt = issues.dashboard ? readDashboard(issues.dashboard.body)?.dashboardAt : undefined;
  if (shownAt) {
    const from = Math.max(Date.parse(shownAt) - longest * 60_000, now.getTime() - 3 * 3_600_000);
    base = Math.min(base, from);
  }
  return new Date(base - 5 * 60_000).toISOString();
}

/**
 * Runs a remembered cancel names by id that the listing did not return: created before the
 * listed window (the cancel was planned long after the dispatch, e.g. passes stopped for a
 * while). They are read by id, or the planner would take them for ended and never
 * force-cancel them.
 */
export function unlistedRuns(comments: CommentView, listed: readonly GhRun[]): number[] {
  const seen = new Set(listed.map((r) => correlationFromTitle(r.title)));
  const ids = [...comments.memories.values()].flatMap((m) =>
    (m.cancelling ?? []).flatMap((c) =>
      c.runId !== undefined && !seen.has(c.correlationId) ? [Number(c.runId)] : [],
    ),
  );
  return [...new Set(ids)].filter((id) => Number.isSafeInteger(id) && id > 0);
}

/** The agent runs by correlation id (the newest run of each), with when each was created. */
export function runsByCorrelation(runs: readonly GhRun[]): {
  runs: Record<string, RunInfo>;
  created: Map<string, string>;
} {
  const out: Record<string, RunInfo> = {};
  const created = new Map<string, string>();
  for (const r of runs) {
    const cid = correlationFromTitle(r.title);
    if (!cid || out[cid]) continue;
    out[cid] = {
      correlationId: cid,
      runId: String(r.id),
      status:
        r.status === "completed"
          ? "completed"
          : r.status === "in_progress"
            ? "in_progress"
            : "queued",
      ...(r.status === "completed" ? { conclusion: conclusionOf(r.conclusion) } : {}),
      ...(r.startedAt && r.status !== "queued" ? { startedAt: r.startedAt } : {}),
      url: r.url,
    };
    created.set(cid, r.createdAt);
  }
  return { runs: out, created };
}

/** Tolerated difference between GitHub's clocks (run creation vs comment creation). */
const CLOCK_SKEW_MS = 60_000;

/**
 * The results that count: only on the task's own issue or PR, and only written after their
 * run was created (a result published ahead of its run is a forgery). The first one wins.
 * An entry of a sticky (quiet-mode) comment is bound to its run instead of the comment's
 * creation, which an edit keeps: it counts only when the Actions run it names is the run of
 * its correlation id (`runs`; without them no sticky entry counts), and when both its
 * publication and the comment's last edit are not older than that run.
 */
export function resultsOfRuns(
  comments: CommentView,
  taskIds: ReadonlySet<string>,
  pullOf: ReadonlyMap<string, GhPull>,
  runCreated: ReadonlyMap<string, string>,
  runs: Readonly<Record<string, RunInfo>> = {},
): Record<string, AgentResult> {
  const taskOfPull = new Map([...pullOf].map(([id, p]) => [p.number, id]));
  const results: Record<string, AgentResult> = {};
  for (const { comment, result, sticky } of comments.results) {
    const owner = taskOfResult(result);
    if (owner === undefined || !taskIds.has(owner)) continue;
    if (String(comment.issue) !== owner && taskOfPull.get(comment.issue) !== owner) continue;
    const created = runCreated.get(result.correlationId);
    if (created === undefined) continue;
    const notBefore = Date.parse(created) - CLOCK_SKEW_MS;
    if (sticky) {
      const runId = runs[result.correlationId]?.runId;
      if (runId === undefined || sticky.runId !== runId) continue;
      if (!(Date.parse(sticky.publishedAt) >= notBefore)) continue;
      if (!(Date.parse(comment.updatedAt) >= notBefore)) continue;
    } else if (Date.parse(comment.createdAt) < notBefore) continue;
    results[result.correlationId] ??= result;
  }
  return results;
}

// --- the merge ------------------------------------------------------------------------

/**
 * The PRs on their way to the merge, with the base their tests ran on ("" when unknown):
 * the open PR of a task in the merge queue (by label, or its PR queued by hand), and of a
 * task in testing whose tester published a passing result for the PR's current head (so a
 * pass that queues it can merge it at once). A fact about GitHub, not a guess at the plan.
 */
export function headedToMerge(
  issues: TrackedView,
  comments: CommentView,
  pullOf: ReadonlyMap<string, GhPull>,
  results: Record<string, AgentResult>,
  config: Config,
): Map<number, string> {
  const stageOf = stageLabels(config);
  const out = new Map<number, string>();
  for (const issue of issues.tasks) {
    const id = String(issue.number);
    const pull = pullOf.get(id);
    if (pull?.state !== "open") continue;
    const stage = stageFrom(issue.labels, stageOf);
    const memory = comments.memories.get(id) ?? emptyMemory();
    const byHand = isQueuedByHand(pull, stage, config);
    const tested = memory.verdicts.test;
    if (stage === "merge-queue" || (byHand && tested?.value === "pass")) {
      out.set(pull.number, tested?.baseSha ?? "");
      continue;
    }
    if (stage !== "testing" && !byHand) continue;
    const run = memory.run;
    const result = run?.role === "tester" ? results[run.correlationId] : undefined;
    if (result?.role !== "tester" || result.outcome !== "ok" || result.passed !== true) continue;
    if ((result.headSha ?? pull.headSha) !== pull.headSha) continue;
    out.set(pull.number, result.baseSha ?? "");
  }
  return out;
}

const isQueuedByHand = (pull: GhPull, stage: Stage | undefined, config: Config): boolean =>
  pull.labels.includes(config.labels.mergeQueue) && (stage === "review" || stage === "testing");

/**
 * The reviewers whose approval of the PR's head may count (each one's last review that is
 * not a comment is an approval of that head): whose permission to read.
 */
export function approversOf(reviews: readonly GhReview[], headSha: string): string[] {
  const last = new Map<string, GhReview>();
  for (const r of reviews)
    if (r.state !== "COMMENTED" && r.state !== "PENDING") last.set(r.author, r);
  return [...last.values()]
    .filter((r) => r.state === "APPROVED" && r.commitId === headSha && r.author)
    .map((r) => r.author);
}

/** Whether someone allowed to schedule work approved the PR's current head. */
export function approvedByMaintainer(
  merge: Pick<MergeFacts, "reviews" | "permissions">,
  headSha: string,
  config: Config,
): boolean {
  return approversOf(merge.reviews ?? [], headSha).some((login) => {
    const actor = { login };
    const level = isBot(actor) ? undefined : merge.permissions[login];
    return decideActor(actor, level, config).allowed;
  });
}

// --- the board ------------------------------------------------------------------------

/** The board and the GitHub-side state, from the facts. Pure. */
export function interpretFacts(facts: GitHubFacts, config: Config): Snapshot {
  const stageOf = stageLabels(config);
  const issues = trackedView(facts.tracked, stageOf, facts.botLogin);
  const said = commentView(
    facts.comments,
    facts.botLogin,
    trustedAuthors(config, facts.resultAuthors),
  );
  const pullOf = pullsOfTasks(issues, said, facts.openPulls, facts.namedPulls);
  const { runs, created } = runsByCorrelation(facts.runs);
  const taskIds = new Set(issues.tasks.map((i) => String(i.number)));
  const results = resultsOfRuns(said, taskIds, pullOf, created, runs);
  const dashboard = issues.dashboard ? readDashboard(issues.dashboard.body) : undefined;

  const github: GitHubState = {
    owner: facts.owner,
    repo: facts.repo,
    botLogin: facts.botLogin,
    baseBranch: facts.baseBranch,
    defaultBranch: facts.defaultBranch,
    labels: new Map(issues.tasks.map((i) => [String(i.number), [...i.labels]])),
    closed: new Set(issues.closedUnderWay.map((i) => String(i.number))),
    statusComments: said.statusComments,
    pullLabels: new Map(),
    escalationNotices: said.escalationNotices,
    scheduledBy: new Map(),
    stageLabeledBy: new Map(),
    queuedByHand: new Map(),
    closedByPerson: new Set(
      issues.closedUnderWay
        .filter((i) => !pullOf.get(String(i.number))?.merged)
        .map((i) => String(i.number)),
    ),
  };
  for (const i of issues.tasks) {
    if (!i.labeled) continue;
    const id = String(i.number);
    github.scheduledBy.set(id, i.labeled.find((l) => l.label === config.labels.todo)?.by ?? "");
    github.stageLabeledBy.set(
      id,
      i.labels
        .filter((l) => stageOf.has(l))
        .map((label) => {
          const event = i.labeled?.find((l) => l.label === label);
          return { label, by: event?.by ?? "", ...(event?.at ? { at: event.at } : {}) };
        }),
    );
  }
  if (issues.dashboard)
    github.dashboard = {
      number: issues.dashboard.number,
      body: issues.dashboard.body,
      ...(issues.dashboard.state === "closed" ? { closed: true } : {}),
    };
  if (dashboard?.mirror) github.mirrorDigest = dashboard.mirror;
  if (dashboard?.mirrorAt) github.mirrorAt = dashboard.mirrorAt;
  if (dashboard?.dashboardAt) github.dashboardAt = dashboard.dashboardAt;
  if (dashboard?.preflight) github.lastPreflight = dashboard.preflight;

  const tasks: Task[] = issues.tasks.map((issue) => {
    const id = String(issue.number);
    const stage = stageFrom(issue.labels, stageOf)!;
    const task: Task = {
      id,
      title: issue.title,
      body: issue.body,
      priority: priorityFromLabels(config, issue.labels),
      stage,
      // Waiting order: since the task was scheduled (its todo label added), not since the
      // issue was opened (an old issue labelled today queues behind yesterday's).
      createdAt: issue.labeled?.find((l) => l.label === config.labels.todo)?.at ?? issue.createdAt,
      locations: parseLocations(issue.body),
      memory: said.memories.get(id) ?? emptyMemory(),
    };
    const pull = pullOf.get(id);
    if (!pull) return task;
    task.branch = pull.headRef;
    github.pullLabels.set(pull.number, [...pull.labels]);
    if (isQueuedByHand(pull, stage, config)) {
      task.stage = "merge-queue"; // a maintainer queued the PR by hand
      github.queuedByHand.set(id, { pr: pull.number, stage });
    }
    const pr: NonNullable<Task["pr"]> = {
      number: pull.number,
      headSha: pull.headSha,
      branch: pull.headRef,
      changedFiles: [],
      merged: pull.merged,
      mergeable: pull.mergeable,
      ...(pull.state === "closed" && !pull.merged ? { closed: true } : {}),
    };
    const merge = facts.merging.get(pull.number);
    if (merge?.pull) {
      pr.mergeable = merge.pull.mergeable;
      pr.headSha = merge.pull.headSha;
      pr.merged = merge.pull.merged;
      pr.changedFiles = [...merge.files];
      // Security: a PR changing `.github/**` merges only with a maintainer's approval of
      // its current head (and only when the config allows such changes at all).
      if (pr.changedFiles.some(isProtectedPath)) {
        pr.touchesProtectedPaths = true;
        pr.maintainerApproved = approvedByMaintainer(merge, pr.headSha, config);
      }
      if (merge.baseDrift) pr.baseDrift = [...merge.baseDrift];
    }
    task.pr = pr;
    return task;
  });

  const board: Board = {
    repo: `${facts.owner}/${facts.repo}`,
    tasks,
    runs,
    results,
    // Pre-flight is checked only when the plan wants to dispatch.
    preflight: [],
    repoMemory: dashboard?.memory ?? emptyRepoMemory(),
  };
  if (facts.configErrors.length > 0) board.configErrors = [...facts.configErrors];
  return { board, github };
}

// --- markers --------------------------------------------------------------------------

/** The dashboard marker's state; undefined when it holds none. */
export function readDashboard(body: string): DashboardState | undefined {
  const value = readMarker("board", body);
  if (!isObject(value) || !isObject(value.memory)) return undefined;
  const m = value.memory;
  const memory: RepoMemory = {
    paused: m.paused === true,
    dispatches: Array.isArray(m.dispatches)
      ? m.dispatches.filter((d) => typeof d === "string")
      : [],
  };
  if (typeof m.pausedReason === "string") memory.pausedReason = m.pausedReason;
  if (isObject(m.accepted)) {
    const accepted = Object.fromEntries(
      Object.entries(m.accepted).filter(([, v]) => typeof v === "string"),
    ) as Record<string, string>;
    if (Object.keys(accepted).length > 0) memory.accepted = accepted;
  }
  const preflight = Array.isArray(value.preflight)
    ? value.preflight.filter(
        (p): p is PreflightResult =>
          isObject(p) &&
          typeof p.name === "string" &&
          typeof p.ok === "boolean" &&
          typeof p.detail === "string",
      )
    : undefined;
  return {
    memory,
    ...(typeof value.mirror === "string" ? { mirror: value.mirror } : {}),
    ...(typeof value.mirrorAt === "string" && !Number.isNaN(Date.parse(value.mirrorAt))
      ? { mirrorAt: value.mirrorAt }
      : {}),
    ...(typeof value.dashboardAt === "string" && !Number.isNaN(Date.parse(value.dashboardAt))
      ? { dashboardAt: value.dashboardAt }
      : {}),
    ...(preflight ? { preflight } : {}),
  };
}

/** A marker value shaped like task memory, completed with defaults; else undefined. */
function asMemory(value: unknown): TaskMemory | undefined {
  if (!isObject(value)) return undefined;
  const base = emptyMemory();
  const attempts = isObject(value.attempts) ? value.attempts : {};
  const num = (v: unknown, d: number) => (typeof v === "number" && Number.isFinite(v) ? v : d);
  return {
    ...(value as Partial<TaskMemory>),
    attempts: {
      task: num(attempts.task, 0),
      reviewer: num(attempts.reviewer, 0),
      tester: num(attempts.tester, 0),
      merge: num(attempts.merge, 0),
    },
    runs: num(value.runs, 0),
    handled: Array.isArray(value.handled) ? value.handled.filter((h) => typeof h === "string") : [],
    verdicts: isObject(value.verdicts) ? (value.verdicts as TaskMemory["verdicts"]) : base.verdicts,
    tokens: num(value.tokens, 0),
    costUsd: num(value.costUsd, 0),
  };
}

/**
 * The result of an agent's result comment: its first line is the role's fixed header, its
 * last line the marker (see `renderResultComment`); a marker anywhere else is never read.
 */
function resultOf(comment: GhComment): { comment: GhComment; result: AgentResult }[] {
  const value = readMarker("result", comment.body);
  if (!isObject(value)) return [];
  const { correlationId, role, outcome, summary } = value;
  if (typeof correlationId !== "string" || typeof summary !== "string") return [];
  if (!(ROLES as readonly unknown[]).includes(role)) return [];
  if (!comment.body.startsWith(resultHeader(role as AgentResult["role"]))) return [];
  if (outcome !== "ok" && outcome !== "failed" && outcome !== "incomplete") return [];
  return [{ comment, result: value as unknown as AgentResult }];
}

/**
 * The entries of a quiet-mode result comment (see `sticky-results.ts`): its first line is the
 * fixed header, its last line the marker; each entry well-formed like a result comment's.
 */
function stickyResultsOf(comment: GhComment): CommentView["results"] {
  if (!comment.body.startsWith(`${STICKY_RESULTS_HEADER}\n`)) return [];
  const entries = stickyEntries(readMarker("results", comment.body)) ?? [];
  return entries.flatMap((e) =>
    wellFormed(e.result)
      ? [{ comment, result: e.result, sticky: { runId: e.runId, publishedAt: e.publishedAt } }]
      : [],
  );
}

function wellFormed(value: unknown): value is AgentResult {
  if (!isObject(value)) return false;
  const { correlationId, role, outcome, summary } = value;
  if (typeof correlationId !== "string" || typeof summary !== "string") return false;
  if (!(ROLES as readonly unknown[]).includes(role)) return false;
  return outcome === "ok" || outcome === "failed" || outcome === "incomplete";
}

/** The task a correlation id belongs to: its first segment. */
const taskOfResult = (r: AgentResult): string | undefined => r.correlationId.split("/")[0];

function conclusionOf(c: string | null): RunInfo["conclusion"] {
  switch (c) {
    case "success":
    case "failure":
    case "cancelled":
    case "timed_out":
    case "skipped":
      return c;
    case null:
      return null;
    default:
      return "failure";
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
