/**
 * Quiet mode (`comments: sticky`): the agent runs of a task publish into one result comment
 * per task, created by the first run and edited by the later ones (an edit notifies nobody;
 * a new comment notifies every watcher). Its first line is fixed, its last line the marker
 * holding the newest results, one per run, each naming the Actions run that published it.
 *
 * An edited comment keeps its old `created_at`, so the loader cannot tell a result's age
 * from it: each entry is bound to its run instead (see `resultsOfRuns`).
 */
import type { AgentResult } from "./board.js";
import { codeSpan } from "./markdown/code-span.js";
import { encodeMarker, fitWithMarker, neutralizeMarkers, RESULT_ROLE_NAMES } from "./markers.js";

/** The fixed first line of a task's sticky result comment. */
export const STICKY_RESULTS_HEADER = "### Conveyor agent results";

/** Results kept in the comment (newest first): the current run's and some history. */
export const STICKY_KEEP = 6;

/** The summary kept per entry inside the marker (the job summary of the run has all). */
const ENTRY_SUMMARY_CHARS = 4_000;

/** One run's result in the sticky comment. */
export interface StickyEntry {
  result: AgentResult;
  /** The Actions run that published it (`GITHUB_RUN_ID`): the loader checks it is the run. */
  runId: string;
  /** When it was published (ISO). */
  publishedAt: string;
}

/** The entries of a sticky result comment, newest first; undefined when it is none. */
export function stickyEntries(value: unknown): StickyEntry[] | undefined {
  if (!isObject(value) || !Array.isArray(value.results)) return undefined;
  return value.results.filter(
    (e): e is StickyEntry =>
      isObject(e) &&
      isObject(e.result) &&
      typeof e.runId === "string" &&
      typeof e.publishedAt === "string",
  );
}

/**
 * The sticky comment's new body: the entry of this run replaces an earlier one of the same
 * run (a re-publication) and goes first; at most `STICKY_KEEP` entries stay. `previous` is
 * the marker value of the comment as read (undefined: the comment is new).
 */
export function renderStickyResults(
  previous: StickyEntry[] | undefined,
  entry: StickyEntry,
): string {
  const kept = {
    ...entry,
    result:
      entry.result.summary.length > ENTRY_SUMMARY_CHARS
        ? { ...entry.result, summary: `${entry.result.summary.slice(0, ENTRY_SUMMARY_CHARS)}…` }
        : entry.result,
  };
  const entries = [
    kept,
    ...(previous ?? []).filter((e) => e.result.correlationId !== entry.result.correlationId),
  ].slice(0, STICKY_KEEP);
  const lines = [
    STICKY_RESULTS_HEADER,
    "",
    "_Quiet mode: each agent run of this task writes its result here, newest first (edits notify nobody)._",
    "",
    ...entries.map(entryLine),
  ];
  return `${fitWithMarker(
    lines.join("\n"),
    encodeMarker("results", { results: entries }),
    "_(truncated: GitHub limits a comment to 65,536 characters; each run's job summary has its full report)_",
  )}\n`;
}

function entryLine(e: StickyEntry): string {
  const r = e.result;
  const status =
    r.role === "reviewer" && r.verdict
      ? `${r.outcome} · verdict **${r.verdict.replace("_", " ")}**`
      : r.role === "tester" && r.passed !== undefined
        ? `${r.outcome} · tests **${r.passed ? "passed" : "failed"}**`
        : r.outcome;
  const facts = [
    `run ${codeSpan(r.correlationId)}`,
    r.pr !== undefined ? `PR #${r.pr}` : undefined,
    r.headSha ? `head \`${r.headSha.slice(0, 7)}\`` : undefined,
    `${(r.tokens ?? 0).toLocaleString("en-US")} tokens`,
    `$${(r.costUsd ?? 0).toFixed(4)}`,
  ].filter(Boolean);
  // One line; @-mentions defused (agent words must not notify people from the bot's comment).
  const summary = r.summary
    .replace(/\s+/g, " ")
    .replace(/@(?=[A-Za-z0-9])/g, "@\u200b")
    .trim();
  const short = summary.length > 600 ? `${summary.slice(0, 599)}…` : summary;
  return neutralizeMarkers(
    `- **${RESULT_ROLE_NAMES[r.role]}** ${status} · ${facts.join(" · ")}${short ? `: ${short}` : ""}`,
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
