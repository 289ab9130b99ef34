import type { Stage, Task, TaskMemory } from "../core/board.js";
import { encodeMarker, fitWithMarker, stripHtmlComments } from "../core/markers.js";

/** The first line of every status comment (the loader trusts state markers only there). */
export const STATUS_HEADER = "### Conveyor status";

/** What the status comment shows besides the task itself. */
export interface StatusExtras {
  /** Link to the agent run at work, when known. */
  runUrl?: string;
  /** Link to the agent workflow's runs (when the run's own link is not known yet). */
  workflowUrl?: string;
  /** `<server>/<owner>/<repo>` on the server the runtime talks to: the PR's link. */
  repoUrl?: string;
}

const PIPELINE: { stage: Stage; title: string }[] = [
  { stage: "todo", title: "Todo" },
  { stage: "in-progress", title: "In progress" },
  { stage: "review", title: "Review" },
  { stage: "testing", title: "Testing" },
  { stage: "merge-queue", title: "Merge queue" },
  { stage: "done", title: "Done" },
];

/**
 * One line of pipeline progress: the stages behind the task done (✅), the current one in
 * bold with its run's link (or ⚠️ when escalated), the ones ahead to do (⬜).
 */
export function progressLine(stage: Stage, memory: TaskMemory, runUrl?: string): string {
  if (stage === "abandoned") return "⛔ **Abandoned**: Conveyor does no more work on this task.";
  const at = PIPELINE.findIndex((p) => p.stage === stage);
  return PIPELINE.map((p, i) => {
    if (i < at || stage === "done") return `✅ ${p.title}`;
    if (i > at) return `⬜ ${p.title}`;
    if (memory.escalation) return `⚠️ **${p.title}** (escalated)`;
    const run = memory.run;
    const link =
      run && runUrl ? ` ([${run.role} run](${runUrl}))` : run ? ` (${run.role} starting)` : "";
    return `▶️ **${p.title}**${link}`;
  }).join(" → ");
}

/**
 * The sticky status comment of a task: what people read (stage, attempts, the agent run,
 * the PR, tokens and cost, the last failure in plain words) and the hidden state marker.
 */
export function formatStatusComment(
  task: Pick<Task, "id" | "stage" | "pr">,
  memory: TaskMemory,
  extras: StatusExtras = {},
): string {
  const a = memory.attempts;
  const lines = [
    STATUS_HEADER,
    "",
    progressLine(task.stage, memory, extras.runUrl),
    "",
    "| | |",
    "| --- | --- |",
  ];
  lines.push(`| Stage | **${task.stage}**${memory.escalation ? " (escalated)" : ""} |`);
  lines.push(
    `| Failures | task ${a.task} · review ${a.reviewer} · test ${a.tester} · merge ${a.merge} |`,
  );
  lines.push(`| Agent runs | ${memory.runs} |`);
  if (memory.run) {
    const run = `${memory.run.role}, attempt ${memory.run.attempt + 1}`;
    const where = extras.runUrl
      ? `[${run}](${extras.runUrl})`
      : `${run}: run \`conveyor ${memory.run.correlationId}\`${extras.workflowUrl ? ` of the [agent workflow](${extras.workflowUrl})` : ""}`;
    lines.push(`| Agent at work | ${where} |`);
  }
  if (task.pr) {
    const n = task.pr.number;
    lines.push(
      `| Pull request | ${extras.repoUrl ? `[#${n}](${extras.repoUrl}/pull/${n})` : `#${n}`} |`,
    );
  }
  lines.push(`| Tokens | ${memory.tokens.toLocaleString("en-US")} |`);
  lines.push(`| Cost | $${memory.costUsd.toFixed(2)} |`);
  if (memory.lastFailure) lines.push(`| Last failure | ${cell(memory.lastFailure)} |`);
  if (memory.escalation) lines.push(`| Escalated | ${cell(memory.escalation.reason)} |`);
  lines.push(
    "",
    "_Updated in place by Conveyor. Commands: `/conveyor status`, `/conveyor retry`._",
  );
  return fitWithMarker(lines.join("\n"), encodeMarker("state", memory));
}

/**
 * Text safe inside one table cell: one line, pipes escaped, HTML comments cut, @-mentions
 * defused (issue titles and agent words must not notify people from the bot's comments).
 */
export function cell(text: string): string {
  const flat = stripHtmlComments(text)
    .replace(/@(?=[A-Za-z0-9])/g, "@\u200b")
    .replace(/[\r\n]+/g, " ")
    .replace(/\|/g, "\\|")
    .trim();
  return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
}
