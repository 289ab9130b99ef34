import type { Octokit } from "@octokit/rest";
import { readMarker } from "../core/markers.js";
import {
  renderStickyResults,
  STICKY_RESULTS_HEADER,
  stickyEntries,
} from "../core/sticky-results.js";
import type {
  AgentHost,
  CheckRequest,
  IssueData,
  PrDiff,
  PrRequest,
  ResultPublication,
  ReviewRequest,
  ReviewThread,
} from "./host.js";

export interface GitHubHostOptions {
  octokit: Octokit;
  owner: string;
  repo: string;
  /**
   * The identities this run publishes results as (`agent.resultAuthors`): only a comment
   * one of them wrote is ever updated. Default `github-actions[bot]` (GITHUB_TOKEN).
   */
  publishers?: readonly string[];
  /**
   * `sticky` (quiet mode, config `comments`): results go into the task's one result comment
   * (created once, edited afterwards) instead of a comment per run. Default `each`.
   */
  comments?: "each" | "sticky";
  /** The Actions run publishing (`GITHUB_RUN_ID`): sticky entries name it. */
  runId?: string;
  /** Clock of `publishedAt` in sticky entries; default: the system clock. */
  now?: () => Date;
}

const MAX_TEXT = 60_000;

const REVIEW_THREADS_QUERY = `query ($owner: String!, $repo: String!, $pr: Int!, $cursor: String) {
  repository(owner: $owner, name: $repo) {
    pullRequest(number: $pr) {
      reviewThreads(first: 50, after: $cursor) {
        pageInfo { hasNextPage endCursor }
        nodes {
          isResolved
          isOutdated
          path
          line
          originalLine
          comments(first: 20) { nodes { author { login } body } }
        }
      }
    }
  }
}`;

interface ThreadsPage {
  repository: {
    pullRequest: {
      reviewThreads: {
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
        nodes:
          | ({
              isResolved: boolean;
              isOutdated: boolean;
              path: string;
              line: number | null;
              originalLine: number | null;
              comments: {
                nodes: ({ author: { login: string } | null; body: string } | null)[] | null;
              };
            } | null)[]
          | null;
      };
    } | null;
  } | null;
}

/** The agent host over the GitHub REST API. */
export class GitHubHost implements AgentHost {
  readonly #o: Octokit;
  readonly #repo: { owner: string; repo: string };
  readonly #publishers: readonly string[];
  readonly #options: GitHubHostOptions;

  constructor(options: GitHubHostOptions) {
    this.#o = options.octokit;
    this.#repo = { owner: options.owner, repo: options.repo };
    this.#publishers = options.publishers ?? ["github-actions[bot]"];
    this.#options = options;
  }

