import type { Octokit } from "@octokit/rest";
import {
  type CheckRunInput,
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
  type RefState,
  type TrackedIssues,
  type TrackedLabels,
  type TreeEntry,
} from "./port.js";

/** What the port needs of an Octokit (an @octokit/rest instance or Probot's context.octokit). */
export type OctokitLike = Pick<Octokit, "request">;

/** Per-request options: no automatic retry (@octokit/plugin-retry reads `request.retries`). */
const NO_RETRY = { request: { retries: 0 } } as const;

const PER_PAGE = 100;
/** Pages read at most per list (10,000 items); a bigger list is cut, not looped forever. */
const MAX_PAGES = 100;

type Json = Record<string, unknown>;

/**
 * The GitHub port over the REST API. Lists are paginated by hand (per_page 100) and their
 * first page is sent as a conditional request (ETag): a 304 costs no rate limit. Dispatch
 * and merge are sent without automatic retries: after an unclear answer the caller reads
 * the state again instead. Every failure becomes a `GitHubError` with the HTTP status.
 */
export class OctokitPort implements GitHubPort {
  private readonly etags = new Map<string, { etag: string; items: unknown[]; complete: boolean }>();

  constructor(
    private readonly octokit: OctokitLike,
    readonly owner: string,
    readonly repo: string,
  ) {}

  async readDefaultBranch(
    file: string,
    depth: number,
    tracked?: TrackedLabels,
  ): Promise<DefaultBranchRead> {
    const data = await this.graphql<{
      repository: (GqlDefaultBranch & Partial<GqlTracked>) | null;
    }>(
      DEFAULT_BRANCH_QUERY,
      {
        owner: this.owner,
        repo: this.repo,
        file,
        depth,
        labels: tracked?.labels ?? null,
        board: tracked ? [tracked.boardLabel] : null,
        active: tracked?.active ?? [],
        withTracked: tracked !== undefined,
        withClosed: (tracked?.active ?? []).length > 0,
      },
      "the default branch",
    );
    const repo = data.repository;
    if (!repo) throw new GitHubError(404, `${this.owner}/${this.repo} not found`, "POST /graphql");
    const ref = repo.defaultBranchRef;
    const commit = ref?.target;
    const text = commit?.file?.object?.text;
    const read: DefaultBranchRead = {
      name: ref?.name ?? "main",
      head: commit?.oid ?? "",
      fileText: typeof text === "string" ? text : undefined,
      deleteBranchOnMerge: repo.deleteBranchOnMerge === true,
      history: (commit?.history?.nodes ?? []).map((c) => ({
        sha: c.oid,
        state: rollupState(c.statusCheckRollup?.state),
        message: c.message,
      })),
    };
    if (tracked && repo.issues) {
      const issues = repo.issues.nodes.map(fromGqlIssue);
      const { pageInfo } = repo.issues;
      if (pageInfo.hasNextPage)
        issues.push(...(await this.trackedPages(tracked, pageInfo.endCursor)).issues);
      read.tracked = {
        issues,
        boards: (repo.board?.nodes ?? []).map(fromGqlIssue),
        closed: (repo.closed?.nodes ?? []).map(fromGqlIssue),
      };
    }
    return read;
  }

  async getBranchSha(branch: string): Promise<string | undefined> {
    // Read every pass (has the config changed?): with the ETag, unchanged costs nothing.
    try {
      const data = await this.conditional<Json>("GET /repos/{owner}/{repo}/git/ref/{ref}", {
        ref: `heads/${branch}`,
      });
      return String((data.object as Json).sha);
    } catch (e: unknown) {
      if (e instanceof GitHubError && e.status === 404) return undefined;
      throw e;
    }
  }

  async getFileText(path: string, ref: string): Promise<string | undefined> {
    const data = await this.optional<Json | Json[]>("GET /repos/{owner}/{repo}/contents/{path}", {
      path,
      ref,
    });
    if (!data || Array.isArray(data) || data.type !== "file") return undefined;
    return Buffer.from(String(data.content ?? ""), "base64").toString("utf8");
  }

  async createRef(ref: string, sha: string): Promise<void> {
    await this.call("POST /repos/{owner}/{repo}/git/refs", { ref: `refs/${ref}`, sha });
  }

