import type { Octokit } from "@octokit/rest";
import {
  type BranchHead,
  type CheckRunInput,
  type GhCheckRun,
  type GhComment,
  type GhIssue,
  type GhPull,
  type GhRun,
  GitHubError,
  type GitHubPort,
  type IssuePatch,
  type MergeMethod,
  type Permission,
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

  async getDefaultBranch(): Promise<string> {
    const data = await this.call<Json>("GET /repos/{owner}/{repo}", {});
    return String(data.default_branch);
  }

  async getBranchSha(branch: string): Promise<string | undefined> {
    const data = await this.optional<Json>("GET /repos/{owner}/{repo}/git/ref/{ref}", {
      ref: `heads/${branch}`,
    });
    return data ? String((data.object as Json).sha) : undefined;
  }

  async getBranchHead(branch: string): Promise<BranchHead | undefined> {
    const data = await this.optional<Json>("GET /repos/{owner}/{repo}/branches/{branch}", {
      branch,
    });
    if (!data) return undefined;
    const commit = data.commit as Json;
    const tree = (commit.commit as Json).tree as Json;
    return { sha: String(commit.sha), tree: String(tree.sha) };
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

  async updateRef(ref: string, sha: string, force: boolean): Promise<void> {
    await this.call("PATCH /repos/{owner}/{repo}/git/refs/{ref}", { ref, sha, force });
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

  async refState(ref: string): Promise<"success" | "failure" | "pending"> {
    const status = await this.conditional<Json>("GET /repos/{owner}/{repo}/commits/{ref}/status", {
      ref,
      per_page: PER_PAGE,
    });
    const checks = await this.conditional<Json>(
      "GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
      { ref, per_page: PER_PAGE },
    );
    const runs = (checks.check_runs as Json[] | undefined) ?? [];
    const failed = new Set([
      "failure",
      "timed_out",
      "cancelled",
      "action_required",
      "startup_failure",
    ]);
    const hasStatuses = Number(status.total_count ?? 0) > 0;
    if (
      (hasStatuses && (status.state === "failure" || status.state === "error")) ||
      runs.some((r) => failed.has(String(r.conclusion)))
    )
      return "failure";
    if ((hasStatuses && status.state === "pending") || runs.some((r) => r.status !== "completed"))
      return "pending";
    return "success";
  }

  async getCommitTree(sha: string): Promise<string> {
    const data = await this.call<Json>("GET /repos/{owner}/{repo}/git/commits/{commit_sha}", {
      commit_sha: sha,
    });
    return String((data.tree as Json).sha);
  }

  async createTree(baseTree: string, entries: TreeEntry[]): Promise<string> {
    const data = await this.call<Json>("POST /repos/{owner}/{repo}/git/trees", {
      base_tree: baseTree,
      tree: entries.map((e) =>
        e.content === null
          ? { path: e.path, mode: "100644", type: "blob", sha: null }
          : { path: e.path, mode: "100644", type: "blob", content: e.content },
      ),
    });
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

  async listOpenIssues(): Promise<GhIssue[]> {
    const items = await this.list("GET /repos/{owner}/{repo}/issues", { state: "open" });
    return items.map(toIssue);
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

  async listPullsByHead(branch: string): Promise<GhPull[]> {
    const items = await this.list("GET /repos/{owner}/{repo}/pulls", {
      state: "all",
      head: `${this.owner}:${branch}`,
    });
    return items.map((p) => toPull(p));
  }

  async getPull(pr: number): Promise<GhPull> {
    const data = await this.call<Json>("GET /repos/{owner}/{repo}/pulls/{pull_number}", {
      pull_number: pr,
    });
    return toPull(data, true);
  }

  async listPullFiles(pr: number): Promise<string[]> {
    const items = await this.list("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", {
      pull_number: pr,
    });
    return items.map((f) => String(f.filename));
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
  };
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
