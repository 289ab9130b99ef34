import {
  checkBody,
  ciState,
  fromGqlIssue,
  fromGqlPull,
  type GqlDefaultBranch,
  type GqlIssue,
  type GqlPull,
  type GqlRollup,
  type GqlTracked,
  labeledOf,
  toComment,
  toIssue,
  toPull,
  toRun,
} from "./octokit-mappers.js";
import {
  COMMIT_MUTATION,
  DEFAULT_BRANCH_QUERY,
  LABEL_EVENTS_QUERY,
  PULLS_PER_QUERY,
  pullsQuery,
  REF_STATE_QUERY,
  TRACKED_QUERY,
} from "./octokit-queries.js";
import { type OctokitLike, OctokitTransport, type TransportOptions } from "./octokit-transport.js";
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

export type { OctokitLike } from "./octokit-transport.js";

/** Pages of tracked issues read at most (10,000 issues). */
const MAX_PAGES = 100;

type Json = Record<string, unknown>;

/**
 * The GitHub port over the REST and GraphQL APIs, built per pass over that pass's Octokit
 * (the ETag cache, given in `options.etags`, outlives it in the repository's memo). How it
 * talks HTTP is `OctokitTransport`'s (explicit REST and GraphQL URLs, pagination, ETags,
 * request counting, errors that name the call); the documents are `octokit-queries.ts`, the
 * answers become port values in `octokit-mappers.ts`. Dispatch, merge and the mirror commit
 * are sent without automatic retries: after an unclear answer the caller reads the state
 * again instead.
 */
export class OctokitPort implements GitHubPort {
  readonly transport: OctokitTransport;

  constructor(
    octokit: OctokitLike,
    readonly owner: string,
    readonly repo: string,
    options: TransportOptions = {},
  ) {
    this.transport = new OctokitTransport(octokit, owner, repo, options);
  }

  get webUrl(): string {
    return this.transport.urls.web;
  }

