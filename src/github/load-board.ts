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
import { ESCALATION_HEADER } from "./format-escalation.js";
import { STATUS_HEADER } from "./format-status-comment.js";
import { trackedLabels } from "./load-repo-config.js";
import {
  AGENT_WORKFLOW,
  correlationFromTitle,
  DASHBOARD_TITLE,
  type DefaultBranchRead,
  type GhComment,
  type GhIssue,
  type GhPull,
  type GhReview,
  type GitHubPort,
  type RefState,
  type TrackedIssues,
} from "./port.js";

/** The Actions bot: agent runs publish their results with the workflow's token. */
export const ACTIONS_BOT = "github-actions[bot]";

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
  stageLabeledBy: Map<string, { label: string; by: string }[]>;
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
  /** The last pre-flight results (shown until checked again). */
  preflight?: PreflightResult[];
}

export interface LoadOptions {
  botLogin: string;
  /** Base branch when the config does not name one (the repository's default branch). */
  defaultBranch: string;
  /** Checks an HTTP readiness URL; injectable for tests. Default: global fetch. */
  fetch?: typeof fetch;
  /** Config errors to put on the board (nothing is dispatched while there are any). */
  configErrors?: string[];
  /**
   * Who may publish agent results besides `agent.resultAuthors` of the config (the
   * identities the agent workflow publishes as): the GitHub App adds its own identity. The
   * orchestrator's login is not trusted for results by itself.
   */
  resultAuthors?: string[];
  /** The tracked issues when already read (with the default branch, in the same request). */
  tracked?: TrackedIssues;
  /** Comments kept between passes (see `CommentSync`; `ConfigCache.comments`). */
  comments?: CommentSync;
  /** Head commit of the base branch, when known (lets base-drift reads be memoized). */
  baseHeadSha?: string;
  /**
   * Memo of facts that never change (files of a PR at a head commit, files changed between
   * two commits), kept across passes by the caller; see `ConfigCache.facts`.
   */
  facts?: Map<string, unknown>;
  /**
   * Conveyor's own commits on the base branch (see `ConfigCache.ownTail`): what the base
   * changed since a commit is then a compare up to the last commit that is not ours plus
   * the files ours wrote, so our mirror commits do not make each pass compare again.
   */
  ownTail?: (head: string, stopAt?: string) => { sha: string; files: string[] };
}

/** The board of a repository as GitHub shows it. */
export async function loadBoard(
  port: GitHubPort,
  config: Config,
  now: Date,
  options: LoadOptions,
): Promise<Board> {
  return (await loadSnapshot(port, config, now, options)).board;
}

/**
 * Loads one snapshot with few reads: the tracked issues (open ones with a stage label, with
 * their label events and linked PRs; closed ones with a label of work under way; the
 * dashboard), usually already read with the default branch; one list of comments since the
 * oldest task (status markers and results); one list of agent runs when runs are in flight;
 * one read of the PRs on their way to the merge (mergeable, head, files) and of PRs named by
 * results but not linked; the list of open PRs only when links cannot serve. Per-task reads
 * only for base drift (memoized).
 * Pre-flight is not loaded here (`checkPreflight`): the reconcile checks it only when the
 * plan wants to dispatch.
 */
