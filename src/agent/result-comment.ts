import type { AgentResult } from "../core/board.js";
import { codeSpan } from "../core/markdown/code-span.js";
import { encodeMarker, fitWithMarker, neutralizeMarkers, resultHeader } from "../core/markers.js";

/** The summary kept inside the marker (the readable text above it and the job summary hold all). */
const MARKER_SUMMARY_CHARS = 8_000;

export interface ResultDetails {
  filesChanged: string[];
  commands: { command: string; exitCode: number | null; timedOut: boolean }[];
  durationMs: number;
}

/**
 * The result comment on the issue: the role's fixed first line, readable text, and the
 * machine-readable marker alone on the last line (the only place the loader reads it). It
 * always fits GitHub's 65,536-character limit: the readable part is cut first (the job
 * summary has the full report), the summary inside the marker is bounded.
 */
export function renderResultComment(result: AgentResult, details: ResultDetails): string {
  const status =
    result.role === "reviewer" && result.verdict
      ? `${result.outcome} · verdict **${result.verdict.replace("_", " ")}**`
      : result.role === "tester" && result.passed !== undefined
        ? `${result.outcome} · tests **${result.passed ? "passed" : "failed"}**`
        : result.outcome;
  const facts = [
    `run \`${result.correlationId}\``,
    result.pr !== undefined ? `PR #${result.pr}` : undefined,
    result.headSha ? `head \`${result.headSha.slice(0, 7)}\`` : undefined,
    `${(result.tokens ?? 0).toLocaleString("en-US")} tokens`,
    `$${(result.costUsd ?? 0).toFixed(4)}`,
    formatDuration(details.durationMs),
  ].filter(Boolean);
  const lines = [
    `${resultHeader(result.role)} ${status}`,
    "",
    facts.join(" · "),
    "",
    neutralizeMarkers(result.summary.trim()),
  ];
  if (details.filesChanged.length > 0)
    lines.push(
      "",
      neutralizeMarkers(
        `Files changed: ${details.filesChanged.map((f) => codeSpan(f)).join(", ")}`,
      ),
    );
  if (details.commands.length > 0)
    lines.push(
      "",
      "Commands:",
      ...details.commands
        .slice(0, 20)
        .map(
          (c) =>
            `- ${neutralizeMarkers(codeSpan(c.command.replace(/\s+/g, " ").slice(0, 200)))}: ${c.timedOut ? "timed out" : `exit ${c.exitCode ?? "?"}`}`,
        ),
    );
  const kept =
    result.summary.length > MARKER_SUMMARY_CHARS
      ? { ...result, summary: `${result.summary.slice(0, MARKER_SUMMARY_CHARS)}…` }
      : result;
  return `${fitWithMarker(
    lines.join("\n"),
    encodeMarker("result", kept),
    "_(truncated: GitHub limits a comment to 65,536 characters; the job summary of the run has the full report)_",
  )}\n`;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
}
