import type { AgentResult } from "../core/board.js";
import { encodeMarker, resultHeader } from "../core/markers.js";
import {
  AGENT_WORKFLOW,
  type CheckRunInput,
  correlationFromTitle,
  type DefaultBranchRead,
  type GhCheckRun,
  type GhComment,
  type GhIssue,
  type GhPull,
  type GhPullDetail,
  type GhReview,
  type GhRun,
  GitHubError,
  type GitHubPort,
  type IssuePatch,
  type MergeMethod,
  type Permission,
  type TrackedIssues,
  type TrackedLabels,
  type TreeEntry,
} from "./port.js";

/**
 * An in-memory GitHub for one repository (Prow's fakegithub style): issues, labels,
 * comments, pull requests, refs and commits, workflow runs and check runs. Every call is
 * recorded as a readable string in `calls` (writes like `o/r#1:+conveyor:review`), tests
 * inject failures (`fail`, `crashOnWrite`) and play the agents (`publishResult`, `openPull`).
 */

interface FakeIssue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  state: "open" | "closed";
  stateReason?: string;
  author: string;
  createdAt: string;
  updatedAt: string;
  isPullRequest: boolean;
  /** When each label was last added and by whom (the issue's timeline). */
  labeled: Map<string, { at: string; by: string }>;
}

interface FakePull {
  number: number;
  title: string;
  headRef: string;
  headSha: string;
  baseRef: string;
  merged: boolean;
  state: "open" | "closed";
  files: string[];
  /** What `getPull` answers next; `null` while "computing" after the base moved. */
  mergeable: boolean | null;
  /** The PR conflicts with its base whatever happens (tests set it). */
  conflicts: boolean;
  /** Opened from a fork (tests set it). */
  fromFork?: boolean;
}

interface FakeCommit {
  tree: string;
  parents: string[];
  message: string;
}

export interface FakeRun extends GhRun {
  inputs: Record<string, string>;
  /** A cancel was sent; the run may still be running (its `always()` jobs). */
  cancelRequested?: boolean;
}

/** A failure to inject: calls whose name matches answer `status` (`times` times, default 1). */
export interface InjectedFailure {
  /** Matched against the call's method name, e.g. `mergePull`, or its readable line. */
  match: string | RegExp;
  status: number;
  message?: string;
  times?: number;
  /** Apply the call first, then answer the error (a 500 after the merge happened). */
  afterApplying?: boolean;
  /** Runs when the failure fires (e.g. someone pushes to the PR just before the merge). */
  run?: () => void;
}

export interface FakeGitHubOptions {
  owner?: string;
  repo?: string;
  botLogin?: string;
  defaultBranch?: string;
  now?: () => Date;
  /** Answer dispatches with the run id (`return_run_details`); false: 204 like older servers. */
  runDetails?: boolean;
}

const WRITE_METHODS = new Set([
  "createRef",
  "deleteRef",
  "commitOnBranch",
  "createIssue",
  "updateIssue",
  "addLabels",
  "removeLabel",
  "setLabels",
  "createComment",
  "updateComment",
  "addReaction",
  "mergePull",
  "dispatchWorkflow",
  "cancelRun",
  "createCheckRun",
  "updateCheckRun",
]);

export class FakeGitHub implements GitHubPort {
  readonly owner: string;
  readonly repo: string;
  readonly botLogin: string;
  readonly defaultBranch: string;
  runDetails: boolean;
  now: () => Date;

  /** Every call, in order, as a readable line. */
  readonly calls: string[] = [];
  /** Requests a real GitHub would have answered (pages of lists count one each). */
  requests = 0;
  /**
   * Of those, list requests answered 304 Not Modified: the octokit port sends a list's
   * first page with the ETag it saw last time, and a 304 costs no rate limit.
   */
  notModified = 0;
  /** Last answer per list call (its readable line), to tell when a list is unchanged. */
  private readonly listDigests = new Map<string, string>();
  /** Merges in the order they happened: `#<pr>@<sha7>`. */
  readonly merges: string[] = [];
  /** Most merge calls in flight at once (a serialized merge queue keeps it at 1). */
  maxConcurrentMerges = 0;
  private mergesInFlight = 0;

  readonly issues = new Map<number, FakeIssue>();
  readonly comments: GhComment[] = [];
  readonly pulls = new Map<number, FakePull>();
  readonly refs = new Map<string, string>();
  readonly commits = new Map<string, FakeCommit>();
  readonly trees = new Map<string, Record<string, string>>();
  readonly runs: FakeRun[] = [];
  readonly checkRuns: (GhCheckRun & CheckRunInput)[] = [];
  readonly permissions = new Map<string, Permission>();
  readonly reactions: string[] = [];
  readonly reviews = new Map<number, GhReview[]>();
  /**
   * Combined status of refs (default `success`): by commit sha, or by branch name for the
   * commits of that branch that CI ran on (not `[skip ci]` ones).
   */
  readonly refStates = new Map<string, "success" | "failure" | "pending">();