export async function loadSnapshot(
  port: GitHubPort,
  config: Config,
  now: Date,
  options: LoadOptions,
): Promise<Snapshot> {
  const baseBranch = config.baseBranch ?? options.defaultBranch;
  const stageOf = stageLabels(config);
  const wanted = trackedLabels(config);
  const read =
    options.tracked ??
    (await port.listTracked(wanted.labels, wanted.boardLabel, wanted.active ?? []));
  const { issues, boards } = read;
  // Closed issues still carrying a stage label of work under way: GitHub closed them when a
  // linked PR merged (by hand, in the UI): done, the plan finishes the move; or a person
  // closed them (no PR of theirs merged): the work is abandoned (see `closedByPerson`).
  const closedUnderWay = (read.closed ?? []).filter((i) => stageFrom(i.labels, stageOf));
  const tracked = [
    ...issues.filter((i) => !i.isPullRequest && stageFrom(i.labels, stageOf)),
    ...closedUnderWay,
  ];
  // The dashboard: the oldest issue the bot opened with the board label (open or closed:
  // a closed one still holds the pause and the mirror digest; the next write reopens it).
  const dashboardIssue = boards.find(
    (i) => !i.isPullRequest && i.title === DASHBOARD_TITLE && i.author === options.botLogin,
  );
  const github: GitHubState = {
    owner: port.owner,
    repo: port.repo,
    botLogin: options.botLogin,
    baseBranch,
    defaultBranch: options.defaultBranch,
    labels: new Map(tracked.map((i) => [String(i.number), [...i.labels]])),
    closed: new Set(),
    statusComments: new Map(),
    pullLabels: new Map(),
    escalationNotices: new Map(),
    scheduledBy: new Map(),
    stageLabeledBy: new Map(),
    queuedByHand: new Map(),
    closedByPerson: new Set(),
  };
  for (const i of closedUnderWay) github.closed.add(String(i.number));
  for (const i of tracked) {
    if (!i.labeled) continue;
    const by = i.labeled.find((l) => l.label === config.labels.todo)?.by ?? "";
    github.scheduledBy.set(String(i.number), by);
    const stageLabelsOn = i.labels.filter((l) => stageOf.has(l));
    github.stageLabeledBy.set(
      String(i.number),
      stageLabelsOn.map((label) => ({
        label,
        by: i.labeled?.find((l) => l.label === label)?.by ?? "",
      })),
    );
  }
  const dashboard = dashboardIssue ? readDashboard(dashboardIssue.body) : undefined;
  if (dashboardIssue)
    github.dashboard = {
      number: dashboardIssue.number,
      body: dashboardIssue.body,
      ...(dashboardIssue.state === "closed" ? { closed: true } : {}),
    };
  if (dashboard?.mirror) github.mirrorDigest = dashboard.mirror;
  if (dashboard?.preflight) github.lastPreflight = dashboard.preflight;

  const comments = await listComments(port, tracked, now, options.comments);
  const trusted = new Set([...config.agent.resultAuthors, ...(options.resultAuthors ?? [])]);

  // Memory: the bot's one status comment per issue (first one wins). Only a comment that is
  // a status comment counts: an agent's result comment (same author in Actions mode) quotes
  // the agent's own words, which could hold a look-alike marker.
  const memories = new Map<string, TaskMemory>();
  for (const c of comments) {
    if (c.author !== options.botLogin || memories.has(String(c.issue))) continue;
    if (!c.body.startsWith(`${STATUS_HEADER}\n`)) continue;
    const value = readMarker("state", c.body);
    if (value === undefined) continue;
    const memory = asMemory(value);
    if (!memory) continue;
    memories.set(String(c.issue), memory);
    github.statusComments.set(String(c.issue), { id: c.id, body: c.body });
  }

  for (const c of comments) {
    if (c.author !== options.botLogin || !c.body.startsWith(ESCALATION_HEADER)) continue;
    const id = String(c.issue);
    github.escalationNotices.set(id, [...(github.escalationNotices.get(id) ?? []), c.createdAt]);
  }

  // Pull requests: the ones GitHub links to each issue ("Closes #N" in a PR into the default
  // branch: the task role writes it), read with the issues; the PR a task agent's result
  // names, read by number when it is not linked; the list of open PRs only where links
  // cannot serve (a base branch other than the default, or a read without links).
  const taskIds = new Set(tracked.map((i) => String(i.number)));
  const rawResults = comments.filter((c) => trusted.has(c.author)).flatMap(resultOf);
  const underWay = tracked.filter((i) => stageFrom(i.labels, stageOf) !== "todo");
  const linksServe = baseBranch === options.defaultBranch;
  const hintOf = (id: string) =>
    rawResults.find((r) => taskOfResult(r.result) === id && r.result.pr)?.result;
  // A task past in-progress has a PR: found neither by link nor by a result, it is looked
  // for by branch name in the open list (a link edited away, a result comment lost).
  const lost = (i: GhIssue) =>
    stageFrom(i.labels, stageOf) !== "in-progress" &&
    hintOf(String(i.number)) === undefined &&
    !(i.linkedPulls ?? []).some((p) => isTaskBranch(p.headRef, String(i.number)));
  const needList = underWay.some((i) => !linksServe || i.linkedPulls === undefined || lost(i));
  const openPulls = needList ? await port.listOpenPulls() : [];
  // A PR from a fork is never a task's PR, whatever its branch is called or links to: its
  // head is not ours to push to, test or merge on an outsider's word.
  const candidatesOf = (issue: GhIssue): GhPull[] => {
    const id = String(issue.number);
    const hinted = hintOf(id)?.pr;
    const linked = (issue.linkedPulls ?? []).filter(
      (p) =>
        !p.fromFork &&
        (p.number === hinted || isTaskBranch(p.headRef, id) || issue.state === "closed"),
    );
    return [
      ...linked,
      ...openPulls.filter((p) => !p.fromFork && !linked.some((l) => l.number === p.number)),
    ];
  };
  // Named by a result but neither linked nor listed (the link was edited away, or it merged
  // or closed and left the open list): all of them in one read.
  const unseen = underWay
    .map((i) => ({ id: String(i.number), pr: hintOf(String(i.number))?.pr, issue: i }))
    .filter(
      (x): x is { id: string; pr: number; issue: GhIssue } =>
        x.pr !== undefined && !candidatesOf(x.issue).some((p) => p.number === x.pr),
    );
  const fetched = unseen.length > 0 ? await port.getPulls(unseen.map((x) => x.pr)) : new Map();
  const pullOf = new Map<string, GhPull>();
  for (const issue of tracked) {
    const id = String(issue.number);
    const hinted = hintOf(id)?.pr;
    const hintedPull = hinted !== undefined ? fetched.get(hinted) : undefined;
    const candidates = [
      ...candidatesOf(issue),
      ...(hintedPull && !hintedPull.fromFork ? [hintedPull] : []),
    ];
    const pull =
      candidates.find((p) => hinted !== undefined && p.number === hinted) ??
      candidates.find((p) => p.state === "open" && isTaskBranch(p.headRef, id)) ??
      candidates.find((p) => p.merged) ??
      candidates.find((p) => isTaskBranch(p.headRef, id));
    if (pull) pullOf.set(id, pull);
  }
  for (const i of closedUnderWay)
    if (!pullOf.get(String(i.number))?.merged) github.closedByPerson.add(String(i.number));
  const taskOfPull = new Map([...pullOf].map(([id, p]) => [p.number, id]));

  // Agent runs: one list, only when a run may be in flight.
  const runs: Record<string, RunInfo> = {};
  const runCreated = new Map<string, string>();
  const runSince = earliestRunTime([...memories.values()], tracked, stageOf, now, config);
  if (runSince) {
    for (const r of await port.listWorkflowRuns(AGENT_WORKFLOW, runSince)) {
      const cid = correlationFromTitle(r.title);
      if (!cid || runs[cid]) continue;
      runs[cid] = {
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
      runCreated.set(cid, r.createdAt);
    }
  }

  // Results: only trusted authors, only on the task's own issue or PR, and only written
  // after their run was created (a result published ahead of its run is a forgery).
  const results: Record<string, AgentResult> = {};
  for (const { comment, result } of rawResults) {
    const owner = taskOfResult(result);
    if (owner === undefined || !taskIds.has(owner)) continue;
    if (String(comment.issue) !== owner && taskOfPull.get(comment.issue) !== owner) continue;
    const created = runCreated.get(result.correlationId);
    if (created === undefined) continue;
    if (Date.parse(comment.createdAt) < Date.parse(created) - CLOCK_SKEW_MS) continue;
    results[result.correlationId] ??= result;
  }

  // Tasks.
  const facts = options.facts ?? new Map<string, unknown>();
  const baseHead = baseBranch === options.defaultBranch ? options.baseHeadSha : undefined;
  const tasks: Task[] = [];
  /** Tasks whose PR the merge needs read fresh: the base the tests ran on, per task. */
  const testedBaseOf = new Map<string, string>();
  for (const issue of tracked) {
    const id = String(issue.number);
    const stage = stageFrom(issue.labels, stageOf)!;
    const memory = memories.get(id) ?? emptyMemory();
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
      memory,
    };
    const pull = pullOf.get(id);
    if (pull) {
      task.branch = pull.headRef;
      github.pullLabels.set(pull.number, [...pull.labels]);
      if (
        pull.labels.includes(config.labels.mergeQueue) &&
        (stage === "review" || stage === "testing")
      ) {
        task.stage = "merge-queue"; // a maintainer queued the PR by hand
        github.queuedByHand.set(id, { pr: pull.number, stage });
      }
      // What the merge needs (mergeable, files, base drift) for a queued task, and for one
      // whose passing test result this pass folds in: the plan then queues and merges it in
      // the same pass instead of waiting for the next one.
      const tested = memory.verdicts.test;
      const testedBase =
        stage === "merge-queue" || (task.stage === "merge-queue" && tested?.value === "pass")
          ? (tested?.baseSha ?? "")
          : passingTestOf(memory, results, pull)?.baseSha;
      if (testedBase !== undefined && pull.state === "open") testedBaseOf.set(id, testedBase);
      task.pr = {
        number: pull.number,
        headSha: pull.headSha,
        branch: pull.headRef,
        changedFiles: [],
        merged: pull.merged,
        mergeable: pull.mergeable,
        ...(pull.state === "closed" && !pull.merged ? { closed: true } : {}),
      };
    }
    tasks.push(task);
  }

  // The PRs on their way to the merge, read fresh in ONE request: mergeable, head, files.
  const queued = tasks.filter((t) => t.pr && testedBaseOf.has(t.id));
  if (queued.length > 0) {
    const needFiles = queued.some((t) => !facts.has(filesKey(t.pr!.number, t.pr!.headSha)));
    const fresh = await port.getPulls(
      queued.map((t) => t.pr!.number),
      { files: needFiles },
    );
    for (const task of queued) {
      const pr = task.pr!;
      const detail = fresh.get(pr.number);
      if (!detail) continue;
      pr.mergeable = detail.mergeable;
      pr.headSha = detail.headSha;
      pr.merged = detail.merged;
      if (detail.files) remember(facts, filesKey(pr.number, pr.headSha), detail.files);
      pr.changedFiles = await memo(facts, filesKey(pr.number, pr.headSha), () =>
        port.listPullFiles(pr.number),
      );
      // Security: a PR changing `.github/**` merges only with a maintainer's approval of
      // its current head (and only when the config allows such changes at all).
      if (pr.changedFiles.some(isProtectedPath)) {
        pr.touchesProtectedPaths = true;
        pr.maintainerApproved = await approvedByMaintainer(port, pr, config);
      }
      const baseSha = testedBaseOf.get(task.id);
      if (baseSha)
        pr.baseDrift = await baseDriftOf(port, baseSha, baseHead ?? baseBranch, facts, {
          ...(baseHead && options.ownTail ? { ownTail: options.ownTail } : {}),
        });
    }
  }

  const board: Board = {
    repo: `${port.owner}/${port.repo}`,
    tasks,
    runs,
    results,
    // Pre-flight is checked by the reconcile only when the plan wants to dispatch.
    preflight: [],
    repoMemory: dashboard?.memory ?? emptyRepoMemory(),
  };
  if (options.configErrors && options.configErrors.length > 0)
    board.configErrors = [...options.configErrors];
  return { board, github };
}

