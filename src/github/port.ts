/**
 * The few GitHub operations Conveyor needs, for ONE repository. Two implementations:
 * `octokit-port.ts` (the real API through @octokit/rest) and `test/support/fake-github/` (in memory,
 * for tests). The loader reads through it, the executor writes through it; nothing else in
 * Conveyor talks to GitHub.
 *
 * Failures are thrown as `GitHubError` (HTTP status + message) so callers can tell a 409
 * from a 405 from a 500 without knowing which implementation they talk to.
 */

export type Permission = "admin" | "maintain" | "write" | "triage" | "read" | "none";

export interface GhIssue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  state: "open" | "closed";
  author: string;
  createdAt: string;
  updatedAt: string;
  /** True for pull requests (the issues list returns both). */
  isPullRequest: boolean;
  /**
   * When each label was last added and by whom, from the issue's timeline (only reads that
   * ask for it fill it: `listTracked`).
   */
  labeled?: { label: string; at: string; by: string }[];
  /**
   * The PRs that close this issue when they merge ("Closes #N" in a PR into the default
   * branch), open or not (only reads that ask for it fill it: `listTracked`).
   */
  linkedPulls?: GhPull[];
  /**
   * Its first comments, oldest first, read with it (only the tracked read fills them:
   * `listTracked`, `readDefaultBranch` with `tracked`; not the dashboard). Fewer than
   * `commentCount` when the thread is longer than one read: `listIssueComments` has them all.
   */
  comments?: GhComment[];
  /** How many comments the issue has (filled with `comments`). */
  commentCount?: number;
}

/** What `listTracked` answers. */
export interface TrackedIssues {
  /** Open issues carrying any of the asked labels (no PRs). */
  issues: GhIssue[];
  /** Issues carrying the board label, open or closed, oldest first (the dashboard). */
  boards: GhIssue[];
  /**
   * Closed issues still carrying an active stage label (`TrackedLabels.active`), most
   * recently updated first, 50 at most: GitHub closed them when a linked PR merged by hand.
   */
  closed?: GhIssue[];
}

export interface GhComment {
  id: number;
  /** Issue or PR number the comment belongs to. */
  issue: number;
  body: string;
  author: string;
  createdAt: string;
  updatedAt: string;
  /** The author's account type (`User`, `Bot`, …), where the read tells it (`getComment`). */
  authorType?: string;
}

export interface GhPull {
  number: number;
  title: string;
  headSha: string;
  headRef: string;
  baseRef: string;
  state: "open" | "closed";
  merged: boolean;
  /** Only filled by `getPull` (lists do not compute it); `null` = still computing. */
  mergeable: boolean | null;
  labels: string[];
  /** The head branch lives in another repository (a fork): never a task's PR. */
  fromFork?: boolean;
}

/** A review of a PR (`APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED`, …). */
export interface GhReview {
  author: string;
  state: string;
  /** The head commit the review was given on. */
  commitId: string;
}

/** A PR as the merge needs it. */
export interface GhPullDetail extends GhPull {
  /** Paths the PR changes (only when asked for). */
  files?: string[];
}

export interface GhRun {
  id: number;
  /** The run's `display_title` (the agent workflow's `run-name: conveyor <correlation-id>`). */
  title: string;
  status: "queued" | "in_progress" | "completed" | "waiting" | "requested" | "pending";
  conclusion: string | null;
  createdAt: string;
  /** When the run started executing, if it did. */
  startedAt?: string;
  url: string;
}

export interface GhCheckRun {
  id: number;
  name: string;
  headSha: string;
  status: "queued" | "in_progress" | "completed";
  conclusion?: string | null;
}

export interface CheckRunInput {
  name: string;
  headSha: string;
  status: "queued" | "in_progress" | "completed";
  conclusion?: "success" | "failure" | "neutral" | "cancelled" | "action_required";
  title: string;
  summary: string;
  text?: string;
}

export interface TreeEntry {
  path: string;
  /** New text of the file; `null` deletes it. */
  content: string | null;
}

/** What the checks of a commit say. */
export type RefState = "success" | "failure" | "pending";

/** The default branch as one read sees it (`readDefaultBranch`). */
export interface DefaultBranchRead {
  /** Its name. */
  name: string;
  /** Its head commit ("" in an empty repository). */
  head: string;
  /** Text of the asked file at the head; undefined when there is no such file. */
  fileText: string | undefined;
  /** Repository setting: GitHub deletes a PR's head branch itself when the PR merges. */
  deleteBranchOnMerge: boolean;
  /** The newest commits, head first: their checks state and message. */
  history: { sha: string; state: RefState; message: string }[];
  /** The tracked issues, when the read asked for them (see `listTracked`). */
  tracked?: TrackedIssues;
}

