import type {
  AgentHost,
  CheckRequest,
  IssueData,
  PrDiff,
  PrRequest,
  ResultPublication,
  ReviewRequest,
  ReviewThread,
} from "../../../src/agent/host.js";

/** An in-memory AgentHost that records every call. */
export class MemoryHost implements AgentHost {
  prs: PrRequest[] = [];
  reviews: ReviewRequest[] = [];
  checks: CheckRequest[] = [];
  results: ResultPublication[] = [];
  issue: IssueData = { id: "7", title: "Fix add", body: "add() subtracts", comments: [] };
  diff: PrDiff | undefined;
  /** The PR's review threads (as the GitHub host reads them). */
  threads: ReviewThread[] = [];
  nextPr = 42;

  async readIssue(): Promise<IssueData> {
    return this.issue;
  }
  async openOrUpdatePr(request: PrRequest) {
    this.prs.push(request);
    return { number: request.pr ?? this.nextPr };
  }
  async prDiff(): Promise<PrDiff | undefined> {
    return this.diff;
  }
  async reviewThreads(): Promise<ReviewThread[]> {
    return this.threads;
  }
  async postReview(review: ReviewRequest) {
    this.reviews.push(review);
  }
  async publishCheck(check: CheckRequest) {
    this.checks.push(check);
  }
  async publishResult(publication: ResultPublication) {
    this.results.push(publication);
  }
}
