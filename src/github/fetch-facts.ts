/**
 * Read, then interpret: the reading half of loading a GitHub board. `fetchFacts` reads
 * GitHub through the port in rounds, each round's reads independent of each other and sent
 * together, into plain `GitHubFacts`; what to read next is asked of the pure rules of
 * `interpret-facts.ts`. It decides nothing about the board.
 *
 *   round 0  the tracked issues (usually already read with the default branch and config)
 *   round 1  comments: one list since the oldest recent task, one per older task
 *   round 2  the open PRs (only when links cannot serve) · the agent runs (only when a run
 *            may be in flight) · then, rarely, a run a remembered cancel names by id that the
 *            listing did not return (one request each)
 *   round 3  PRs named by results but neither linked nor listed (one request)
 *   round 4  the PRs on their way to the merge, fresh (one request: mergeable, head, files)
 *   round 5  per such PR: files (memoized), reviews (protected paths only), base drift
 *            (memoized) · then the reviewers' permissions
 */
import { isBot } from "../core/actor-permission.js";
import type { Config } from "../core/config.js";
import { stageLabels, trackedLabels } from "../core/stage-labels.js";
import {
  approversOf,
  commentView,
  type GitHubFacts,
  headedToMerge,
  isProtectedPath,
  type MergeFacts,
  needsOpenPulls,
  pullsOfTasks,
  resultsOfRuns,
  runsByCorrelation,
  runsSince,
  trackedView,
  trustedAuthors,
  unlistedRuns,
  unseenPulls,
} from "./interpret-facts.js";
import {
  AGENT_WORKFLOW,
  type GhComment,
  type GhIssue,
  type GhPull,
  type GhRun,
  type GitHubPort,
  type Permission,
  type TrackedIssues,
} from "./port.js";