  private readonly treeByContent = new Map<string, string>();
  private nextNumber = 1;
  private nextId = 1000;
  private nextSha = 1;
  private failures: InjectedFailure[] = [];
  private crashAt: number | undefined;
  private dead = false;
  private writes = 0;

  constructor(options: FakeGitHubOptions = {}) {
    this.owner = options.owner ?? "o";
    this.repo = options.repo ?? "r";
    this.botLogin = options.botLogin ?? "conveyor[bot]";
    this.defaultBranch = options.defaultBranch ?? "main";
    this.now = options.now ?? (() => new Date("2026-11-25T10:00:00.000Z"));
    this.runDetails = options.runDetails ?? true;
    const tree = this.putTree({ "README.md": "# repo\n" });
    const root = this.putCommit({ tree, parents: [], message: "initial" });
    this.refs.set(`heads/${this.defaultBranch}`, root);
    // Issues are opened by "maintainer" unless a test says otherwise: a maintainer.
    this.permissions.set("maintainer", "maintain");
  }

  // ---------------------------------------------------------------------------------------
  // Test controls
  // ---------------------------------------------------------------------------------------

  /** Injects a failure for matching calls. */
  fail(failure: InjectedFailure): void {
    this.failures.push({ times: 1, ...failure });
  }

  /**
   * The process dies instead of the Nth write from now (1-based): that call and every call
   * after it throw a plain Error until `revive()` (a restarted process).
   */
  crashOnWrite(n: number): void {
    this.crashAt = this.writes + n;
  }

  /** A new process: calls work again. */
  revive(): void {
    this.dead = false;
  }

  /** True after an injected crash, until `revive()`. */
  get crashed(): boolean {
    return this.dead;
  }

  /** Requests that cost rate limit (all but the 304 answers). */
  get rateLimited(): number {
    return this.requests - this.notModified;
  }

  /** Writes done so far (the counter `crashOnWrite` uses). */
  get writeCount(): number {
    return this.writes;
  }

  /** A person opens an issue (not through the port: no call is recorded). */
  addIssue(input: { title: string; body?: string; labels?: string[]; author?: string }): number {
    const number = this.nextNumber++;
    const at = this.iso();
    this.issues.set(number, {
      number,
      title: input.title,
      body: input.body ?? "",
      labels: [...(input.labels ?? [])],
      state: "open",
      author: input.author ?? "maintainer",
      createdAt: at,
      updatedAt: at,
      isPullRequest: false,
      labeled: new Map(
        (input.labels ?? []).map((l) => [l, { at, by: input.author ?? "maintainer" }]),
      ),
    });
    return number;
  }

  /** A person (or the agent) adds labels directly. */
  label(issue: number, ...labels: string[]): void {
    this.labelAs("maintainer", issue, labels);
  }

  /** `who` adds labels (the timeline records when and by whom). */
  labelAs(who: string, issue: number, labels: string[]): void {
    const i = this.mustIssue(issue);
    this.setIssueLabels(i, [...i.labels, ...labels.filter((l) => !i.labels.includes(l))], who);
  }

  /** The agent opens (or pushes to) a PR from `branch` changing `files`. */
  openPull(input: { branch: string; title?: string; files: string[]; body?: string }): number {
    const existing = [...this.pulls.values()].find(
      (p) => p.headRef === input.branch && p.state === "open",
    );
    const sha = this.commitFiles(input.files, `push to ${input.branch}`);
    this.refs.set(`heads/${input.branch}`, sha);
    if (existing) {
      existing.headSha = sha;
      existing.mergeable = null; // GitHub computes it again for the new head
      existing.files = [...new Set([...existing.files, ...input.files])];
      return existing.number;
    }
    const number = this.nextNumber++;
    const at = this.iso();
    this.issues.set(number, {
      number,
      title: input.title ?? input.branch,
      body: input.body ?? "",
      labels: [],
      labeled: new Map(),
      state: "open",
      author: "github-actions[bot]",
      createdAt: at,
      updatedAt: at,
      isPullRequest: true,
    });
    this.pulls.set(number, {
      number,
      title: input.title ?? input.branch,
      headRef: input.branch,
      headSha: sha,
      baseRef: this.defaultBranch,
      merged: false,
      state: "open",
      files: [...input.files],
      mergeable: true,
      conflicts: false,
    });
    return number;
  }

  /** Someone pushes to a PR branch: the head moves. */
  pushTo(pr: number): string {
    const p = this.mustPull(pr);
    p.headSha = this.commitFiles(p.files, `push to ${p.headRef}`);
    p.mergeable = null;
    this.refs.set(`heads/${p.headRef}`, p.headSha);
    return p.headSha;
  }

  /** Moves the base branch (a merge by someone else), touching `files`. */
  advanceBase(files: string[]): string {
    const sha = this.applyToBranch(this.defaultBranch, files, "someone else's commit");
    for (const p of this.pulls.values()) if (p.state === "open") p.mergeable = null;
    return sha;
  }

