import { formatDuration } from "../agent/result-comment.js";
import type { RoleOutcome } from "../agent/role-types.js";

/** The job summary of an agent run: what happened, files, tokens, cost, duration. */
export function agentJobSummary(outcome: RoleOutcome, model: string): string {
  const r = outcome.result;
  const u = outcome.usage;
  const rows: [string, string][] = [
    [
      "Outcome",
      r.outcome +
        (r.verdict ? ` (verdict: ${r.verdict})` : "") +
        (r.passed !== undefined ? ` (tests ${r.passed ? "passed" : "failed"})` : ""),
    ],
    ["Run", `\`${r.correlationId}\``],
    ["Branch", r.branch ? `\`${r.branch}\`` : "-"],
    ["Pull request", r.pr !== undefined ? `#${r.pr}` : "-"],
    ["Head", r.headSha ? `\`${r.headSha}\`` : "-"],
    ["Model", `\`${model}\``],
    ["Turns", String(outcome.turns)],
    [
      "Tokens",
      `${(r.tokens ?? 0).toLocaleString("en-US")} (input ${u.inputTokens}, output ${u.outputTokens}, cache write ${u.cacheWriteTokens}, cache read ${u.cacheReadTokens})`,
    ],
    ["Cost", `$${(r.costUsd ?? 0).toFixed(4)}`],
    ["Duration", formatDuration(outcome.durationMs)],
    ["Stopped because", `${outcome.stop.reason}`],
  ];
  const lines = [
    `### Conveyor ${r.role} agent`,
    "",
    "| | |",
    "| --- | --- |",
    ...rows.map(([k, v]) => `| ${k} | ${v.replace(/\|/g, "\\|")} |`),
    "",
    r.summary,
  ];
  if (outcome.filesChanged.length > 0)
    lines.push("", "**Files changed**", ...outcome.filesChanged.map((f) => `- \`${f}\``));
  if (outcome.commands.length > 0)
    lines.push(
      "",
      "**Commands**",
      ...outcome.commands.map(
        (c) =>
          `- \`${c.command.replace(/`/g, "'")}\`: ${c.timedOut ? "timed out" : `exit ${c.exitCode ?? "?"}`}`,
      ),
    );
  return `${lines.join("\n")}\n`;
}