  async deleteRef(ref: string): Promise<void> {
    await this.call("DELETE /repos/{owner}/{repo}/git/refs/{ref}", { ref });
  }

  async compareFiles(base: string, head: string): Promise<string[]> {
    const data = await this.call<Json>("GET /repos/{owner}/{repo}/compare/{basehead}", {
      basehead: `${base}...${head}`,
      per_page: PER_PAGE,
    });
    return ((data.files as Json[] | undefined) ?? []).map((f) => String(f.filename));
  }

  async refState(ref: string): Promise<RefState> {
    const data = await this.graphql<{
      repository: { object: { statusCheckRollup?: { state: string } | null } | null } | null;
    }>(REF_STATE_QUERY, { owner: this.owner, repo: this.repo, ref }, `state of ${ref}`);
    const commit = data.repository?.object;
    if (!commit) throw new GitHubError(404, `No commit found for the ref ${ref}`, "POST /graphql");
    return rollupState(commit.statusCheckRollup?.state);
  }

  async commitOnBranch(
    branch: string,
    expectedHead: string,
    message: string,
    entries: TreeEntry[],
  ): Promise<string> {
    const [headline = "", ...rest] = message.split("\n");
    const body = rest.join("\n").trim();
    const input = {
      branch: { repositoryNameWithOwner: `${this.owner}/${this.repo}`, branchName: branch },
      expectedHeadOid: expectedHead,
      message: { headline, ...(body ? { body } : {}) },
      fileChanges: {
        additions: entries
          .filter((e) => e.content !== null)
          .map((e) => ({
            path: e.path,
            contents: Buffer.from(e.content ?? "").toString("base64"),
          })),
        deletions: entries.filter((e) => e.content === null).map((e) => ({ path: e.path })),
      },
    };
    // Pinned to `expectedHead`, and still never retried automatically: after an unclear
    // answer the caller reads the branch again.
    const data = await this.graphql<{ createCommitOnBranch: { commit: { oid: string } | null } }>(
      COMMIT_MUTATION,
      { input },
      `commit on ${branch}`,
      true,
    );
    const oid = data.createCommitOnBranch.commit?.oid;
    if (!oid) throw new GitHubError(422, `no commit was made on ${branch}`, "POST /graphql");
    return oid;
  }

  async listTracked(
    labels: string[],
    boardLabel: string,
    active: string[] = [],
  ): Promise<TrackedIssues> {
    return this.trackedPages({ labels, boardLabel, active }, null);
  }

  /** Pages of tracked issues from `after` (null: the first page, with the dashboard). */
  private async trackedPages(tracked: TrackedLabels, start: string | null): Promise<TrackedIssues> {
    const issues: GhIssue[] = [];
    let boards: GhIssue[] = [];
    let closed: GhIssue[] = [];
    let after = start;
    for (let page = 1; page <= MAX_PAGES; page++) {
      const data: { repository: GqlTracked | null } = await this.graphql(
        TRACKED_QUERY,
        {
          owner: this.owner,
          repo: this.repo,
          labels: tracked.labels,
          board: [tracked.boardLabel],
          active: tracked.active ?? [],
          after,
          withBoard: after === null,
          withClosed: after === null && (tracked.active ?? []).length > 0,
        },
        "the tracked issues",
      );
      const repo = data.repository;
      if (!repo)
        throw new GitHubError(404, `${this.owner}/${this.repo} not found`, "POST /graphql");
      issues.push(...repo.issues.nodes.map(fromGqlIssue));
      if (repo.board) boards = repo.board.nodes.map(fromGqlIssue);
      if (repo.closed) closed = repo.closed.nodes.map(fromGqlIssue);
      if (!repo.issues.pageInfo.hasNextPage) break;
      after = repo.issues.pageInfo.endCursor;
    }
    return { issues, boards, closed };
  }

  async labelEvents(issue: number): Promise<{ label: string; at: string; by: string }[]> {
    const data = await this.graphql<{
      repository: { issueOrPullRequest: Pick<GqlIssue, "timelineItems"> | null } | null;
    }>(LABEL_EVENTS_QUERY, { owner: this.owner, repo: this.repo, n: issue }, `labels of #${issue}`);
    const node = data.repository?.issueOrPullRequest;
    if (!node) throw new GitHubError(404, `#${issue} not found`, "POST /graphql");
    return labeledOf(node.timelineItems);
  }

