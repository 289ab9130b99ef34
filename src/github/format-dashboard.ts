import type { Board, Stage, Task } from "../core/board.js";
import { ESCALATION_CHOICES, type Plan, type Waiting } from "../core/effects.js";
import { encodeMarker, fitWithMarker, upsertMarker } from "../core/markers.js";
import { cell } from "./format-status-comment.js";
import type { DashboardState } from "./interpret-facts.js";

export interface DashboardInput {
  board: Board;
  plan: Plan;
  /** One line per bad key of `.github/conveyor.yml`. */
  configErrors: string[];
  state: DashboardState;
}

/** A waiting reason in the GitHub backend's words (by code, never by matching the text). */
export function waitingText(w: Waiting): string {
  if (w.code === "mergeability-unknown")
    return "GitHub is still computing whether the PR can merge";
  return w.text;
}

const SHOWN: { stage: Stage; title: string }[] = [
  { stage: "todo", title: "Todo" },
  { stage: "in-progress", title: "In progress" },
  { stage: "review", title: "Review" },
  { stage: "testing", title: "Testing" },
  { stage: "merge-queue", title: "Merge queue" },
];

/**
 * The body of the dashboard issue ("Conveyor board"): capacity, the stages as tables, the
 * merge queue in order, escalations with their choices, pre-flight, totals, config errors;
 * plus the hidden `board` marker holding the repository memory. No timestamps: the body
 * only changes when the board does, so it is only rewritten then.
 */
export function formatDashboard(input: DashboardInput): string {
  const { board, plan, configErrors, state } = input;
  const lines = ["# Conveyor board", ""];
  if (configErrors.length > 0) {
    lines.push(
      "> [!CAUTION]",
      "> `.github/conveyor.yml` is invalid; nothing is dispatched until it is fixed:",
      ...configErrors.map((e) => `> - ${cell(e)}`),
      "",
    );
  }
  if (state.memory.paused)
    lines.push(
      `**Dispatching is paused**${state.memory.pausedReason ? `: ${cell(state.memory.pausedReason)}` : ""} (\`/conveyor resume\`).`,
      "",
    );
  lines.push(
    `Agents: **${plan.slots.used}/${plan.slots.capacity}** slots in use · tasks in flight: **${plan.inFlight.used}/${plan.inFlight.capacity}** · re-dispatches and retries in the last hour: ${state.memory.dispatches.length}`,
    "",
  );

  const waiting = new Map<string, string>();
  // A running agent shows in its own column; its minutes would rewrite the body every pass.
  for (const w of plan.waiting)
    if (!waiting.has(w.task) && w.code !== "running" && w.code !== "not-started")
      waiting.set(w.task, waitingText(w));
  for (const { stage, title } of SHOWN) {
    const tasks = board.tasks.filter((t) => t.stage === stage);
    const ordered =
      stage === "merge-queue"
        ? [
            ...plan.mergeQueue.flatMap((id) => tasks.filter((t) => t.id === id)),
            ...tasks.filter((t) => !plan.mergeQueue.includes(t.id)),
          ]
        : tasks;
    lines.push(`## ${title} (${tasks.length})`, "");
    if (ordered.length === 0) {
      lines.push("_None._", "");
      continue;
    }
    lines.push(
      "| Task | Priority | Agent | PR | Failures | Waiting for |",
      "| --- | --- | --- | --- | --- | --- |",
    );
    for (const t of ordered) lines.push(row(t, waiting.get(t.id)));
    lines.push("");
  }

  const escalated = board.tasks.filter((t) => t.memory.escalation);
  lines.push(`## Escalations (${escalated.length})`, "");
  if (escalated.length === 0) lines.push("_None._", "");
  else {
    for (const t of escalated)
      lines.push(`- #${t.id} ${cell(t.title)}: ${cell(t.memory.escalation!.reason)}`);
    lines.push(
      "",
      "Choices (as a comment on the issue):",
      ...ESCALATION_CHOICES.map((c) => `- ${c}`),
      "",
    );
  }

  lines.push("## Pre-flight", "");
  const preflight = state.preflight ?? [];
  if (preflight.length === 0) lines.push("_Not checked yet (checked before each dispatch)._", "");
  else {
    for (const p of preflight) lines.push(`- ${p.ok ? "✅" : "❌"} ${p.name}: ${cell(p.detail)}`);
    lines.push("");
  }

  const tokens = board.tasks.reduce((n, t) => n + t.memory.tokens, 0);
  const cost = board.tasks.reduce((n, t) => n + t.memory.costUsd, 0);
  lines.push(
    "## Totals (open tasks)",
    "",
    `Tokens: ${tokens.toLocaleString("en-US")} · cost: $${cost.toFixed(2)}`,
    "",
    "_This issue is rewritten by Conveyor; edits are lost._",
  );
  return fitWithMarker(lines.join("\n"), encodeMarker("board", state));
}

function row(t: Task, waitingFor: string | undefined): string {
  const m = t.memory;
  const agent = m.run ? `${m.run.role} #${m.run.attempt + 1}` : "—";
  const a = m.attempts;
  const failures = a.task + a.reviewer + a.tester + a.merge;
  const flag = m.escalation ? " ⚠" : "";
  return `| #${t.id}${flag} ${cell(t.title)} | ${t.priority} | ${agent} | ${t.pr ? `#${t.pr.number}` : "—"} | ${failures} | ${waitingFor ? cell(waitingFor) : ""} |`;
}