/** Paths an agent PR may change only with the config's leave and a maintainer's approval. */
export const isProtectedPath = (path: string): boolean => path.startsWith(".github/");

/**
 * Whether someone allowed to schedule work approved the PR's current head: each reviewer's
 * last review that is not a comment counts (a later "changes requested" or a dismissal
 * takes the approval back); an approval of an older head does not count.
 */
async function approvedByMaintainer(
  port: GitHubPort,
  pr: { number: number; headSha: string },
  config: Config,
): Promise<boolean> {
  const last = new Map<string, GhReview>();
  for (const r of await port.listReviews(pr.number))
    if (r.state !== "COMMENTED" && r.state !== "PENDING") last.set(r.author, r);
  for (const r of last.values()) {
    if (r.state !== "APPROVED" || r.commitId !== pr.headSha || !r.author) continue;
    const actor = { login: r.author };
    const level = isBot(actor) ? undefined : await port.getPermission(r.author);
    if (decideActor(actor, level, config).allowed) return true;
  }
  return false;
}

/** Issues older than this get their comments one issue at a time. */
const RECENT_MS = 7 * 24 * 3_600_000;

/**
 * The comments of the tracked issues: one repository-wide list since the oldest recent
 * issue, plus one list per issue older than a week (so one old task does not make every
 * pass read the repository's comments of months).
 */
