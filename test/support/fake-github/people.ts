import type { AgentResult } from "../../../src/core/board.js";
import { encodeMarker, readMarker, resultHeader } from "../../../src/core/markers.js";
import {
  renderStickyResults,
  STICKY_RESULTS_HEADER,
  stickyEntries,
} from "../../../src/core/sticky-results.js";
import { correlationFromTitle, type GhComment } from "../../../src/github/port.js";
import { FakeCallLog } from "./call-log.js";
import type { FakeRun } from "./store.js";

/** What people and agents do on GitHub outside the port (no call is recorded). */
export class FakePeople extends FakeCallLog {
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

  /**
   * The agent Action in quiet mode (`comments: sticky`): its entry into the task's one
   * result comment by `author` (created by the first run, edited by the later ones), named
   * by the run that publishes it; run completed.
   */
  publishStickyResult(issue: number, result: AgentResult, author = "github-actions[bot]"): void {
    const run = this.runByCorrelation(result.correlationId);
    const mine = this.comments.find(
      (c) =>
        c.issue === issue && c.author === author && c.body.startsWith(`${STICKY_RESULTS_HEADER}\n`),
    );
    const body = renderStickyResults(
      mine ? stickyEntries(readMarker("results", mine.body)) : undefined,
      { result, runId: run ? String(run.id) : "", publishedAt: this.iso() },
    );
    if (mine) {
      mine.body = body;
      mine.updatedAt = this.iso();
    } else this.addComment(issue, body, author);
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

  /** Writes a file on a branch directly (a person's commit). */
  writeFile(branch: string, path: string, text: string): void {
    const head = this.refs.get(`heads/${branch}`)!;
    const files = { ...this.trees.get(this.commits.get(head)!.tree)! };
    files[path] = text;
    const sha = this.putCommit({ tree: this.putTree(files), parents: [head], message: "edit" });
    this.refs.set(`heads/${branch}`, sha);
  }

  /** `who` reviews the PR's current head (`APPROVED` by default). */
  review(pr: number, who: string, state = "APPROVED"): void {
    const p = this.mustPull(pr);
    this.reviews.set(pr, [
      ...(this.reviews.get(pr) ?? []),
      { author: who, state, commitId: p.headSha },
    ]);
  }

  /** A person merges the PR in GitHub's UI (not through the port: no call is recorded). */
  mergeByHand(pr: number): void {
    const p = this.mustPull(pr);
    this.applyMerge(p, `Merge pull request #${pr} (by hand)`);
  }
}
