import { partitionComments } from "../commentable-lines.js";
import type { ReviewComment, ReviewThread } from "../host.js";
import {
  baseVars,
  driveGuarded,
  errorMessage,
  finalize,
  outcomeOf,
  type RoleSession,
  renderRolePrompt,
  stopSentence,
} from "../role-session.js";
import type { ReviewOutcome, RoleOutcome } from "../role-types.js";
import { toolsFor } from "../tools/toolset.js";
import { truncateHeadTail } from "../truncate-output.js";
import { frameUntrusted } from "../untrusted-text.js";

const MAX_DIFF = 60_000;

/**
 * The reviewer: reads the PR's diff, lets the agent review (and make small fixes), commits
 * and pushes those fixes, then posts ONE review whose inline comments are all on lines of
 * the final diff; the other comments go into the review's body.
 */
export async function runReviewerRole(s: RoleSession): Promise<RoleOutcome> {
  const o = s.o;
  await s.git.checkoutTaskBranch(o.branch, o.baseBranch);
  const baseRef = (await s.git.ref(o.baseBranch))!;
  const hosted = o.pr !== undefined ? await o.host.prDiff(o.pr) : undefined;
  const diff = hosted?.diff ?? (await s.git.diff(baseRef));
  const files = hosted?.files ?? (await s.git.changedSince(baseRef));
  const vars = {
    ...baseVars(o),
    diff: frameUntrusted("pull request diff", truncateHeadTail(diff, MAX_DIFF) || "(empty diff)"),
    changedFiles: files.map((f) => `\`${f}\``).join(", ") || "(none)",
    reviewThreads: await threadsSection(s),
  };
  const drive = await driveGuarded(s, {
    prompt: renderRolePrompt(o, vars),
    tools: toolsFor("reviewer"),
  });
  let outcome = outcomeOf(drive.stop, drive.report);
  const verdict = drive.report?.verdict;
  if (outcome === "ok" && !verdict) outcome = "failed";

  const before = await s.git.head();
  const commit = await s.git.commitAll(`Review fixes\n\nConveyor run ${o.correlationId}`);
  const push = commit ? await s.git.push(o.branch) : { pushed: false };
  const headSha = await s.git.head();
  const fixedFiles = commit ? (await s.git.changedSince(before)).filter(Boolean) : [];
  const problems: string[] = [];
  if (push.error) {
    // A review of fixes that are not on the remote would describe code nobody can see.
    outcome = "failed";
    problems.push(`Push of the review fixes failed: ${push.error}.`);
  }

  // Posted to the host even without a PR number: local mode writes it to the run's reports.
  let review: ReviewOutcome | undefined;
  if (outcome === "ok" && verdict) {
    const finalDiff = commit ? await s.git.diff(baseRef) : diff;
    const { inline, outside } = partitionComments(drive.report?.comments ?? [], finalDiff);
    review = { verdict, summary: drive.report!.summary, inline, outside };
    try {
      await o.host.postReview({
        ...(o.pr !== undefined ? { pr: o.pr } : {}),
        headSha,
        verdict,
        body: reviewBody(review, fixedFiles),
        comments: inline,
      });
      await o.host.publishCheck({
        name: "conveyor/review",
        headSha,
        conclusion: verdict === "approve" ? "success" : "failure",
        title: `Review: ${verdict.replace("_", " ")}`,
        summary: reviewBody(review, fixedFiles),
      });
    } catch (e: unknown) {
      outcome = "failed";
      problems.push(`Could not post the review: ${errorMessage(e)}.`);
    }
  }
  const summary = [
    stopSentence(drive.stop),
    outcome === "failed" && !verdict && drive.stop.reason !== "api_error"
      ? "The reviewer gave no verdict."
      : "",
    ...problems,
    drive.report?.summary ?? "",
    commit
      ? `Review fixes committed as ${commit.slice(0, 7)}${push.pushed ? " and pushed" : ""}.`
      : "",
  ]
    .filter(Boolean)
    .join(" ")
    .concat(verdict && verdict !== "approve" ? formatFindings(drive.report?.comments ?? []) : "");
  return finalize(s, {
    outcome,
    summary,
    drive,
    headSha,
    ...(o.pr !== undefined ? { pr: o.pr } : {}),
    ...(verdict && outcome === "ok" ? { verdict } : {}),
    filesChanged: fixedFiles,
    ...(review ? { review } : {}),
  });
}

const MAX_THREADS_TEXT = 20_000;
const MAX_COMMENT = 1_500;

/** The PR's existing review threads for the prompt (framed as untrusted data), or "". */
async function threadsSection(s: RoleSession): Promise<string> {
  const o = s.o;
  if (o.pr === undefined || !o.host.reviewThreads) return "";
  let threads: ReviewThread[];
  try {
    threads = await o.host.reviewThreads(o.pr);
  } catch (e: unknown) {
    // The review can go on without them; say so rather than fail the run.
    s.log(`could not read the PR's review threads: ${errorMessage(e)}`);
    return "\n## Existing review threads\n(could not be read)\n";
  }
  if (threads.length === 0) return "";
  const open = threads.filter((t) => !t.resolved);
  const text = formatThreads([...open, ...threads.filter((t) => t.resolved)]);
  return `\n## Existing review threads (${open.length} open, ${threads.length - open.length} resolved)\n${frameUntrusted("pull request review threads", truncateHeadTail(text, MAX_THREADS_TEXT))}\n`;
}

export function formatThreads(threads: ReviewThread[]): string {
  return threads
    .map((t) => {
      const state = [t.resolved ? "resolved" : "open", ...(t.outdated ? ["outdated"] : [])];
      const head = `### ${t.path}${t.line !== null ? `:${t.line}` : ""} (${state.join(", ")})`;
      const comments = t.comments.map((c) => {
        const body = c.body.length > MAX_COMMENT ? `${c.body.slice(0, MAX_COMMENT)}…` : c.body;
        return `- ${c.author}: ${body.replace(/\n/g, "\n  ")}`;
      });
      return [head, ...comments].join("\n");
    })
    .join("\n\n");
}

/**
 * The review's line comments as findings, in the workflow's fields (Problem, Location,
 * Required fix): they go into the result's summary, which is the next task agent's feedback.
 */
export function formatFindings(comments: readonly ReviewComment[]): string {
  if (comments.length === 0) return "";
  const items = comments.map(
    (c, i) =>
      `${i + 1}. Location: \`${c.path}:${c.line}\`\n   ${c.body.trim().replace(/\n/g, "\n   ")}`,
  );
  return `\n\nFindings:\n${items.join("\n")}`;
}

export function reviewBody(review: ReviewOutcome, fixedFiles: string[]): string {
  const lines = [
    `**Conveyor review: ${review.verdict.replace("_", " ")}**`,
    "",
    review.summary.trim(),
  ];
  if (fixedFiles.length > 0)
    lines.push(
      "",
      `The reviewer pushed fixes to: ${fixedFiles.map((f) => `\`${f}\``).join(", ")}.`,
    );
  if (review.outside.length > 0)
    lines.push(
      "",
      "Comments on lines outside the diff:",
      ...review.outside.map((c: ReviewComment) => `- \`${c.path}:${c.line}\`: ${c.body}`),
    );
  return lines.join("\n");
}