  async createIssue(title: string, body: string, labels: string[] = []): Promise<GhIssue> {
    const data = await this.call<Json>("POST /repos/{owner}/{repo}/issues", {
      title,
      body,
      labels,
    });
    return toIssue(data);
  }

  async updateIssue(issue: number, patch: IssuePatch): Promise<void> {
    await this.call("PATCH /repos/{owner}/{repo}/issues/{issue_number}", {
      issue_number: issue,
      ...(patch.body !== undefined ? { body: patch.body } : {}),
      ...(patch.labels ? { labels: patch.labels } : {}),
      ...(patch.state ? { state: patch.state } : {}),
      ...(patch.stateReason ? { state_reason: patch.stateReason } : {}),
    });
  }

  async addLabels(issue: number, labels: string[]): Promise<void> {
    await this.call("POST /repos/{owner}/{repo}/issues/{issue_number}/labels", {
      issue_number: issue,
      labels,
    });
  }

  async removeLabel(issue: number, label: string): Promise<void> {
    await this.call("DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", {
      issue_number: issue,
      name: label,
    });
  }

  async setLabels(issue: number, labels: string[]): Promise<void> {
    await this.call("PUT /repos/{owner}/{repo}/issues/{issue_number}/labels", {
      issue_number: issue,
      labels,
    });
  }

  async listCommentsSince(since: string): Promise<GhComment[]> {
    const items = await this.list("GET /repos/{owner}/{repo}/issues/comments", {
      since,
      sort: "created",
      direction: "asc",
    });
    return items.map(toComment);
  }