async function listComments(
  port: GitHubPort,
  tracked: GhIssue[],
  now: Date,
  sync?: CommentSync,
): Promise<GhComment[]> {
  const cutoff = now.getTime() - RECENT_MS;
  const old = tracked.filter((i) => Date.parse(i.createdAt) < cutoff);
  const since = tracked
    .filter((i) => Date.parse(i.createdAt) >= cutoff)
    .map((i) => i.createdAt)
    .sort()[0];
  const out = since ? await recentComments(port, since, now, sync) : [];
  for (const issue of old) out.push(...(await port.listIssueComments(issue.number)));
  return out;
}

/**
 * The repository's comments kept between passes of a long-running process (the app): when
 * the comments since the oldest task fill more than a page, each pass asks only for what
 * changed since the last one (one page) instead of every page. Read whole again every 30
 * minutes (and whenever the window grows), which also lets go of deleted comments.
 */
export interface CommentSync {
  state?: {
    /** The window the cache covers: comments updated at or after this. */
    since: string;
    /** What the next pass asks for (the newest `updated_at` seen, less a margin). */
    next: string;
    /** When it was last read whole (ms). */
    fullAt: number;
    byId: Map<number, GhComment>;
  };
}

const RESYNC_MS = 30 * 60_000;
/** Comments in one page of a list. */
const ONE_PAGE = 100;
/** Comments may show up in the API a little after their timestamp: ask again for that long. */
const VISIBILITY_MARGIN_MS = 60_000;