  requestsSent(): number {
    return this.transport.requestsSent();
  }

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
        state: ciState(c.statusCheckRollup),
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
      const data = await this.transport.conditional<Json>(
        "GET /repos/{owner}/{repo}/git/ref/{ref}",
        {
          ref: `heads/${branch}`,
        },
      );
      return String((data.object as Json).sha);
    } catch (e: unknown) {
      if (e instanceof GitHubError && e.status === 404) return undefined;
      throw e;
    }
  }

  async getFileText(path: string, ref: string): Promise<string | undefined> {
    const data = await this.transport.optional<Json | Json[]>(
      "GET /repos/{owner}/{repo}/contents/{path}",
      {
        path,
        ref,
      },
    );
    if (!data || Array.isArray(data) || data.type !== "file") return undefined;
    return Buffer.from(String(data.content ?? ""), "base64").toString("utf8");
  }

  async createRef(ref: string, sha: string): Promise<void> {
    await this.call("POST /repos/{owner}/{repo}/git/refs", { ref: `refs/${ref}`, sha });
  }

  async deleteRef(ref: string): Promise<void> {
    await this.call("DELETE /repos/{owner}/{repo}/git/refs/{ref}", { ref });
  }

  async createTree(files: Record<string, string>): Promise<string> {
    const tree = Object.entries(files).map(([path, content]) => ({
      path,
      mode: "100644",
      type: "blob",
      content,
    }));
    const data = await this.call<Json>("POST /repos/{owner}/{repo}/git/trees", { tree });
    return String(data.sha);
  }

  async createCommit(message: string, tree: string, parents: string[]): Promise<string> {
    const data = await this.call<Json>("POST /repos/{owner}/{repo}/git/commits", {
      message,
      tree,
      parents,
    });
    return String(data.sha);
  }

  async getRef(ref: string): Promise<string | undefined> {
    const data = await this.transport.optional<Json>("GET /repos/{owner}/{repo}/git/ref/{ref}", {
      ref,
    });
    return data ? String((data.object as Json).sha) : undefined;
  }

  async getCommitMessage(sha: string): Promise<string> {
    const data = await this.call<Json>("GET /repos/{owner}/{repo}/git/commits/{commit_sha}", {
      commit_sha: sha,
    });
    return String(data.message ?? "");
  }

  async fastForwardRef(ref: string, sha: string): Promise<void> {
    await this.call("PATCH /repos/{owner}/{repo}/git/refs/{ref}", { ref, sha, force: false });
  }

  async compareFiles(base: string, head: string): Promise<string[]> {
    const data = await this.call<Json>("GET /repos/{owner}/{repo}/compare/{basehead}", {
      basehead: `${base}...${head}`,
      per_page: 100,
    });
    return ((data.files as Json[] | undefined) ?? []).map((f) => String(f.filename));
  }

  async refState(ref: string): Promise<RefState> {
    const data = await this.graphql<{
      repository: { object: { statusCheckRollup?: GqlRollup | null } | null } | null;
    }>(REF_STATE_QUERY, { owner: this.owner, repo: this.repo, ref }, `state of ${ref}`);
    const commit = data.repository?.object;
    if (!commit) throw new GitHubError(404, `No commit found for the ref ${ref}`, "POST /graphql");
    return ciState(commit.statusCheckRollup);
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

  async getIssue(issue: number): Promise<GhIssue | undefined> {
    const data = await this.transport.optional<Json>(
      "GET /repos/{owner}/{repo}/issues/{issue_number}",
      { issue_number: issue },
    );
    return data ? toIssue(data) : undefined;
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

  async listIssueComments(issue: number): Promise<GhComment[]> {
    const items = await this.transport.list(
      "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
      {
        issue_number: issue,
      },
    );
    return items.map(toComment);
  }

  async getComment(id: number): Promise<GhComment | undefined> {
    const data = await this.transport.optional<Json>(
      "GET /repos/{owner}/{repo}/issues/comments/{comment_id}",
      { comment_id: id },
    );
    if (!data) return undefined;
    const type = (data.user as Json | null)?.type;
    return { ...toComment(data), ...(typeof type === "string" ? { authorType: type } : {}) };
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
    const data = await this.transport.optional<Json>(
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
    const items = await this.transport.list("GET /repos/{owner}/{repo}/pulls", { state: "open" });
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
    const items = await this.transport.list("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", {
      pull_number: pr,
    });
    return items.map((f) => String(f.filename));
  }

  async listReviews(pr: number): Promise<GhReview[]> {
    const items = await this.transport.list(
      "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews",
      {
        pull_number: pr,
      },
    );
    return items.map((r) => ({
      author: String((r.user as Json | null)?.login ?? ""),
      state: String(r.state ?? ""),
      commitId: String(r.commit_id ?? ""),
    }));
  }

  async mergePull(pr: number, sha: string, method: MergeMethod, title?: string): Promise<string> {
    const data = await this.call<Json>(
      "PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge",
      {
        pull_number: pr,
        sha,
        merge_method: method,
        ...(title ? { commit_title: title } : {}),
      },
      true,
    );
    return String(data.sha ?? "");
  }

  async listWorkflowRuns(workflow: string, since: string): Promise<GhRun[]> {
    const items = await this.transport.list(
      "GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs",
      { workflow_id: workflow, created: `>=${since.replace(/\.\d{3}Z$/, "Z")}` },
      "workflow_runs",
    );
    return items.map(toRun);
  }

  async getWorkflowRun(runId: number): Promise<GhRun | undefined> {
    try {
      const data = await this.call<Json>("GET /repos/{owner}/{repo}/actions/runs/{run_id}", {
        run_id: runId,
      });
      return toRun(data);
    } catch (e: unknown) {
      if (e instanceof GitHubError && e.status === 404) return undefined;
      throw e;
    }
  }

  async dispatchWorkflow(
    workflow: string,
    ref: string,
    inputs: Record<string, string>,
  ): Promise<{ runId?: number; url?: string }> {
    const route = "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches";
    let data: Json | undefined;
    try {
      data = await this.call<Json | undefined>(
        route,
        {
          workflow_id: workflow,
          ref,
          inputs,
          return_run_details: true,
        },
        true,
      );
    } catch (e: unknown) {
      // A server that does not know `return_run_details` rejects the request without
      // dispatching anything: sending it again without the flag starts one run, not two.
      if (!(e instanceof GitHubError) || e.status !== 422 || !/return_run_details/.test(e.message))
        throw e;
      await this.call(route, { workflow_id: workflow, ref, inputs }, true);
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
    const items = await this.transport.list(
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

  private call<T>(route: string, params: Json, noRetry = false): Promise<T> {
    return this.transport.call<T>(route, params, noRetry);
  }

  private graphql<T>(...args: Parameters<OctokitTransport["graphql"]>): Promise<T> {
    return this.transport.graphql<T>(...args);
  }
}
