import type { AgentResult, Verdict } from "../core/board.js";

/**
 * The port between a role and the platform hosting it: the few things a role needs that are
 * not git. `github-host.ts` implements it over the REST API; local mode writes files under
 * `.conveyor/reports/<task>/`. Every method is idempotent where the platform allows it
 * (update the open PR rather than open a second one).
 */
export interface AgentHost {
  /** The task's issue: title, body and the text of its comments (oldest first). */
  readIssue(id: string): Promise<IssueData>;

  /**
   * Opens the PR for `branch`, or updates the open one (title, body). Returns its number;
   * none where the branch itself is the deliverable (local mode).
   */
  openOrUpdatePr(request: PrRequest): Promise<{ number?: number; url?: string }>;

  /**
   * The PR's changed files and unified diff against its base. Return `undefined` to let the
   * role compute them from git (`git diff base...HEAD`), which local mode does.
   */
  prDiff(pr: number): Promise<PrDiff | undefined>;

  /**
   * The PR's existing review threads, oldest first, for the reviewer to read (so it does not
   * repeat what is resolved). Optional: a host without review threads (local mode) omits it.
   */
  reviewThreads?(pr: number): Promise<ReviewThread[]>;

  /** Posts ONE review; `comments` are all on lines of the diff (the role checks that). */
  postReview(review: ReviewRequest): Promise<void>;

  /** Publishes a check (`conveyor/test`, `conveyor/review`) on a commit. */
  publishCheck(check: CheckRequest): Promise<void>;

  /**
   * Publishes the run's result where the orchestrator reads it: one comment on the issue per
   * agent run. `body` is readable text that already holds `encodeMarker("result", result)`.
   */
  publishResult(publication: ResultPublication): Promise<void>;
}

export interface IssueData {
  id: string;
  title: string;
  body: string;
  /** Comment texts, oldest first (untrusted data). */
  comments: string[];
}

export interface PrRequest {
  branch: string;
  base: string;
  title: string;
  body: string;
  /** Known PR number, when the role was given one. */
  pr?: number;
}

export interface PrDiff {
  files: string[];
  /** Unified diff (`git diff` format). */
  diff: string;
}

export interface ReviewComment {
  path: string;
  /** Line number in the new version of the file (right side of the diff). */
  line: number;
  body: string;
}

/** One review thread of a PR: a line comment and its replies (untrusted text). */
export interface ReviewThread {
  path: string;
  /** Line in the PR's current version; null when the thread is outdated past mapping. */
  line: number | null;
  resolved: boolean;
  /** The code it was written on has changed since. */
  outdated: boolean;
  comments: { author: string; body: string }[];
}

export interface ReviewRequest {
  /** The PR reviewed; none for a local branch (local mode writes the review to a file). */
  pr?: number;
  /** The commit the review judged (after the reviewer's own pushes). */
  headSha: string;
  verdict: Verdict;
  body: string;
  comments: ReviewComment[];
}

export interface CheckRequest {
  name: "conveyor/test" | "conveyor/review";
  headSha: string;
  conclusion: "success" | "failure" | "neutral";
  title: string;
  /** Markdown shown on the check's page. */
  summary: string;
}

export interface ResultPublication {
  /** Task id (issue number on GitHub). */
  task: string;
  result: AgentResult;
  /** Markdown for people with the machine-readable marker inside. */
  body: string;
}