async function recentComments(
  port: GitHubPort,
  since: string,
  now: Date,
  sync: CommentSync | undefined,
): Promise<GhComment[]> {
  const cached = sync?.state;
  const age = cached ? now.getTime() - cached.fullAt : Number.POSITIVE_INFINITY;
  // A window that fits in one page is read whole: its URL stays the same, so an unchanged
  // list is a free 304, which a moving `since` would not be.
  const onePage = !cached || cached.byId.size < ONE_PAGE;
  if (!sync || !cached || onePage || cached.since > since || age < 0 || age >= RESYNC_MS) {
    const all = await port.listCommentsSince(since);
    if (sync)
      sync.state = {
        since,
        next: nextSince(since, all),
        fullAt: now.getTime(),
        byId: new Map(all.map((c) => [c.id, c])),
      };
    return all;
  }
  const delta = await port.listCommentsSince(cached.next);
  for (const c of delta) cached.byId.set(c.id, c);
  cached.next = nextSince(cached.next, delta);
  // Older than the window: no tracked issue's comment (a comment is newer than its issue).
  for (const [id, c] of cached.byId) if (c.updatedAt < since) cached.byId.delete(id);
  cached.since = since;
  return [...cached.byId.values()].sort(
    (a, b) => a.createdAt.localeCompare(b.createdAt) || a.id - b.id,
  );
}

