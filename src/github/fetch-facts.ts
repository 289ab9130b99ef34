/**
 * Read, then interpret: the reading half of loading a GitHub board. `fetchFacts` reads
 * GitHub through the port in rounds, each round's reads independent of each other and sent
 * together, into plain `GitHubFacts`; what to read next is asked of the pure rules of
 * `interpret-facts.ts`. It decides nothing about the board.
 *
 *   round 0  the tracked issues (usually already read with the default branch and config)
 *   round 1  comments: none when each task came with all of its own (the tracked read has
 *            each issue's first 100), else one list per task with a longer thread
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
  const comments = await listComments(port, issues.tasks);
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

/**
 * The comments of the tracked issues: those read with each issue (its first 100), and for
 * an issue whose thread is longer, or that came without them, its whole list (one REST
 * read each).
 */
async function listComments(port: GitHubPort, tracked: GhIssue[]): Promise<GhComment[]> {
  const lists = await Promise.all(
    tracked.map((issue) => readWith(issue) ?? port.listIssueComments(issue.number)),
  );
  return lists.flat();
}

/** The comments that came with an issue, when they are all of them. */
function readWith(issue: GhIssue): GhComment[] | undefined {
  const { comments, commentCount } = issue;
  if (!comments || commentCount === undefined || commentCount > comments.length) return undefined;
  return comments;
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
