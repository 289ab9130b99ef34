import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type {
  AgentHost,
  CheckRequest,
  IssueData,
  PrDiff,
  PrRequest,
  ResultPublication,
  ReviewRequest,
} from "../../agent/host.js";
import { writeTextAtomic } from "../repo/json-file.js";
import { cidFileName } from "../repo/repo-layout.js";
import { sealResult } from "./result-seal.js";

/**
 * The agent port in local mode: no pull requests and no push. Reviews, checks and results
 * become files under `.conveyor/reports/<task>/`, named after the run; the result's JSON is
 * written last (atomically), since `conveyor run` acts on it, sealed with the run's key
 * (without a key it is not written: nothing would count it).
 */
export class LocalHost implements AgentHost {
  readonly #dir: string;
  readonly #cid: string;
  readonly #issue: IssueData;
  readonly #key: string | undefined;

  constructor(options: {
    reportsDir: string;
    correlationId: string;
    issue: IssueData;
    sealKey?: string;
  }) {
    this.#dir = options.reportsDir;
    this.#key = options.sealKey;
    this.#cid = cidFileName(options.correlationId);
    this.#issue = options.issue;
  }

  async readIssue(_id: string): Promise<IssueData> {
    return this.#issue;
  }

  /** The branch is the deliverable: there is no pull request, so no number. */
  async openOrUpdatePr(_request: PrRequest): Promise<{ number?: number }> {
    return {};
  }

  async prDiff(_pr: number): Promise<PrDiff | undefined> {
    return undefined;
  }

  async postReview(review: ReviewRequest): Promise<void> {
    const comments = review.comments.map((c) => `- \`${c.path}:${c.line}\`: ${c.body}`);
    this.#write(
      "review.md",
      [
        `# Review ${this.#cid}: ${review.verdict.replace("_", " ")}`,
        "",
        `Commit: ${review.headSha}`,
        "",
        review.body,
        ...(comments.length > 0 ? ["", "## Line comments", "", ...comments] : []),
        "",
      ].join("\n"),
    );
  }

  async publishCheck(check: CheckRequest): Promise<void> {
    const name = check.name.replace("conveyor/", "");
    this.#write(
      `${name}.md`,
      `# ${check.title} (${check.conclusion})\n\nCommit: ${check.headSha}\n\n${check.summary}\n`,
    );
  }

  async publishResult(publication: ResultPublication): Promise<void> {
    this.#write("md", `${publication.body}\n`);
    if (this.#key === undefined) return;
    writeTextAtomic(
      join(this.#dir, `${this.#cid}.json`),
      sealResult(publication.result, this.#key),
      this.#dir,
    );
  }

  #write(suffix: string, text: string): void {
    mkdirSync(this.#dir, { recursive: true });
    writeFileSync(join(this.#dir, `${this.#cid}.${suffix}`), text);
  }
}
