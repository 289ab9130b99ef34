import { COMMENTS_PER_ISSUE } from "../../../src/github/octokit-queries.js";
import {
  type CheckRunInput,
  type GhCheckRun,
  type GhComment,
  type GhIssue,
  type GhPull,
  type GhReview,
  type GhRun,
  GitHubError,
  type Permission,
  type TrackedIssues,
  type TrackedLabels,
} from "../../../src/github/port.js";

/** The repository's data: issues, PRs, refs and commits, runs; and the plumbing over it. */
export interface FakeIssue {
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

export interface FakePull {
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

export interface FakeCommit {
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
export interface FakeGitHubOptions {
  owner?: string;
  repo?: string;
  botLogin?: string;
  defaultBranch?: string;
  now?: () => Date;
  /** Answer dispatches with the run id (`return_run_details`); false: 204 like older servers. */
  runDetails?: boolean;
}

export class FakeStore {
  readonly owner: string;

  readonly repo: string;

  readonly botLogin: string;

  readonly defaultBranch: string;

  runDetails: boolean;

  now: () => Date;

  /** Merges in the order they happened: `#<pr>@<sha7>`. */
  readonly merges: string[] = [];

  /** Most merge calls in flight at once (a serialized merge queue keeps it at 1). */
  maxConcurrentMerges = 0;

  protected mergesInFlight = 0;

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

  protected readonly treeByContent = new Map<string, string>();

  protected nextNumber = 1;

  protected nextId = 1000;

  protected nextSha = 1;

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

  /** Repository setting `delete_branch_on_merge` (GitHub deletes merged head branches). */
  deleteBranchOnMerge = false;

  /** Current text of a file on a branch. */
  fileOn(branch: string, path: string): string | undefined {
    const sha = this.refs.get(`heads/${branch}`);
    if (!sha) return undefined;
    return this.trees.get(this.commits.get(sha)!.tree)?.[path];
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

  protected stateOf(ref: string): "success" | "failure" | "pending" {
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

  protected trackedOf(labels: string[]): FakeIssue[] {
    return [...this.issues.values()].filter(
      (i) => !i.isPullRequest && i.state === "open" && i.labels.some((l) => labels.includes(l)),
    );
  }

  protected trackedResult(issues: FakeIssue[], tracked: TrackedLabels): TrackedIssues {
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
    // Like the GraphQL read: each task's first 100 comments and how many it has.
    const withLinks = (i: FakeIssue): GhIssue => {
      const comments = this.commentsOn(i.number);
      return {
        ...this.toIssue(i),
        linkedPulls: this.linkedPullsOf(i.number),
        comments: comments.slice(0, COMMENTS_PER_ISSUE).map((c) => ({ ...c })),
        commentCount: comments.length,
      };
    };
    return {
      issues: issues.map((i) => ({ ...withLinks(i), labeled: this.labeledOf(i) })),
      boards: boards.slice(0, 5).map((i) => this.toIssue(i)),
      closed: closed.map(withLinks),
    };
  }

  /** PRs into the default branch whose body closes issue `n` ("Closes #n"), as GitHub links them. */
  protected linkedPullsOf(n: number): GhPull[] {
    return [...this.pulls.values()]
      .filter((p) => this.closingRefs(p).includes(n))
      .map((p) => this.toPull(p, false));
  }

  protected closingRefs(p: FakePull): number[] {
    if (p.baseRef !== this.defaultBranch) return [];
    const body = this.issues.get(p.number)?.body ?? "";
    return [...body.matchAll(/\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s+#(\d+)/gi)].map((m) =>
      Number(m[1]),
    );
  }

  protected labeledOf(i: FakeIssue): { label: string; at: string; by: string }[] {
    return [...i.labeled].map(([label, e]) => ({ label, ...e }));
  }

  protected toIssue(i: FakeIssue): GhIssue {
    const { labeled: _, stateReason: __, ...rest } = i;
    return { ...rest, labels: [...i.labels] };
  }

  protected setIssueLabels(i: FakeIssue, labels: readonly string[], by: string): void {
    const at = this.iso();
    for (const l of labels) if (!i.labels.includes(l)) i.labeled.set(l, { at, by });
    i.labels = [...labels];
    i.updatedAt = at;
  }

  /** What a merge does, through the API or by hand: the base moves, linked issues close. */
  protected applyMerge(p: FakePull, message: string): string {
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

  protected get slug(): string {
    return `${this.owner}/${this.repo}`;
  }

  protected iso(): string {
    return this.now().toISOString();
  }

  protected toPull(p: FakePull, withMergeable: boolean): GhPull {
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
  protected putTree(files: Record<string, string>): string {
    const key = JSON.stringify(Object.entries(files).sort(([a], [b]) => a.localeCompare(b)));
    const known = this.treeByContent.get(key);
    if (known) return known;
    const sha = this.sha();
    this.trees.set(sha, files);
    this.treeByContent.set(key, sha);
    return sha;
  }

  protected putCommit(c: FakeCommit): string {
    const sha = this.sha();
    this.commits.set(sha, c);
    return sha;
  }

  protected sha(): string {
    return (this.nextSha++).toString(16).padStart(40, "0");
  }

  /** A commit on top of the default branch changing `files` (a PR branch's head). */
  protected commitFiles(files: string[], message: string): string {
    const base = this.refs.get(`heads/${this.defaultBranch}`)!;
    const tree = { ...this.trees.get(this.commits.get(base)!.tree)! };
    for (const f of files) tree[f] = `${tree[f] ?? ""}${message}\n`;
    return this.putCommit({ tree: this.putTree(tree), parents: [base], message });
  }

  protected applyToBranch(branch: string, files: string[], message: string): string {
    const head = this.refs.get(`heads/${branch}`)!;
    const tree = { ...this.trees.get(this.commits.get(head)!.tree)! };
    for (const f of files) tree[f] = `${tree[f] ?? ""}${message}\n`;
    const sha = this.putCommit({ tree: this.putTree(tree), parents: [head], message });
    this.refs.set(`heads/${branch}`, sha);
    return sha;
  }

  protected isAncestor(ancestor: string, sha: string): boolean {
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

  protected resolve(ref: string): string {
    const sha = this.refs.get(`heads/${ref}`) ?? (this.commits.has(ref) ? ref : undefined);
    if (!sha) throw new GitHubError(404, `No commit found for ${ref}`);
    return sha;
  }

  protected mustIssue(n: number): FakeIssue {
    const i = this.issues.get(n);
    if (!i) throw new GitHubError(404, `Issue #${n} not found`);
    return i;
  }

  protected mustPull(n: number): FakePull {
    const p = this.pulls.get(n);
    if (!p) throw new GitHubError(404, `Pull request #${n} not found`);
    return p;
  }

  protected mustRun(id: number): FakeRun {
    const r = this.runs.find((x) => x.id === id);
    if (!r) throw new GitHubError(404, `Run ${id} not found`);
    return r;
  }
}