  /** Runs of the agent workflow by correlation id. */
  runByCorrelation(cid: string): FakeRun | undefined {
    return this.runs.find((r) => correlationFromTitle(r.title) === cid);
  }

  /** The runner picks the run up. */
  startRun(runId: number): void {
    const r = this.mustRun(runId);
    r.status = "in_progress";
    r.startedAt = this.iso();
  }

  completeRun(runId: number, conclusion: string): void {
    const r = this.mustRun(runId);
    r.status = "completed";
    r.conclusion = conclusion;
    r.startedAt ??= this.iso();
  }

  /** The agent Action publishes its result: a result comment on the issue, run completed. */
  publishResult(issue: number, result: AgentResult, author = "github-actions[bot]"): void {
    const summary = `${resultHeader(result.role)} ${result.outcome} (run ${result.correlationId})`;
    this.addComment(issue, `${summary}\n\n${encodeMarker("result", result)}`, author);
    const run = this.runByCorrelation(result.correlationId);
    if (run) this.completeRun(run.id, result.outcome === "ok" ? "success" : "failure");
  }

  /** A comment written by someone else than the app (not recorded as a call). */
  addComment(issue: number, body: string, author: string): GhComment {
    this.mustIssue(issue);
    const at = this.iso();
    const c: GhComment = { id: this.nextId++, issue, body, author, createdAt: at, updatedAt: at };
    this.comments.push(c);
    return c;
  }

  /** Current text of a file on a branch. */
  fileOn(branch: string, path: string): string | undefined {
    const sha = this.refs.get(`heads/${branch}`);
    if (!sha) return undefined;
    return this.trees.get(this.commits.get(sha)!.tree)?.[path];
  }

  /** Writes a file on a branch directly (a person's commit). */
  writeFile(branch: string, path: string, text: string): void {
    const head = this.refs.get(`heads/${branch}`)!;
    const files = { ...this.trees.get(this.commits.get(head)!.tree)! };
    files[path] = text;
    const sha = this.putCommit({ tree: this.putTree(files), parents: [head], message: "edit" });
    this.refs.set(`heads/${branch}`, sha);
  }

  issue(number: number): FakeIssue {
    return this.mustIssue(number);
  }

  pull(number: number): FakePull {
    return this.mustPull(number);
  }

  /** Comments on one issue, oldest first. */
  commentsOn(issue: number): GhComment[] {
    return this.comments.filter((c) => c.issue === issue);
  }

  /** Calls that wrote something, in order. */
  writeCalls(): string[] {
    return this.calls.filter((c) => !c.startsWith("GET "));
  }

  // ---------------------------------------------------------------------------------------
  // GitHubPort
  // ---------------------------------------------------------------------------------------

  /** Repository setting `delete_branch_on_merge` (GitHub deletes merged head branches). */
  deleteBranchOnMerge = false;

  async readDefaultBranch(
    file: string,
    depth: number,
    tracked?: TrackedLabels,
  ): Promise<DefaultBranchRead> {
    // One GraphQL request; tracked issues past the first 100 cost one more per 100.
    const trackedIssues = tracked ? this.trackedOf(tracked.labels) : [];
    this.call(
      "readDefaultBranch",
      `GET base ${this.defaultBranch} +${file}${tracked ? " +tracked" : ""}`,
      {
        count: trackedIssues.length,
        data: null,
        graphql: true,
      },
    );
    const head = this.refs.get(`heads/${this.defaultBranch}`) ?? "";
    const history: DefaultBranchRead["history"] = [];
    for (let sha = head; sha && history.length < depth; ) {
      const c = this.commits.get(sha);
      if (!c) break;
      history.push({ sha, state: this.stateOf(sha), message: c.message });
      sha = c.parents[0] ?? "";
    }
    const tree = head ? this.trees.get(this.commits.get(head)!.tree) : undefined;
    return {
      name: this.defaultBranch,
      head,
      fileText: tree?.[file],
      deleteBranchOnMerge: this.deleteBranchOnMerge,
      history,
      ...(tracked ? { tracked: this.trackedResult(trackedIssues, tracked) } : {}),
    };
  }

  async getBranchSha(branch: string): Promise<string | undefined> {
    this.call("getBranchSha", `GET branch ${branch}`);
    return this.refs.get(`heads/${branch}`);
  }

  async getFileText(path: string, ref: string): Promise<string | undefined> {
    this.call("getFileText", `GET file ${path}@${ref}`);
    const sha = this.refs.get(`heads/${ref}`) ?? (this.commits.has(ref) ? ref : undefined);
    if (!sha) throw new GitHubError(404, `No commit found for the ref ${ref}`);
    return this.trees.get(this.commits.get(sha)!.tree)?.[path];
  }

  async createRef(ref: string, sha: string): Promise<void> {
    this.call("createRef", `${this.slug}:create-ref ${ref}`);
    if (this.refs.has(ref)) throw new GitHubError(422, "Reference already exists");
    this.refs.set(ref, sha);
  }