/** The labels that make an issue tracked, and the dashboard's label. */
export interface TrackedLabels {
  labels: string[];
  boardLabel: string;
  /** The labels of work under way (a closed issue with one of them is looked at again). */
  active?: string[];
}

/** Fields of one issue edit (`PATCH /issues/{n}`): the labels and the state in one request. */
export interface IssuePatch {
  body?: string;
  labels?: string[];
  state?: "open" | "closed";
  stateReason?: "completed" | "not_planned";
}

export type MergeMethod = "merge" | "squash" | "rebase";

/** One repository's worth of GitHub, as Conveyor uses it. */
export interface GitHubPort {
  readonly owner: string;
  readonly repo: string;
  /**
   * The web address of the server (`https://github.com`, or the GHE host), for links to
   * runs and workflows; absent: github.com.
   */
  readonly webUrl?: string;
  /** HTTP requests sent through the port so far (retries included), where it can tell. */
  requestsSent?(): number;

  // --- repository, files, refs -------------------------------------------------------
  /**
   * The default branch in ONE request (GraphQL): its head, the text of `file` at the head,
   * the repository's branch auto-delete setting, the checks of the newest `depth` commits,
   * and with `tracked` the first 100 tracked issues and the dashboard too (`listTracked`).
   * What each pass reads first.
   */
  readDefaultBranch(
    file: string,
    depth: number,
    tracked?: TrackedLabels,
  ): Promise<DefaultBranchRead>;
  /** Head commit of a branch, or undefined when the branch does not exist. */
  getBranchSha(branch: string): Promise<string | undefined>;
  /** Text of a file at a ref, or undefined when it does not exist. */
  getFileText(path: string, ref: string): Promise<string | undefined>;
  /** Creates `refs/<ref>`; a ref that exists answers 422 (an atomic create-lock). */
  createRef(ref: string, sha: string): Promise<void>;
  deleteRef(ref: string): Promise<void>;
  /** Files changed between two commits (`base...head`). */
  compareFiles(base: string, head: string): Promise<string[]>;
  /**
   * Commit statuses and check runs of a ref together (one request: GraphQL
   * `statusCheckRollup`): `success` (also when there are none), `failure` or `pending`.
   */
  refState(ref: string): Promise<RefState>;

  // --- the lease lock: a ref at a commit (on no branch) that names the holder ---------
  /** Creates a tree of these files (no base tree); returns its sha. */
  createTree(files: Record<string, string>): Promise<string>;
  /** Creates a commit on no branch; returns its sha. */
  createCommit(message: string, tree: string, parents: string[]): Promise<string>;
  /** The commit `refs/<ref>` points at, or undefined when there is no such ref. */
  getRef(ref: string): Promise<string | undefined>;
  /** The message of a commit. */
  getCommitMessage(sha: string): Promise<string>;
  /** Moves `refs/<ref>` to `sha`, fast-forward only: GitHubError 422 when it is not one. */
  fastForwardRef(ref: string, sha: string): Promise<void>;

  // --- the mirror commit ----------------------------------------------------------------
  /**
   * Writes these files (or deletes them) as ONE commit on top of `expectedHead`, in one
   * request (GraphQL `createCommitOnBranch`). Returns the new commit. Throws GitHubError
   * 409 when the branch no longer points at `expectedHead` (read it again and retry), 404
   * when the branch does not exist.
   */
  commitOnBranch(
    branch: string,
    expectedHead: string,
    message: string,
    entries: TreeEntry[],
  ): Promise<string>;

  // --- issues, labels, comments -------------------------------------------------------
  /**
   * The open issues carrying ANY of `labels`, with when each label was added and by whom
   * and their first 100 comments, and the issues carrying `boardLabel` in any state: one
   * GraphQL request per 100 issues, however many other issues the repository has open.
   */
  listTracked(labels: string[], boardLabel: string, active?: string[]): Promise<TrackedIssues>;
  /** One issue (or PR) as it is now; undefined when there is none. */
  getIssue(issue: number): Promise<GhIssue | undefined>;
  /** When each label of an issue or PR was last added and by whom (its timeline). */
  labelEvents(issue: number): Promise<{ label: string; at: string; by: string }[]>;
  createIssue(title: string, body: string, labels?: string[]): Promise<GhIssue>;
  updateIssue(issue: number, patch: IssuePatch): Promise<void>;
  addLabels(issue: number, labels: string[]): Promise<void>;
  removeLabel(issue: number, label: string): Promise<void>;
  /** Replaces all labels of the issue in one request (an atomic stage move). */
  setLabels(issue: number, labels: string[]): Promise<void>;
  /** All comments of one issue (or PR), oldest first. */
  listIssueComments(issue: number): Promise<GhComment[]>;
  /** One comment as it is now, with its author's account type; undefined when it is gone. */
  getComment(id: number): Promise<GhComment | undefined>;
  createComment(issue: number, body: string): Promise<GhComment>;
  updateComment(id: number, body: string): Promise<void>;
  addReaction(commentId: number, content: "+1" | "eyes" | "confused"): Promise<void>;
  getPermission(user: string): Promise<Permission>;