export interface FetchOptions {
  botLogin: string;
  /** Base branch when the config does not name one (the repository's default branch). */
  defaultBranch: string;
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

/** Reads what the board of a repository is made of. Throws when a read fails. */
export async function fetchFacts(
  port: GitHubPort,
  config: Config,
  now: Date,
  options: FetchOptions,
): Promise<GitHubFacts> {
  const baseBranch = config.baseBranch ?? options.defaultBranch;
  const stageOf = stageLabels(config);
  const resultAuthors = options.resultAuthors ?? [];

  // Round 0: the tracked issues.
  const wanted = trackedLabels(config);
  const tracked =
    options.tracked ?? (await port.listTracked(wanted.labels, wanted.boardLabel, wanted.active));
  const issues = trackedView(tracked, stageOf, options.botLogin);

  // Round 1: their comments.
  const comments = await listComments(port, issues.tasks, now, options.comments);
  const said = commentView(comments, options.botLogin, trustedAuthors(config, resultAuthors));

  // Round 2: the open PRs and the agent runs, each only when needed.
  const linksServe = baseBranch === options.defaultBranch;
  const since = runsSince(issues, said, stageOf, config, now);
  const [openPulls, listedRuns] = await Promise.all([
    needsOpenPulls(issues, said, stageOf, linksServe) ? port.listOpenPulls() : [],
    since ? port.listWorkflowRuns(AGENT_WORKFLOW, since) : [],
  ]);
  // Round 2b (rare): runs a remembered cancel names but the listing did not return (older
  // than its window), one request each; a normal pass sends none.
  const unlisted = unlistedRuns(said, listedRuns);
  const olderRuns =
    unlisted.length > 0 ? await Promise.all(unlisted.map((id) => port.getWorkflowRun(id))) : [];
  const runs = [...listedRuns, ...olderRuns.filter((r): r is GhRun => r !== undefined)];

  // Round 3: PRs named by results and seen nowhere else.
  const unseen = unseenPulls(issues, said, stageOf, openPulls);
  const namedPulls: Map<number, GhPull> =
    unseen.length > 0 ? await port.getPulls(unseen) : new Map();

  // Round 4: the PRs on their way to the merge, fresh, in one request.
  const pullOf = pullsOfTasks(issues, said, openPulls, namedPulls);
  const taskIds = new Set(issues.tasks.map((i) => String(i.number)));
  const byRun = runsByCorrelation(runs);
  const results = resultsOfRuns(said, taskIds, pullOf, byRun.created, byRun.runs);
  const testedBase = headedToMerge(issues, said, pullOf, results, config);
  const memo = options.facts ?? new Map<string, unknown>();
  const merging = new Map<number, MergeFacts>();
  if (testedBase.size > 0) {
    const heads = [...pullOf.values()].filter((p) => testedBase.has(p.number));
    const needFiles = heads.some((p) => !memo.has(filesKey(p.number, p.headSha)));
    const fresh = await port.getPulls([...testedBase.keys()], { files: needFiles });
    // Round 5: per PR, in parallel.
    const baseHead = linksServe ? options.baseHeadSha : undefined;
    const ownTail = baseHead ? options.ownTail : undefined;
    await Promise.all(
      [...testedBase].map(async ([number, baseSha]) => {
        const pull = fresh.get(number);
        if (!pull) return;
        if (pull.files) remember(memo, filesKey(number, pull.headSha), pull.files);
        const files = await memoized(memo, filesKey(number, pull.headSha), () =>
          port.listPullFiles(number),
        );
        const protectedPaths = files.some(isProtectedPath);
        const [reviews, baseDrift] = await Promise.all([
          protectedPaths ? port.listReviews(number) : undefined,
          baseSha ? baseDriftOf(port, baseSha, baseHead ?? baseBranch, memo, ownTail) : undefined,
        ]);
        const permissions = reviews
          ? await readPermissions(port, approversOf(reviews, pull.headSha))
          : {};
        merging.set(number, {
          pull,
          files,
          permissions,
          ...(reviews ? { reviews } : {}),
          ...(baseDrift ? { baseDrift } : {}),
        });
      }),
    );
  }

  return {
    owner: port.owner,
    repo: port.repo,
    botLogin: options.botLogin,
    baseBranch,
    defaultBranch: options.defaultBranch,
    tracked,
    comments,
    openPulls,
    namedPulls,
    runs,
    merging,
    resultAuthors,
    configErrors: options.configErrors ?? [],
  };
}

/** The permission of each person (bots are not asked: they never count as maintainers). */
async function readPermissions(
  port: GitHubPort,
  logins: string[],
): Promise<Record<string, Permission>> {
  const people = [...new Set(logins)].filter((login) => !isBot({ login }));
  const levels = await Promise.all(people.map((l) => port.getPermission(l)));
  return Object.fromEntries(people.map((l, i) => [l, levels[i]!]));
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
  const lists = await Promise.all([
    since ? recentComments(port, since, now, sync) : [],
    ...old.map((issue) => port.listIssueComments(issue.number)),
  ]);
  return lists.flat();
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

const filesKey = (pr: number, head: string) => `files ${pr}@${head}`;

/**
 * What the base changed since the commit the tests ran on (`base` is a commit sha when
 * known, so the memo holds across passes until the base branch moves).
 */
async function baseDriftOf(
  port: GitHubPort,
  baseSha: string,
  base: string,
  memo: Map<string, unknown>,
  ownTail: FetchOptions["ownTail"],
): Promise<string[]> {
  const tail = ownTail?.(base, baseSha) ?? { sha: base, files: [] };
  const upTo = tail.sha;
  const drift =
    upTo === baseSha
      ? []
      : await memoized(memo, `compare ${baseSha}...${upTo}`, () =>
          port.compareFiles(baseSha, upTo),
        );
  // Our commits' files on top (a superset of the compare's: never misses a change).
  return tail.files.length === 0 ? drift : [...new Set([...drift, ...tail.files])].sort();
}

/** A memoized read; the memo is bounded (cleared when it grows past 2,000 entries). */
async function memoized<T>(
  memo: Map<string, unknown>,
  key: string,
  read: () => Promise<T>,
): Promise<T> {
  if (memo.has(key)) return memo.get(key) as T;
  const value = await read();
  remember(memo, key, value);
  return value;
}

function remember(memo: Map<string, unknown>, key: string, value: unknown): void {
  if (memo.size >= 2000) memo.clear();
  memo.set(key, value);
}