function nextSince(previous: string, seen: GhComment[]): string {
  const newest = seen.reduce((max, c) => (c.updatedAt > max ? c.updatedAt : max), "");
  if (!newest) return previous;
  const next = new Date(Date.parse(newest) - VISIBILITY_MARGIN_MS).toISOString();
  return next > previous ? next : previous;
}

/** Label name → stage, for the stage labels of the config (`escalated` is not a stage). */
export function stageLabels(config: Config): Map<string, Stage> {
  const l = config.labels;
  return new Map<string, Stage>([
    [l.todo, "todo"],
    [l.inProgress, "in-progress"],
    [l.review, "review"],
    [l.testing, "testing"],
    [l.mergeQueue, "merge-queue"],
    [l.done, "done"],
  ]);
}

/** The stage of an issue from its labels; several stage labels: the furthest one. */
export function stageFrom(
  labels: readonly string[],
  stageOf: Map<string, Stage>,
): Stage | undefined {
  const order: Stage[] = ["todo", "in-progress", "review", "testing", "merge-queue", "done"];
  let best: Stage | undefined;
  for (const l of labels) {
    const s = stageOf.get(l);
    if (s && (best === undefined || order.indexOf(s) > order.indexOf(best))) best = s;
  }
  return best;
}

/** `conveyor/<issue>-<slug>` or `conveyor/<issue>`. */
export const isTaskBranch = (branch: string, id: string): boolean =>
  branch === `conveyor/${id}` || branch.startsWith(`conveyor/${id}-`);