  async deleteRef(ref: string): Promise<void> {
    this.call("deleteRef", `${this.slug}:delete-ref ${ref}`);
    if (!this.refs.delete(ref)) throw new GitHubError(422, "Reference does not exist");
  }

  async compareFiles(base: string, head: string): Promise<string[]> {
    this.call("compareFiles", `GET compare ${base.slice(0, 7)}...${head}`);
    const from = this.resolve(base);
    const to = this.resolve(head);
    const a = this.trees.get(this.commits.get(from)!.tree)!;
    const b = this.trees.get(this.commits.get(to)!.tree)!;
    const paths = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...paths].filter((p) => a[p] !== b[p]).sort();
  }

  async refState(ref: string): Promise<"success" | "failure" | "pending"> {
    // One GraphQL request in the real port (the status check rollup); no ETag there.
    this.call("refState", `GET status ${ref}`);
    return this.stateOf(ref);
  }

  private stateOf(ref: string): "success" | "failure" | "pending" {
    const parentOf = /^([0-9a-f]{40})~1$/.exec(ref);
    if (parentOf) return this.stateOf(this.commits.get(parentOf[1]!)?.parents[0] ?? "");
    const sha = this.refs.get(`heads/${ref}`) ?? (this.commits.has(ref) ? ref : undefined);
    if (!sha) return this.refStates.get(ref) ?? "success";
    const own = this.refStates.get(sha);
    if (own) return own;
    // No check runs on a `[skip ci]` commit: GitHub reports nothing failing for it.
    if (this.commits.get(sha)?.message.includes("[skip ci]")) return "success";
    // A state set for a branch holds for the commits of that branch CI ran on.
    for (const [name, state] of this.refStates) {
      const head = this.refs.get(`heads/${name}`);
      if (head && this.isAncestor(sha, head)) return state;
    }
    return "success";
  }

  async commitOnBranch(
    branch: string,
    expectedHead: string,
    message: string,
    entries: TreeEntry[],
  ): Promise<string> {
    const headline = message.split("\n")[0] ?? "";
    this.call(
      "commitOnBranch",
      `${this.slug}:commit "${headline}" ${entries.map((e) => e.path).join(",")}`,
    );
    const head = this.refs.get(`heads/${branch}`);
    if (!head) throw new GitHubError(404, `Could not resolve to a Ref "refs/heads/${branch}"`);
    if (head !== expectedHead)
      throw new GitHubError(
        409,
        `Expected branch to point to "${expectedHead}" but it did not. Pull and try again.`,
      );
    const files = { ...this.trees.get(this.commits.get(head)!.tree)! };
    for (const e of entries) {
      if (e.content === null) delete files[e.path];
      else files[e.path] = e.content;
    }
    const sha = this.putCommit({ tree: this.putTree(files), parents: [head], message });
    this.refs.set(`heads/${branch}`, sha);
    return sha;
  }

  async labelEvents(issue: number): Promise<{ label: string; at: string; by: string }[]> {
    this.call("labelEvents", `GET label events #${issue}`);
    return this.labeledOf(this.mustIssue(issue));
  }

  async createIssue(title: string, body: string, labels: string[] = []): Promise<GhIssue> {
    const number = this.nextNumber;
    this.call("createIssue", `${this.slug}#${number}:create "${title}"`);
    this.nextNumber++;
    const at = this.iso();
    const issue: FakeIssue = {
      number,
      title,
      body,
      labels: [...labels],
      state: "open",
      author: this.botLogin,
      createdAt: at,
      updatedAt: at,
      isPullRequest: false,
      labeled: new Map(labels.map((l) => [l, { at, by: this.botLogin }])),
    };
    this.issues.set(number, issue);
    return this.toIssue(issue);
  }

  async updateIssue(issue: number, patch: IssuePatch): Promise<void> {
    const before = this.issues.get(issue)?.labels ?? [];
    const what = [
      patch.body !== undefined ? "body" : "",
      patch.labels ? labelDiff(before, patch.labels) : "",
      patch.state ? `${patch.state}${patch.stateReason ? ` ${patch.stateReason}` : ""}` : "",
    ]
      .filter((s) => s !== "")
      .join(" ");
    this.call("updateIssue", `${this.slug}#${issue}:edit ${what}`);
    const i = this.mustIssue(issue);
    if (patch.body !== undefined) i.body = patch.body;
    if (patch.labels) this.setIssueLabels(i, patch.labels, this.botLogin);
    if (patch.state) i.state = patch.state;
    if (patch.stateReason) i.stateReason = patch.stateReason;
    i.updatedAt = this.iso();
  }

  async addLabels(issue: number, labels: string[]): Promise<void> {
    this.call("addLabels", `${this.slug}#${issue}:${labels.map((l) => `+${l}`).join(",")}`);
    this.labelAs(this.botLogin, issue, labels);
  }

  async removeLabel(issue: number, label: string): Promise<void> {
    this.call("removeLabel", `${this.slug}#${issue}:-${label}`);
    const i = this.mustIssue(issue);
    if (!i.labels.includes(label)) throw new GitHubError(404, "Label does not exist");
    i.labels = i.labels.filter((l) => l !== label);
  }

  async setLabels(issue: number, labels: string[]): Promise<void> {
    const i = this.issues.get(issue);
    const before = i?.labels ?? [];
    this.call("setLabels", `${this.slug}#${issue}:${labelDiff(before, labels) || "="}`);
    this.setIssueLabels(this.mustIssue(issue), labels, this.botLogin);
  }

  async listTracked(
    labels: string[],
    boardLabel: string,
    active: string[] = [],
  ): Promise<TrackedIssues> {
    const issues = this.trackedOf(labels);
    // One GraphQL request per 100 tracked issues (the board comes with the first).
    this.call("listTracked", "GET tracked", { count: issues.length, data: null, graphql: true });
    return this.trackedResult(issues, { labels, boardLabel, active });
  }

  private trackedOf(labels: string[]): FakeIssue[] {
    return [...this.issues.values()].filter(
      (i) => !i.isPullRequest && i.state === "open" && i.labels.some((l) => labels.includes(l)),
    );
  }

  private trackedResult(issues: FakeIssue[], tracked: TrackedLabels): TrackedIssues {
    const boards = [...this.issues.values()].filter(
      (i) => !i.isPullRequest && i.labels.includes(tracked.boardLabel),
    );
    const active = tracked.active ?? [];
    const closed = [...this.issues.values()]
      .filter(
        (i) => !i.isPullRequest && i.state === "closed" && i.labels.some((l) => active.includes(l)),
      )
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
      .slice(0, 50);
    const withLinks = (i: FakeIssue): GhIssue => ({
      ...this.toIssue(i),
      linkedPulls: this.linkedPullsOf(i.number),
    });
    return {
      issues: issues.map((i) => ({ ...withLinks(i), labeled: this.labeledOf(i) })),
      boards: boards.slice(0, 5).map((i) => this.toIssue(i)),
      closed: closed.map(withLinks),
    };
  }

  /** PRs into the default branch whose body closes issue `n` ("Closes #n"), as GitHub links them. */
  private linkedPullsOf(n: number): GhPull[] {
    return [...this.pulls.values()]
      .filter((p) => this.closingRefs(p).includes(n))
      .map((p) => this.toPull(p, false));
  }

  private closingRefs(p: FakePull): number[] {
    if (p.baseRef !== this.defaultBranch) return [];
    const body = this.issues.get(p.number)?.body ?? "";
    return [...body.matchAll(/\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s+#(\d+)/gi)].map((m) =>
      Number(m[1]),
    );
  }

  private labeledOf(i: FakeIssue): { label: string; at: string; by: string }[] {
    return [...i.labeled].map(([label, e]) => ({ label, ...e }));
  }

  private toIssue(i: FakeIssue): GhIssue {
    const { labeled: _, stateReason: __, ...rest } = i;
    return { ...rest, labels: [...i.labels] };
  }

  private setIssueLabels(i: FakeIssue, labels: readonly string[], by: string): void {
    const at = this.iso();
    for (const l of labels) if (!i.labels.includes(l)) i.labeled.set(l, { at, by });
    i.labels = [...labels];
    i.updatedAt = at;
  }

  async listCommentsSince(since: string): Promise<GhComment[]> {
    const found = this.comments.filter((c) => c.updatedAt >= since);
    this.call("listCommentsSince", `GET comments since ${since}`, listed(found));
    return found.map((c) => ({ ...c }));
  }

  async listIssueComments(issue: number): Promise<GhComment[]> {
    const found = this.commentsOn(issue);
    this.call("listIssueComments", `GET comments #${issue}`, listed(found));
    return found.map((c) => ({ ...c }));
  }

  async createComment(issue: number, body: string): Promise<GhComment> {
    this.call("createComment", `${this.slug}#${issue}:comment "${firstLine(body)}"`);
    return { ...this.addComment(issue, body, this.botLogin) };
  }

  async updateComment(id: number, body: string): Promise<void> {
    const c = this.comments.find((x) => x.id === id);
    this.call("updateComment", `${this.slug}#${c?.issue ?? "?"}:edit-comment "${firstLine(body)}"`);
    if (!c) throw new GitHubError(404, "Not Found");
    c.body = body;
    c.updatedAt = this.iso();
  }

  async addReaction(commentId: number, content: "+1" | "eyes" | "confused"): Promise<void> {
    this.call("addReaction", `${this.slug}:react ${commentId} ${content}`);
    this.reactions.push(`${commentId}:${content}`);
  }

  async getPermission(user: string): Promise<Permission> {
    this.call("getPermission", `GET permission ${user}`);
    return this.permissions.get(user) ?? "none";
  }

  async listOpenPulls(): Promise<GhPull[]> {
    const open = [...this.pulls.values()].filter((p) => p.state === "open");
    const labels = open.map((p) => this.issues.get(p.number)?.labels);
    this.call("listOpenPulls", "GET pulls", { count: open.length, data: [open, labels] });
    return open.map((p) => this.toPull(p, false));
  }

  async getPull(pr: number): Promise<GhPull> {
    this.call("getPull", `GET pull #${pr}`);
    const p = this.mustPull(pr);
    const out = this.toPull(p, true);
    // The first read after the base moved answers null; GitHub computes it meanwhile.
    if (p.mergeable === null && p.state === "open") p.mergeable = !p.conflicts;
    return out;
  }

  async getPulls(
    numbers: number[],
    options: { files?: boolean } = {},
  ): Promise<Map<number, GhPullDetail>> {
    // One GraphQL request in the real port, whatever the number of PRs (up to 50).
    const wanted = [...new Set(numbers)];
    this.call(
      "getPulls",
      `GET pulls ${wanted.map((n) => `#${n}`).join(",")}${options.files ? " +files" : ""}`,
      undefined,
      Math.max(1, Math.ceil(wanted.length / 50)),
    );
    const out = new Map<number, GhPullDetail>();
    for (const n of wanted) {
      const p = this.pulls.get(n);
      if (!p) continue;
      out.set(n, { ...this.toPull(p, true), ...(options.files ? { files: [...p.files] } : {}) });
      if (p.mergeable === null && p.state === "open") p.mergeable = !p.conflicts;
    }
    return out;
  }

  async listPullFiles(pr: number): Promise<string[]> {
    const p = this.mustPull(pr);
    this.call("listPullFiles", `GET pull #${pr} files`, listed(p.files));
    return [...p.files];
  }

  async listReviews(pr: number): Promise<GhReview[]> {
    this.mustPull(pr);
    const reviews = this.reviews.get(pr) ?? [];
    this.call("listReviews", `GET pull #${pr} reviews`, listed(reviews));
    return reviews.map((r) => ({ ...r }));
  }

  /** `who` reviews the PR's current head (`APPROVED` by default). */
  review(pr: number, who: string, state = "APPROVED"): void {
    const p = this.mustPull(pr);
    this.reviews.set(pr, [
      ...(this.reviews.get(pr) ?? []),
      { author: who, state, commitId: p.headSha },
    ]);
  }

  async mergePull(pr: number, sha: string, method: MergeMethod, title?: string): Promise<string> {
    this.mergesInFlight++;
    this.maxConcurrentMerges = Math.max(this.maxConcurrentMerges, this.mergesInFlight);
    try {
      // Let any other caller run meanwhile, as a real request would.
      await new Promise((resolve) => setImmediate(resolve));
      return this.mergeNow(pr, sha, method, title);
    } finally {
      this.mergesInFlight--;
    }
  }

  /** A person merges the PR in GitHub's UI (not through the port: no call is recorded). */
  mergeByHand(pr: number): void {
    const p = this.mustPull(pr);
    this.applyMerge(p, `Merge pull request #${pr} (by hand)`);
  }

  private mergeNow(pr: number, sha: string, method: MergeMethod, title?: string): string {
    const line = `${this.slug}#${pr}:merge@${sha.slice(0, 7)} ${method}`;
    this.countCall(line, "mergePull");
    const failure = this.takeFailure("mergePull", line);
    if (failure && !failure.afterApplying) throw failure.error;
    const p = this.mustPull(pr);
    if (p.merged) throw new GitHubError(405, "Pull Request is not mergeable");
    if (p.headSha !== sha)
      throw new GitHubError(409, "Head branch was modified. Review and try the merge again.");
    if (p.conflicts || p.mergeable === false)
      throw new GitHubError(405, "Pull Request is not mergeable");
    const merged = this.applyMerge(p, title ?? `Merge pull request #${pr}`);
    this.merges.push(`#${pr}@${sha.slice(0, 7)}`);
    if (failure) throw failure.error;
    return merged;
  }

  /** What a merge does, through the API or by hand: the base moves, linked issues close. */
  private applyMerge(p: FakePull, message: string): string {
    const merged = this.applyToBranch(p.baseRef, p.files, message);
    p.merged = true;
    p.state = "closed";
    this.mustIssue(p.number).state = "closed";
    // Like GitHub: a merge into the default branch closes the issues the PR says it closes.
    for (const n of this.closingRefs(p)) {
      const linked = this.issues.get(n);
      if (linked && linked.state === "open") {
        linked.state = "closed";
        linked.stateReason = "completed";
        linked.updatedAt = this.iso();
      }
    }
    if (this.deleteBranchOnMerge) this.refs.delete(`heads/${p.headRef}`);
    for (const other of this.pulls.values())
      if (other.state === "open" && other.baseRef === p.baseRef) other.mergeable = null;
    return merged;
  }

  async listWorkflowRuns(workflow: string, since: string): Promise<GhRun[]> {
    const found = this.runs
      .filter((r) => workflow === AGENT_WORKFLOW && r.createdAt >= since)
      .slice()
      .reverse();
    this.call("listWorkflowRuns", `GET runs ${workflow}`, listed(found));
    return found.map(({ inputs: _inputs, cancelRequested: _c, ...r }) => ({ ...r }));
  }

  async dispatchWorkflow(
    workflow: string,
    ref: string,
    inputs: Record<string, string>,
  ): Promise<{ runId?: number; url?: string }> {
    const cid = inputs["correlation-id"] ?? "";
    const line = `${this.slug}:dispatch ${inputs.mode ?? "?"} ${cid}`;
    this.countCall(line, "dispatchWorkflow");
    const failure = this.takeFailure("dispatchWorkflow", line);
    if (failure && !failure.afterApplying) throw failure.error;
    if (workflow !== AGENT_WORKFLOW) throw new GitHubError(404, "Not Found");
    if (!this.refs.has(`heads/${ref}`)) throw new GitHubError(422, `No ref found for: ${ref}`);
    const id = this.nextId++;
    const url = `https://github.com/${this.owner}/${this.repo}/actions/runs/${id}`;
    this.runs.push({
      id,
      title: `conveyor ${cid}`,
      status: "queued",
      conclusion: null,
      createdAt: this.iso(),
      url,
      inputs: { ...inputs },
    });
    if (failure) throw failure.error; // the run started; the answer was lost
    return this.runDetails ? { runId: id, url } : {};
  }

  async cancelRun(runId: number, force: boolean): Promise<void> {
    this.call("cancelRun", `${this.slug}:${force ? "force-cancel" : "cancel"} run ${runId}`);
    const r = this.mustRun(runId);
    if (r.status === "completed")
      throw new GitHubError(409, "Cannot cancel a workflow run that is completed.");
    r.cancelRequested = true;
    if (force || r.status === "queued") {
      r.status = "completed";
      r.conclusion = "cancelled";
    }
  }

  async listCheckRuns(sha: string): Promise<GhCheckRun[]> {
    const found = this.checkRuns.filter((c) => c.headSha === sha);
    this.call("listCheckRuns", `GET check-runs ${sha.slice(0, 7)}`, listed(found));
    return found.map((c) => ({
      id: c.id,
      name: c.name,
      headSha: c.headSha,
      status: c.status,
      conclusion: c.conclusion ?? null,
    }));
  }

  async createCheckRun(input: CheckRunInput): Promise<number> {
    this.call(
      "createCheckRun",
      `${this.slug}:check "${input.name}" ${input.conclusion ?? input.status}`,
    );
    const id = this.nextId++;
    this.checkRuns.push({ ...input, id });
    return id;
  }

  async updateCheckRun(id: number, input: CheckRunInput): Promise<void> {
    this.call(
      "updateCheckRun",
      `${this.slug}:check "${input.name}" ${input.conclusion ?? input.status}`,
    );
    const i = this.checkRuns.findIndex((c) => c.id === id);
    if (i < 0) throw new GitHubError(404, "Not Found");
    this.checkRuns[i] = { ...input, id };
  }

  // ---------------------------------------------------------------------------------------
  // Internals
  // ---------------------------------------------------------------------------------------

  private get slug(): string {
    return `${this.owner}/${this.repo}`;
  }

  private iso(): string {
    return this.now().toISOString();
  }

  /** Records a call, counts its requests, and throws an injected failure if one matches. */
  private call(method: string, line: string, list?: Listed, requests = 1): void {
    this.countCall(line, method, list, requests);
    const failure = this.takeFailure(method, line);
    if (failure) throw failure.error;
    if (list) this.noteList(line, list);
  }

  /**
   * The port sends a one-page list with the ETag of its last answer (If-None-Match): when
   * the list did not change since, GitHub answers 304, which costs no rate limit.
   */
  private noteList(line: string, list: Listed): void {
    if (list.graphql) return; // GraphQL has no conditional requests
    const digest = JSON.stringify(list.data);
    if (pagesOf(list) === 1 && this.listDigests.get(line) === digest)
      this.notModified += requestsOf(list);
    this.listDigests.set(line, digest);
  }

  private countCall(line: string, method: string, list?: Listed, requests = 1): void {
    if (this.dead) throw new Error(`process crashed (call ${line} not sent)`);
    this.calls.push(line);
    if (list === undefined) {
      this.requests += requests;
    } else {
      this.requests += requestsOf(list);
    }
    if (WRITE_METHODS.has(method)) {
      this.writes++;
      if (this.crashAt !== undefined && this.writes === this.crashAt) {
        this.crashAt = undefined;
        this.dead = true;
        this.writes--;
        this.calls.pop();
        throw new Error(`injected crash before write ${this.writes}: ${line}`);
      }
    }
  }

  private takeFailure(
    method: string,
    line: string,
  ): { error: GitHubError; afterApplying: boolean } | undefined {
    const i = this.failures.findIndex((f) =>
      typeof f.match === "string" ? f.match === method : f.match.test(line),
    );
    if (i < 0) return undefined;
    const f = this.failures[i]!;
    f.run?.();
    f.times = (f.times ?? 1) - 1;
    if (f.times <= 0) this.failures.splice(i, 1);
    return {
      error: new GitHubError(f.status, f.message ?? `injected ${f.status}`, line),
      afterApplying: f.afterApplying === true,
    };
  }

  private toPull(p: FakePull, withMergeable: boolean): GhPull {
    return {
      number: p.number,
      title: p.title,
      headSha: p.headSha,
      headRef: p.headRef,
      baseRef: p.baseRef,
      state: p.state,
      merged: p.merged,
      mergeable: withMergeable ? (p.state === "open" ? p.mergeable : null) : null,
      labels: [...(this.issues.get(p.number)?.labels ?? [])],
      ...(p.fromFork ? { fromFork: true } : {}),
    };
  }

  /** Trees are content-addressed, like git: the same files give the same sha. */
  private putTree(files: Record<string, string>): string {
    const key = JSON.stringify(Object.entries(files).sort(([a], [b]) => a.localeCompare(b)));
    const known = this.treeByContent.get(key);
    if (known) return known;
    const sha = this.sha();
    this.trees.set(sha, files);
    this.treeByContent.set(key, sha);
    return sha;
  }

  private putCommit(c: FakeCommit): string {
    const sha = this.sha();
    this.commits.set(sha, c);
    return sha;
  }

  private sha(): string {
    return (this.nextSha++).toString(16).padStart(40, "0");
  }

  /** A commit on top of the default branch changing `files` (a PR branch's head). */
  private commitFiles(files: string[], message: string): string {
    const base = this.refs.get(`heads/${this.defaultBranch}`)!;
    const tree = { ...this.trees.get(this.commits.get(base)!.tree)! };
    for (const f of files) tree[f] = `${tree[f] ?? ""}${message}\n`;
    return this.putCommit({ tree: this.putTree(tree), parents: [base], message });
  }

  private applyToBranch(branch: string, files: string[], message: string): string {
    const head = this.refs.get(`heads/${branch}`)!;
    const tree = { ...this.trees.get(this.commits.get(head)!.tree)! };
    for (const f of files) tree[f] = `${tree[f] ?? ""}${message}\n`;
    const sha = this.putCommit({ tree: this.putTree(tree), parents: [head], message });
    this.refs.set(`heads/${branch}`, sha);
    return sha;
  }

  private isAncestor(ancestor: string, sha: string): boolean {
    const seen = new Set<string>();
    const stack = [sha];
    while (stack.length > 0) {
      const s = stack.pop()!;
      if (s === ancestor) return true;
      if (seen.has(s)) continue;
      seen.add(s);
      stack.push(...(this.commits.get(s)?.parents ?? []));
    }
    return false;
  }

  private resolve(ref: string): string {
    const sha = this.refs.get(`heads/${ref}`) ?? (this.commits.has(ref) ? ref : undefined);
    if (!sha) throw new GitHubError(404, `No commit found for ${ref}`);
    return sha;
  }

  private mustIssue(n: number): FakeIssue {
    const i = this.issues.get(n);
    if (!i) throw new GitHubError(404, `Issue #${n} not found`);
    return i;
  }

  private mustPull(n: number): FakePull {
    const p = this.pulls.get(n);
    if (!p) throw new GitHubError(404, `Pull request #${n} not found`);
    return p;
  }

  private mustRun(id: number): FakeRun {
    const r = this.runs.find((x) => x.id === id);
    if (!r) throw new GitHubError(404, `Run ${id} not found`);
    return r;
  }
}

/** True when a recorded call read PR `pr` (alone, or among several in one request). */
export function readsPull(call: string, pr: number): boolean {
  if (call === `GET pull #${pr}`) return true;
  const m = /^GET pulls (#[\d,#]+)/.exec(call);
  return m !== null && m[1]!.split(",").includes(`#${pr}`);
}

/** A list answer: how many items (pages of 100) and what it holds (for the ETag). */
interface Listed {
  count: number;
  data: unknown;
  /** Requests per page (default 1). */
  requests?: number;
  /** A GraphQL read: never answered 304. */
  graphql?: boolean;
}

const listed = (items: readonly unknown[]): Listed => ({ count: items.length, data: items });
const pagesOf = (list: Listed): number => Math.max(1, Math.ceil(list.count / 100));
const requestsOf = (list: Listed): number => pagesOf(list) * (list.requests ?? 1);

const labelDiff = (before: string[], after: string[]): string =>
  [
    ...before.filter((l) => !after.includes(l)).map((l) => `-${l}`),
    ...after.filter((l) => !before.includes(l)).map((l) => `+${l}`),
  ].join(",");

const firstLine = (text: string): string => {
  const line = text.split("\n")[0] ?? "";
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
};