  async listIssueComments(issue: number): Promise<GhComment[]> {
    const items = await this.list("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      issue_number: issue,
    });
    return items.map(toComment);
  }

  async createComment(issue: number, body: string): Promise<GhComment> {
    const data = await this.call<Json>(
      "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
      {
        issue_number: issue,
        body,
      },
    );
    return toComment(data);
  }

  async updateComment(id: number, body: string): Promise<void> {
    await this.call("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", {
      comment_id: id,
      body,
    });
  }

  async addReaction(commentId: number, content: "+1" | "eyes" | "confused"): Promise<void> {
    await this.call("POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", {
      comment_id: commentId,
      content,
    });
  }

  async getPermission(user: string): Promise<Permission> {
    const data = await this.optional<Json>(
      "GET /repos/{owner}/{repo}/collaborators/{username}/permission",
      { username: user },
    );
    if (!data) return "none";
    const role = String(data.role_name ?? "");
    const known: Permission[] = ["admin", "maintain", "write", "triage", "read"];
    if ((known as string[]).includes(role)) return role as Permission;
    const permission = String(data.permission ?? "none");
    return (known as string[]).includes(permission) ? (permission as Permission) : "none";
  }

  async listOpenPulls(): Promise<GhPull[]> {
    const items = await this.list("GET /repos/{owner}/{repo}/pulls", { state: "open" });
    return items.map((p) => toPull(p));
  }

  async getPull(pr: number): Promise<GhPull> {
    const data = await this.call<Json>("GET /repos/{owner}/{repo}/pulls/{pull_number}", {
      pull_number: pr,
    });
    return toPull(data, true);
  }

  async getPulls(
    numbers: number[],
    options: { files?: boolean } = {},
  ): Promise<Map<number, GhPullDetail>> {
    const out = new Map<number, GhPullDetail>();
    const wanted = [...new Set(numbers)].filter((n) => Number.isSafeInteger(n) && n > 0);
    for (let i = 0; i < wanted.length; i += PULLS_PER_QUERY) {
      const chunk = wanted.slice(i, i + PULLS_PER_QUERY);
      const { query, variables } = pullsQuery(this.owner, this.repo, chunk, options.files === true);
      // A PR that does not exist is an error for its alias only: the others still answer.
      const data = await this.graphql<{ repository: Record<string, GqlPull | null> | null }>(
        query,
        variables,
        `PRs ${chunk.map((n) => `#${n}`).join(", ")}`,
        false,
        (err) => err.type === "NOT_FOUND",
      );
      for (const node of Object.values(data.repository ?? {})) {
        if (!node) continue;
        const pull = fromGqlPull(node);
        if (options.files) {
          pull.files = node.files?.pageInfo.hasNextPage
            ? await this.listPullFiles(pull.number) // more than one page: the REST list
            : (node.files?.nodes ?? []).map((f) => f.path);
        }
        out.set(pull.number, pull);
      }
    }
    return out;
  }

  async listPullFiles(pr: number): Promise<string[]> {
    const items = await this.list("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", {
      pull_number: pr,
    });
    return items.map((f) => String(f.filename));
  }

  async listReviews(pr: number): Promise<GhReview[]> {
    const items = await this.list("GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews", {
      pull_number: pr,
    });
    return items.map((r) => ({
      author: String((r.user as Json | null)?.login ?? ""),
      state: String(r.state ?? ""),
      commitId: String(r.commit_id ?? ""),
    }));
  }

  async mergePull(pr: number, sha: string, method: MergeMethod, title?: string): Promise<string> {
    const data = await this.call<Json>("PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge", {
      pull_number: pr,
      sha,
      merge_method: method,
      ...(title ? { commit_title: title } : {}),
      ...NO_RETRY,
    });
    return String(data.sha ?? "");
  }

  async listWorkflowRuns(workflow: string, since: string): Promise<GhRun[]> {
    const items = await this.list(
      "GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs",
      { workflow_id: workflow, created: `>=${since.replace(/\.\d{3}Z$/, "Z")}` },
      "workflow_runs",
    );
    return items.map(toRun);
  }

  async dispatchWorkflow(
    workflow: string,
    ref: string,
    inputs: Record<string, string>,
  ): Promise<{ runId?: number; url?: string }> {
    const route = "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches";
    let data: Json | undefined;
    try {
      data = await this.call<Json | undefined>(route, {
        workflow_id: workflow,
        ref,
        inputs,
        return_run_details: true,
        ...NO_RETRY,
      });
    } catch (e: unknown) {
      // A server that does not know `return_run_details` rejects the request without
      // dispatching anything: sending it again without the flag starts one run, not two.
      if (!(e instanceof GitHubError) || e.status !== 422 || !/return_run_details/.test(e.message))
        throw e;
      await this.call(route, { workflow_id: workflow, ref, inputs, ...NO_RETRY });
      return {};
    }
    if (!data || typeof data !== "object" || data.workflow_run_id === undefined) return {};
    return {
      runId: Number(data.workflow_run_id),
      ...(data.html_url ? { url: String(data.html_url) } : {}),
    };
  }

  async cancelRun(runId: number, force: boolean): Promise<void> {
    await this.call(
      force
        ? "POST /repos/{owner}/{repo}/actions/runs/{run_id}/force-cancel"
        : "POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel",
      { run_id: runId },
    );
  }

  async listCheckRuns(sha: string): Promise<GhCheckRun[]> {
    const items = await this.list(
      "GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
      { ref: sha },
      "check_runs",
    );
    return items.map((c) => ({
      id: Number(c.id),
      name: String(c.name),
      headSha: String(c.head_sha),
      status: c.status as GhCheckRun["status"],
      conclusion: (c.conclusion as string | null) ?? null,
    }));
  }

  async createCheckRun(input: CheckRunInput): Promise<number> {
    const data = await this.call<Json>("POST /repos/{owner}/{repo}/check-runs", {
      head_sha: input.headSha,
      ...checkBody(input),
    });
    return Number(data.id);
  }

  async updateCheckRun(id: number, input: CheckRunInput): Promise<void> {
    await this.call("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", {
      check_run_id: id,
      ...checkBody(input),
    });
  }

  // ---------------------------------------------------------------------------------------

  private async call<T>(route: string, params: Json): Promise<T> {
    try {
      const res = await this.octokit.request(route, {
        owner: this.owner,
        repo: this.repo,
        ...params,
      });
      return res.data as T;
    } catch (e: unknown) {
      throw toGitHubError(e, route);
    }
  }

  /**
   * A GraphQL request (`POST /graphql`). GraphQL answers 200 with `errors` for most
   * failures: they become a GitHubError like a REST one (NOT_FOUND 404, a stale expected
   * head 409, FORBIDDEN 403, RATE_LIMITED 429, others 422). `ignore` lets some errors pass
   * (the data of the other fields is returned).
   */
  private async graphql<T>(
    query: string,
    variables: Json,
    what: string,
    noRetry = false,
    ignore?: (error: GqlError) => boolean,
  ): Promise<T> {
    let res: { data: unknown };
    try {
      res = await this.octokit.request(`POST ${this.graphqlUrl()}`, {
        query,
        variables,
        ...(noRetry ? NO_RETRY : {}),
      });
    } catch (e: unknown) {
      throw toGitHubError(e, `POST /graphql (${what})`);
    }
    const body = (res.data ?? {}) as { data?: T | null; errors?: GqlError[] };
    const errors = (body.errors ?? []).filter((e) => !ignore?.(e));
    if (errors.length > 0 || !body.data) {
      const first = errors[0] ?? { message: "no data in the answer" };
      throw new GitHubError(gqlStatus(first), `${what}: ${first.message}`, "POST /graphql");
    }
    return body.data;
  }

  /**
   * Where GraphQL is: `/graphql` on api.github.com; on GitHub Enterprise Server, whose REST
   * API is `https://host/api/v3`, it is `https://host/api/graphql`.
   */
  private graphqlUrl(): string {
    const request = this.octokit.request as { endpoint?: { DEFAULTS?: { baseUrl?: string } } };
    const base = request.endpoint?.DEFAULTS?.baseUrl ?? "";
    return /\/api\/v3\/?$/.test(base) ? base.replace(/\/api\/v3\/?$/, "/api/graphql") : "/graphql";
  }

  /**
   * A GET sent with the ETag of its last answer (`If-None-Match`): a 304 returns that
   * answer again and costs no rate limit. For reads repeated each pass (the base's status).
   */
  private async conditional<T>(route: string, params: Json): Promise<T> {
    const key = `${route} ${JSON.stringify(params)}`;
    const cached = this.etags.get(key);
    try {
      const res = (await this.octokit.request(route, {
        owner: this.owner,
        repo: this.repo,
        ...params,
        ...(cached ? { headers: { "if-none-match": cached.etag } } : {}),
      })) as { data: unknown; headers: Record<string, unknown> };
      if (typeof res.headers.etag === "string") {
        if (this.etags.size >= 1000) this.etags.clear();
        this.etags.set(key, { etag: res.headers.etag, items: [res.data], complete: true });
      }
      return res.data as T;
    } catch (e: unknown) {
      if (cached && statusOf(e) === 304) return cached.items[0] as T;
      throw toGitHubError(e, route);
    }
  }

  /** A GET whose 404 means "absent". */
  private async optional<T>(route: string, params: Json): Promise<T | undefined> {
    try {
      return await this.call<T>(route, params);
    } catch (e: unknown) {
      if (e instanceof GitHubError && e.status === 404) return undefined;
      throw e;
    }
  }

  /**
   * A paginated list. The first page goes with `If-None-Match` when we saw it before: a 304
   * means the whole list is unchanged (when it fitted in one page) and costs nothing.
   */
  private async list(route: string, params: Json, key?: string): Promise<Json[]> {
    const cacheKey = `${route} ${JSON.stringify(params)}`;
    const cached = this.etags.get(cacheKey);
    const items: Json[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      let res: { data: unknown; headers: Record<string, unknown> };
      try {
        res = (await this.octokit.request(route, {
          owner: this.owner,
          repo: this.repo,
          ...params,
          per_page: PER_PAGE,
          page,
          ...(page === 1 && cached?.complete ? { headers: { "if-none-match": cached.etag } } : {}),
        })) as { data: unknown; headers: Record<string, unknown> };
      } catch (e: unknown) {
        if (page === 1 && cached && statusOf(e) === 304) return cached.items as Json[];
        throw toGitHubError(e, route);
      }
      const data = res.data as Json | Json[];
      const pageItems =
        (key ? ((data as Json)[key] as Json[] | undefined) : (data as Json[])) ?? [];
      items.push(...pageItems);
      if (page === 1 && typeof res.headers.etag === "string")
        this.etags.set(cacheKey, {
          etag: res.headers.etag,
          items: pageItems,
          complete: pageItems.length < PER_PAGE,
        });
      if (pageItems.length < PER_PAGE) break;
    }
    return items;
  }
}