  // --- pull requests ------------------------------------------------------------------
  listOpenPulls(): Promise<GhPull[]>;
  /** One PR with `mergeable` computed (or `null` while GitHub computes it). */
  getPull(pr: number): Promise<GhPull>;
  listPullFiles(pr: number): Promise<string[]>;
  /** The reviews of a PR, oldest first: who, what state, on which commit. */
  listReviews(pr: number): Promise<GhReview[]>;
  /**
   * Several PRs in ONE request (GraphQL), each with `mergeable` (null while GitHub computes
   * it; asking starts the computation) and, with `files`, the paths it changes. PRs that do
   * not exist are left out of the map.
   */
  getPulls(numbers: number[], options?: { files?: boolean }): Promise<Map<number, GhPullDetail>>;
  /** Merges pinned to `sha`. Throws GitHubError 409 (head moved), 405 (not mergeable). */
  mergePull(pr: number, sha: string, method: MergeMethod, title?: string): Promise<string>;

  // --- Actions --------------------------------------------------------------------------
  /** Runs of a workflow file created at or after `since`, newest first. */
  listWorkflowRuns(workflow: string, since: string): Promise<GhRun[]>;
  /** One run by its id (a run older than any listing still asks for); undefined: 404. */
  getWorkflowRun(runId: number): Promise<GhRun | undefined>;
  /**
   * Dispatches a workflow with `return_run_details: true`. Never retried automatically.
   * Returns the run when the server tells it (older servers answer 204: `{}`).
   */
  dispatchWorkflow(
    workflow: string,
    ref: string,
    inputs: Record<string, string>,
  ): Promise<{ runId?: number; url?: string }>;
  cancelRun(runId: number, force: boolean): Promise<void>;

  // --- checks -----------------------------------------------------------------------------
  listCheckRuns(sha: string): Promise<GhCheckRun[]>;
  createCheckRun(input: CheckRunInput): Promise<number>;
  updateCheckRun(id: number, input: CheckRunInput): Promise<void>;
}

/** An HTTP failure of a port call. `status` 0: no answer (network). */
export class GitHubError extends Error {
  /** GitHub's `x-github-request-id` of the failed answer, when it sent one. */
  readonly requestId?: string;
  /** The GraphQL operation that failed (e.g. `DefaultBranch`). */
  readonly operation?: string;
  /** Paths of the GraphQL errors (e.g. `repository.pr0`). */
  readonly paths?: string[];

  constructor(
    readonly status: number,
    message: string,
    /** The call that failed, e.g. `PUT https://api.github.com/repos/o/r/pulls/4/merge`. */
    readonly call: string = "",
    details: { requestId?: string; operation?: string; paths?: string[] } = {},
  ) {
    super(message);
    this.name = "GitHubError";
    if (details.requestId) this.requestId = details.requestId;
    if (details.operation) this.operation = details.operation;
    if (details.paths && details.paths.length > 0) this.paths = details.paths;
  }
}

export const isGitHubError = (e: unknown, status?: number): e is GitHubError =>
  e instanceof GitHubError && (status === undefined || e.status === status);

/** The agent workflow file dispatched for each agent run. */
export const AGENT_WORKFLOW = "conveyor-agent.yml";

/** The run-name the agent workflow gives its runs: how a run is found by correlation id. */
export const runTitle = (correlationId: string): string => `conveyor ${correlationId}`;

/** Correlation id from a run title, or undefined for runs not started by Conveyor. */
export function correlationFromTitle(title: string): string | undefined {
  const m = /^conveyor (\S+)$/.exec(title.trim());
  return m?.[1];
}

/** The title of the dashboard issue. */
export const DASHBOARD_TITLE = "Conveyor board";

/** Where the config lives on the default branch. */
export const CONFIG_PATH = ".github/conveyor.yml";

/** The ref of the lease lock that keeps several app instances from acting at once. */
export const LOCK_REF = "conveyor/lock";