function readDashboard(body: string): DashboardState | undefined {
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

/** Tolerated difference between GitHub's clocks (run creation vs comment creation). */
const CLOCK_SKEW_MS = 60_000;

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

/** The task a correlation id belongs to: its first segment. */
const taskOfResult = (r: AgentResult): string | undefined => r.correlationId.split("/")[0];

/** When the oldest run that may still matter was dispatched; undefined: no run in flight. */
function earliestRunTime(
  memories: TaskMemory[],
  tracked: GhIssue[],
  stageOf: Map<string, Stage>,
  now: Date,
  config: Config,
): string | undefined {
  // A run being cancelled was created before the cancel: as long before as the longest
  // timeout plus the start grace.
  const r = config.roles;
  const longest =
    Math.max(r.task.timeoutMinutes, r.reviewer.timeoutMinutes, r.tester.timeoutMinutes) +
    config.guards.startGraceMinutes;
  const times = memories.flatMap((m) => [
    ...(m.run ? [m.run.dispatchedAt] : []),
    ...(m.cancelling ?? []).map((c) => new Date(Date.parse(c.at) - longest * 60_000).toISOString()),
  ]);
  const inFlight = tracked.some((i) => {
    const s = stageFrom(i.labels, stageOf);
    return s === "in-progress" || s === "review" || s === "testing";
  });
  if (times.length === 0 && !inFlight) return undefined;
  const oldest = times.sort()[0];
  // A margin for clock skew between the dispatcher and GitHub; in-flight tasks without a
  // remembered run still get the last hour listed (a dispatch whose memory write failed).
  const base = oldest ? Date.parse(oldest) : now.getTime() - 3_600_000;
  return new Date(base - 5 * 60_000).toISOString();
}

/**
 * The passing test result the plan folds in this pass for a task in testing (its tester's
 * run published it, not yet handled, judged the PR's current head): the task goes to the
 * merge queue now. Undefined otherwise.
 */
function passingTestOf(
  memory: TaskMemory,
  results: Record<string, AgentResult>,
  pull: GhPull,
): { baseSha: string } | undefined {
  const run = memory.run;
  if (run?.role !== "tester" || memory.escalation) return undefined;
  if (memory.handled.includes(run.correlationId)) return undefined;
  const result = results[run.correlationId];
  if (result?.role !== "tester" || result.outcome !== "ok" || result.passed !== true)
    return undefined;
  if ((result.headSha ?? pull.headSha) !== pull.headSha) return undefined;
  return { baseSha: result.baseSha ?? "" };
}

const filesKey = (pr: number, head: string) => `files ${pr}@${head}`;

/**
 * What the base changed since the commit the tests ran on (`base` is a commit sha when
 * known, so the memo holds across passes until the base branch moves).
 */
async function baseDriftOf(
  port: GitHubPort,
  baseSha: string,
  base: string,
  facts: Map<string, unknown>,
  known: { ownTail?: LoadOptions["ownTail"] },
): Promise<string[]> {
  const tail = known.ownTail?.(base, baseSha) ?? { sha: base, files: [] };
  const upTo = tail.sha;
  const drift =
    upTo === baseSha
      ? []
      : await memo(facts, `compare ${baseSha}...${upTo}`, () => port.compareFiles(baseSha, upTo));
  // Our commits' files on top (a superset of the compare's: never misses a change).
  return tail.files.length === 0 ? drift : [...new Set([...drift, ...tail.files])].sort();
}

/**
 * The pre-flight checks before any dispatch: the configured HTTP readiness checks and the
 * state of the base branch's checks (a failing base blocks dispatching; pending does not).
 * `baseState` says that state (default: asked for the branch by name, one request).
 */
export async function checkPreflight(
  port: GitHubPort,
  config: Config,
  baseBranch: string,
  fetchFn?: typeof fetch,
  baseState: () => Promise<RefState> = () => port.refState(baseBranch),
): Promise<PreflightResult[]> {
  const out: PreflightResult[] = [];
  for (const check of config.preflight.http) {
    const name = check.name ?? check.url;
    out.push(await httpCheck(name, check.url, check.expectStatus, check.timeoutSeconds, fetchFn));
  }
  if (config.preflight.baseBranchGreen) {
    const state = await baseState();
    out.push({
      name: `${baseBranch} green`,
      ok: state !== "failure",
      detail:
        state === "failure"
          ? `the checks of ${baseBranch} fail`
          : `the checks of ${baseBranch}: ${state}`,
    });
  }
  return out;
}

/** Words in a commit message that make GitHub Actions skip the push (no checks run on it). */
const SKIP_CI = /\[(skip ci|ci skip|no ci|skip actions|actions skip)\]/i;

/**
 * The state of the base from the default branch's recent history (read with the config):
 * the newest commit that CI ran on decides. Commits Conveyor wrote (`isOwn`) and commits
 * whose message skips CI have no checks, so the head alone would always look green: they
 * are looked through. Undefined when every commit read was one of those (ask further down).
 */
export function baseStateFromHistory(
  history: DefaultBranchRead["history"],
  isOwn: (sha: string) => boolean = () => false,
): RefState | undefined {
  const decisive = history.find((c) => !isOwn(c.sha) && !SKIP_CI.test(c.message));
  return decisive?.state;
}

async function httpCheck(
  name: string,
  url: string,
  expect: number,
  timeoutSeconds: number,
  fetchFn: typeof fetch | undefined,
): Promise<PreflightResult> {
  try {
    const res = await (fetchFn ?? fetch)(url, {
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    });
    const ok = res.status === expect;
    return {
      name,
      ok,
      detail: `${url} answered ${res.status}${ok ? "" : ` (expected ${expect})`}`,
    };
  } catch (e: unknown) {
    return {
      name,
      ok: false,
      detail: `${url} did not answer: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}

/** A memoized read; the memo is bounded (cleared when it grows past 2,000 entries). */
async function memo<T>(
  facts: Map<string, unknown>,
  key: string,
  read: () => Promise<T>,
): Promise<T> {
  if (facts.has(key)) return facts.get(key) as T;
  const value = await read();
  remember(facts, key, value);
  return value;
}

function remember(facts: Map<string, unknown>, key: string, value: unknown): void {
  if (facts.size >= 2000) facts.clear();
  facts.set(key, value);
}

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