interface GqlError {
  type?: string;
  message: string;
  path?: (string | number)[];
}

function gqlStatus(e: GqlError): number {
  if (/expectedHeadOid|expected branch to point to/i.test(e.message) || e.type === "STALE_DATA")
    return 409;
  switch (e.type) {
    case "NOT_FOUND":
      return 404;
    case "FORBIDDEN":
      return 403;
    case "RATE_LIMITED":
      return 429;
    default:
      return 422;
  }
}

function rollupState(state: string | undefined): RefState {
  switch (state) {
    case "FAILURE":
    case "ERROR":
      return "failure";
    case "PENDING":
    case "EXPECTED":
      return "pending";
    default:
      return "success"; // SUCCESS, or no statuses and no check runs at all
  }
}

interface GqlDefaultBranch {
  deleteBranchOnMerge: boolean;
  defaultBranchRef: {
    name: string;
    target: {
      oid?: string;
      file?: { object: { text?: string | null } | null } | null;
      history?: {
        nodes: { oid: string; message: string; statusCheckRollup: { state: string } | null }[];
      };
    } | null;
  } | null;
}

/** The last label events of an issue or PR: when each label was added, and by whom. */
const LABEL_EVENTS = `timelineItems(itemTypes: [LABELED_EVENT], last: 30) {
        nodes { ... on LabeledEvent { createdAt label { name } actor { __typename login } } }
      }`;

