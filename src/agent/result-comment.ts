import type { AgentResult } from "../core/board.js";
import { encodeMarker } from "../core/markers.js";

const ROLE_NAMES = { task: "Task agent", reviewer: "Reviewer", tester: "Tester" } as const;

export interface ResultDetails {
  filesChanged: string[];
  commands: { command: string; exitCode: number | null; timedOut: boolean }[];
  durationMs: number;
}

/** The result comment on the issue: readable text plus the machine-readable marker. */
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
    `**Conveyor ${ROLE_NAMES[result.role]}**: ${status}`,
    "",
    facts.join(" · "),
    "",
    result.summary.trim(),
  ];
  if (details.filesChanged.length > 0)
    lines.push("", `Files changed: ${details.filesChanged.map((f) => `\`${f}\``).join(", ")}`);
  if (details.commands.length > 0)
    lines.push(
      "",
      "Commands:",
      ...details.commands
        .slice(0, 20)
        .map(
          (c) =>
            `- \`${c.command.replace(/`/g, "'")}\`: ${c.timedOut ? "timed out" : `exit ${c.exitCode ?? "?"}`}`,
        ),
    );
  lines.push("", encodeMarker("result", result));
  return `${lines.join("\n")}\n`;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
}