  async readIssue(id: string): Promise<IssueData> {
    const issue_number = issueNumber(id);
    const { data } = await this.#o.rest.issues.get({ ...this.#repo, issue_number });
    const comments = await this.#o.paginate(this.#o.rest.issues.listComments, {
      ...this.#repo,
      issue_number,
      per_page: 100,
    });
    return {
      id,
      title: data.title,
      body: data.body ?? "",
      // Conveyor's own status and result comments are not part of the task.
      comments: comments.map((c) => c.body ?? "").filter((b) => !b.includes("<!-- conveyor:")),
    };
  }

  /** The repository's default branch (the task role's base when the config names none). */
  async defaultBranch(): Promise<string> {
    const { data } = await this.#o.rest.repos.get(this.#repo);
    return data.default_branch;
  }

  /** A PR's head branch, base branch and head SHA. */
  async pullRequest(pr: number): Promise<{ branch: string; base: string; headSha: string }> {
    const { data } = await this.#o.rest.pulls.get({ ...this.#repo, pull_number: pr });
    return { branch: data.head.ref, base: data.base.ref, headSha: data.head.sha };
  }

  async openOrUpdatePr(request: PrRequest): Promise<{ number: number; url?: string }> {
    const body = request.body.slice(0, MAX_TEXT);
    let number = request.pr;
    if (number === undefined) {
      const open = await this.#o.rest.pulls.list({
        ...this.#repo,
        head: `${this.#repo.owner}:${request.branch}`,
        state: "open",
        per_page: 1,
      });
      number = open.data[0]?.number;
    }
    if (number !== undefined) {
      const { data } = await this.#o.rest.pulls.update({
        ...this.#repo,
        pull_number: number,
        title: request.title,
        body,
      });
      return { number: data.number, url: data.html_url };
    }
    const { data } = await this.#o.rest.pulls.create({
      ...this.#repo,
      head: request.branch,
      base: request.base,
      title: request.title,
      body,
    });
    return { number: data.number, url: data.html_url };
  }

  async prDiff(pr: number): Promise<PrDiff | undefined> {
    const files = await this.#o.paginate(this.#o.rest.pulls.listFiles, {
      ...this.#repo,
      pull_number: pr,
      per_page: 100,
    });
    const response = await this.#o.rest.pulls.get({
      ...this.#repo,
      pull_number: pr,
      mediaType: { format: "diff" },
    });
    return { files: files.map((f) => f.filename), diff: String(response.data as unknown) };
  }

  /** The PR's review threads through GraphQL (REST has no resolved state), at most 200. */
  async reviewThreads(pr: number): Promise<ReviewThread[]> {
    const threads: ReviewThread[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 4; page++) {
      const data: ThreadsPage = await this.#o.graphql(REVIEW_THREADS_QUERY, {
        owner: this.#repo.owner,
        repo: this.#repo.repo,
        pr,
        cursor,
      });
      const connection = data.repository?.pullRequest?.reviewThreads;
      if (!connection) break;
      for (const t of connection.nodes ?? []) {
        if (!t) continue;
        threads.push({
          path: t.path,
          line: t.line ?? t.originalLine ?? null,
          resolved: t.isResolved,
          outdated: t.isOutdated,
          comments: (t.comments.nodes ?? []).flatMap((c) =>
            c ? [{ author: c.author?.login ?? "ghost", body: c.body }] : [],
          ),
        });
      }
      if (!connection.pageInfo.hasNextPage) break;
      cursor = connection.pageInfo.endCursor;
    }
    return threads;
  }

  async postReview(review: ReviewRequest): Promise<void> {
    if (review.pr === undefined) throw new Error("a review on GitHub needs the PR number");
    const event = review.verdict === "approve" ? "APPROVE" : "REQUEST_CHANGES";
    const params = {
      ...this.#repo,
      pull_number: review.pr,
      commit_id: review.headSha,
      body: review.body.slice(0, MAX_TEXT),
      comments: review.comments.map((c) => ({
        path: c.path,
        line: c.line,
        side: "RIGHT" as const,
        body: c.body,
      })),
    };
    const is422 = (e: unknown) => (e as { status?: number }).status === 422;
    try {
      await this.#o.rest.pulls.createReview({ ...params, event });
      return;
    } catch (e: unknown) {
      // A token cannot approve or request changes on its own PR (422): post as a comment review.
      if (!is422(e)) throw e;
    }
    try {
      await this.#o.rest.pulls.createReview({ ...params, event: "COMMENT" });
    } catch (e: unknown) {
      // Still 422: a line GitHub does not accept (the PR moved). Fold the comments into the body.
      if (!is422(e) || review.comments.length === 0) throw e;
      const folded = review.comments.map((c) => `- \`${c.path}:${c.line}\`: ${c.body}`).join("\n");
      await this.#o.rest.pulls.createReview({
        ...params,
        event: "COMMENT",
        comments: [],
        body: `${params.body}\n\nLine comments:\n${folded}`.slice(0, MAX_TEXT),
      });
    }
  }

  async publishCheck(check: CheckRequest): Promise<void> {
    await this.#o.rest.checks.create({
      ...this.#repo,
      name: check.name,
      head_sha: check.headSha,
      status: "completed",
      conclusion: check.conclusion,
      output: { title: check.title.slice(0, 200), summary: check.summary.slice(0, MAX_TEXT) },
    });
  }

  async publishResult(publication: ResultPublication): Promise<void> {
    if (this.#options.comments === "sticky") return this.#publishSticky(publication);
    const issue_number = issueNumber(publication.task);
    const body = publication.body;
    // One comment per run: a re-publication of the same run updates its comment. Only a
    // comment the publishing identity wrote: anyone can pre-post the predictable marker of
    // a future run, and editing her comment would leave the result hers (ignored).
    const comments = await this.#o.paginate(this.#o.rest.issues.listComments, {
      ...this.#repo,
      issue_number,
      per_page: 100,
    });
    const mine = comments.find((c) => {
      if (!c.user || !this.#publishers.includes(c.user.login)) return false;
      const marker = readMarker("result", c.body ?? "") as { correlationId?: unknown } | undefined;
      return marker?.correlationId === publication.result.correlationId;
    });
    if (mine) await this.#o.rest.issues.updateComment({ ...this.#repo, comment_id: mine.id, body });
    else await this.#o.rest.issues.createComment({ ...this.#repo, issue_number, body });
  }

  /**
   * Quiet mode: this run's entry into the task's one result comment, the first one a
   * publishing identity wrote (someone else's look-alike is never edited: its results would
   * stay hers, ignored); created when there is none. Read, then written: a run of the same
   * task publishing in between loses its entry (that run then counts as failed, one retry).
   */
  async #publishSticky(publication: ResultPublication): Promise<void> {
    const issue_number = issueNumber(publication.task);
    const comments = await this.#o.paginate(this.#o.rest.issues.listComments, {
      ...this.#repo,
      issue_number,
      per_page: 100,
    });
    let mine: { id: number; entries: ReturnType<typeof stickyEntries> } | undefined;
    for (const c of comments) {
      if (!c.user || !this.#publishers.includes(c.user.login)) continue;
      const text = c.body ?? "";
      if (!text.startsWith(`${STICKY_RESULTS_HEADER}\n`)) continue;
      const entries = stickyEntries(readMarker("results", text));
      if (entries) {
        mine = { id: c.id, entries };
        break;
      }
    }
    const body = renderStickyResults(mine?.entries, {
      result: publication.result,
      runId: this.#options.runId ?? "",
      publishedAt: (this.#options.now?.() ?? new Date()).toISOString(),
    });
    if (mine) await this.#o.rest.issues.updateComment({ ...this.#repo, comment_id: mine.id, body });
    else await this.#o.rest.issues.createComment({ ...this.#repo, issue_number, body });
  }
}

function issueNumber(id: string): number {
  const n = Number(id.replace(/^#/, ""));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`'${id}' is not an issue number`);
  return n;
}