const ISSUE_FIELDS = `number title body state createdAt updatedAt
      author { __typename login }
      labels(first: 100) { nodes { name } }`;

/**
 * The tracked issues (open, carrying any of `$labels`) with the last label events of each,
 * and the dashboard (`$board`, any state); each only when its variable says so.
 */
function trackedFields(
  issuesIf: string | undefined,
  boardIf: string,
  closedIf: string,
  paged: boolean,
): string {
  const issuesDirective = issuesIf ? ` @include(if: ${issuesIf})` : "";
  return `    issues(states: OPEN, labels: $labels, first: 100, ${paged ? "after: $after, " : ""}orderBy: {field: CREATED_AT, direction: ASC})${issuesDirective} {
      pageInfo { hasNextPage endCursor }
      nodes {
        ${ISSUE_FIELDS}
        ${LINKED_PULLS}
        ${LABEL_EVENTS}
      }
    }
    board: issues(labels: $board, first: 5, orderBy: {field: CREATED_AT, direction: ASC}) @include(if: ${boardIf}) {
      nodes { ${ISSUE_FIELDS} }
    }
    closed: issues(states: CLOSED, labels: $active, first: 50, orderBy: {field: UPDATED_AT, direction: DESC}) @include(if: ${closedIf}) {
      nodes { ${ISSUE_FIELDS} ${LINKED_PULLS} }
    }`;
}

/** The PRs that close an issue when they merge ("Closes #N"), open or not. */
const LINKED_PULLS = `closedByPullRequestsReferences(first: 5, includeClosedPrs: true) {
          nodes { number title headRefOid headRefName baseRefName isCrossRepository state merged mergeable labels(first: 20) { nodes { name } } }
        }`;

const DEFAULT_BRANCH_QUERY = `query DefaultBranch($owner: String!, $repo: String!, $file: String!, $depth: Int!, $labels: [String!], $board: [String!], $active: [String!], $withTracked: Boolean!, $withClosed: Boolean!) {
  repository(owner: $owner, name: $repo) {
${trackedFields("$withTracked", "$withTracked", "$withClosed", false)}
    deleteBranchOnMerge
    defaultBranchRef {
      name
      target {
        ... on Commit {
          oid
          file(path: $file) { object { ... on Blob { text } } }
          history(first: $depth) { nodes { oid message statusCheckRollup { state } } }
        }
      }
    }
  }
}`;

interface GqlActor {
  __typename: string;
  login: string;
}

interface GqlIssue {
  number: number;
  title: string;
  body: string;
  state: "OPEN" | "CLOSED";
  createdAt: string;
  updatedAt: string;
  author: GqlActor | null;
  labels: { nodes: { name: string }[] } | null;
  timelineItems?: {
    nodes: ({ createdAt: string; label: { name: string } | null; actor: GqlActor | null } | null)[];
  };
  closedByPullRequestsReferences?: { nodes: (GqlPull | null)[] };
}

interface GqlTracked {
  issues: { nodes: GqlIssue[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
  board?: { nodes: GqlIssue[] } | null;
  closed?: { nodes: GqlIssue[] } | null;
}

/** GraphQL names a GitHub App's bot `conveyor`; REST (and webhooks) `conveyor[bot]`. */
const loginOf = (actor: GqlActor | null): string =>
  !actor ? "" : actor.__typename === "Bot" ? `${actor.login}[bot]` : actor.login;

/** The last time each label was added, and by whom, from LABELED_EVENT timeline items. */
function labeledOf(items: GqlIssue["timelineItems"]): { label: string; at: string; by: string }[] {
  const labeled = new Map<string, { label: string; at: string; by: string }>();
  for (const e of items?.nodes ?? []) {
    if (!e?.label) continue;
    labeled.set(e.label.name, { label: e.label.name, at: e.createdAt, by: loginOf(e.actor) });
  }
  return [...labeled.values()];
}

function fromGqlIssue(i: GqlIssue): GhIssue {
  return {
    number: i.number,
    title: i.title,
    body: i.body,
    labels: (i.labels?.nodes ?? []).map((l) => l.name),
    state: i.state === "OPEN" ? "open" : "closed",
    author: loginOf(i.author),
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
    isPullRequest: false,
    ...(i.timelineItems ? { labeled: labeledOf(i.timelineItems) } : {}),
    ...(i.closedByPullRequestsReferences
      ? {
          linkedPulls: i.closedByPullRequestsReferences.nodes
            .filter((p): p is GqlPull => p !== null)
            .map(fromGqlPull),
        }
      : {}),
  };
}

/** The issues Conveyor tracks (any of the stage labels: GraphQL's label filter is an OR, REST's an AND). */
const TRACKED_QUERY = `query Tracked($owner: String!, $repo: String!, $labels: [String!], $board: [String!], $active: [String!], $after: String, $withBoard: Boolean!, $withClosed: Boolean!) {
  repository(owner: $owner, name: $repo) {
${trackedFields(undefined, "$withBoard", "$withClosed", true)}
  }
}`;

const LABEL_EVENTS_QUERY = `query LabelEvents($owner: String!, $repo: String!, $n: Int!) {
  repository(owner: $owner, name: $repo) {
    issueOrPullRequest(number: $n) {
      ... on Issue { ${LABEL_EVENTS} }
      ... on PullRequest { ${LABEL_EVENTS} }
    }
  }
}`;

const REF_STATE_QUERY = `query RefState($owner: String!, $repo: String!, $ref: String!) {
  repository(owner: $owner, name: $repo) {
    object(expression: $ref) {
      ... on Commit { statusCheckRollup { state } }
    }
  }
}`;

const COMMIT_MUTATION = `mutation CommitFiles($input: CreateCommitOnBranchInput!) {
  createCommitOnBranch(input: $input) { commit { oid } }
}`;

/** PRs per GraphQL query (aliases); each may carry up to 100 files. */
const PULLS_PER_QUERY = 50;

interface GqlPull {
  number: number;
  title: string;
  headRefOid: string;
  headRefName: string;
  baseRefName: string;
  isCrossRepository?: boolean;
  state: "OPEN" | "CLOSED" | "MERGED";
  merged: boolean;
  mergeable: "MERGEABLE" | "CONFLICTING" | "UNKNOWN";
  labels: { nodes: { name: string }[] } | null;
  files?: { nodes: { path: string }[]; pageInfo: { hasNextPage: boolean } } | null;
}

/** One query for several PRs: an alias per PR, the numbers as variables. */
function pullsQuery(
  owner: string,
  repo: string,
  numbers: number[],
  files: boolean,
): { query: string; variables: Json } {
  const fields = `number title headRefOid headRefName baseRefName isCrossRepository state merged mergeable
      labels(first: 100) { nodes { name } }${files ? "\n      files(first: 100) { nodes { path } pageInfo { hasNextPage } }" : ""}`;
  const params = numbers.map((_, i) => `$n${i}: Int!`).join(", ");
  const aliases = numbers
    .map((_, i) => `    pr${i}: pullRequest(number: $n${i}) {\n      ${fields}\n    }`)
    .join("\n");
  const variables: Json = { owner, repo };
  numbers.forEach((n, i) => {
    variables[`n${i}`] = n;
  });
  return {
    query: `query Pulls($owner: String!, $repo: String!, ${params}) {\n  repository(owner: $owner, name: $repo) {\n${aliases}\n  }\n}`,
    variables,
  };
}

function fromGqlPull(p: GqlPull): GhPullDetail {
  return {
    number: p.number,
    title: p.title,
    headSha: p.headRefOid,
    headRef: p.headRefName,
    baseRef: p.baseRefName,
    state: p.state === "OPEN" ? "open" : "closed",
    merged: p.merged,
    mergeable: p.mergeable === "MERGEABLE" ? true : p.mergeable === "CONFLICTING" ? false : null,
    labels: (p.labels?.nodes ?? []).map((l) => l.name),
    ...(p.isCrossRepository ? { fromFork: true } : {}),
  };
}

function checkBody(input: CheckRunInput): Json {
  return {
    name: input.name,
    status: input.status,
    ...(input.conclusion ? { conclusion: input.conclusion } : {}),
    output: {
      title: input.title,
      summary: input.summary,
      ...(input.text ? { text: input.text } : {}),
    },
  };
}

function toIssue(i: Json): GhIssue {
  return {
    number: Number(i.number),
    title: String(i.title ?? ""),
    body: String(i.body ?? ""),
    labels: ((i.labels as (Json | string)[] | undefined) ?? []).map((l) =>
      typeof l === "string" ? l : String(l.name),
    ),
    state: i.state === "closed" ? "closed" : "open",
    author: String((i.user as Json | null)?.login ?? ""),
    createdAt: String(i.created_at),
    updatedAt: String(i.updated_at),
    isPullRequest: i.pull_request !== undefined && i.pull_request !== null,
  };
}

function toComment(c: Json): GhComment {
  const url = String(c.issue_url ?? "");
  return {
    id: Number(c.id),
    issue: Number(url.slice(url.lastIndexOf("/") + 1)),
    body: String(c.body ?? ""),
    author: String((c.user as Json | null)?.login ?? ""),
    createdAt: String(c.created_at),
    updatedAt: String(c.updated_at),
  };
}

function toPull(p: Json, withMergeable = false): GhPull {
  const head = p.head as Json;
  const base = p.base as Json;
  return {
    number: Number(p.number),
    title: String(p.title ?? ""),
    headSha: String(head.sha),
    headRef: String(head.ref),
    baseRef: String(base.ref),
    state: p.state === "closed" ? "closed" : "open",
    merged: p.merged === true || (p.merged_at !== null && p.merged_at !== undefined),
    mergeable: withMergeable ? ((p.mergeable as boolean | null | undefined) ?? null) : null,
    labels: ((p.labels as Json[] | undefined) ?? []).map((l) => String(l.name)),
    ...(isFork(head, base) ? { fromFork: true } : {}),
  };
}

/** A head in another repository than the base (or in a deleted fork: `repo` null). */
function isFork(head: Json, base: Json): boolean {
  const headRepo = head.repo as Json | null | undefined;
  const baseRepo = base.repo as Json | null | undefined;
  if (headRepo === undefined || baseRepo === undefined) return false; // not in the answer
  if (headRepo === null) return true;
  return String(headRepo.full_name) !== String(baseRepo?.full_name);
}

function toRun(r: Json): GhRun {
  return {
    id: Number(r.id),
    title: String(r.display_title ?? r.name ?? ""),
    status: String(r.status) as GhRun["status"],
    conclusion: (r.conclusion as string | null | undefined) ?? null,
    createdAt: String(r.created_at),
    ...(r.run_started_at ? { startedAt: String(r.run_started_at) } : {}),
    url: String(r.html_url ?? ""),
  };
}

function statusOf(e: unknown): number {
  if (typeof e === "object" && e !== null && "status" in e) {
    const s = (e as { status: unknown }).status;
    if (typeof s === "number") return s;
  }
  return 0;
}

function toGitHubError(e: unknown, route: string): GitHubError {
  if (e instanceof GitHubError) return e;
  const status = statusOf(e);
  const message = e instanceof Error ? e.message : String(e);
  return new GitHubError(status, message, route);
}
