import type { Board, Task } from "../board.js";
import { codeSpan } from "./code-span.js";
import type { KeptText } from "./kept-text.js";
import { sortBacklog, sortMergeQueue } from "./task-order.js";
import {
  KEPT_NOTE,
  MERGE_QUEUE_HEADING,
  NO_TASKS_LINE,
  TRACKING_FILES,
  type TrackedStage,
  type TrackingFileSpec,
  trackingFilePath,
} from "./tracking-files.js";

/**
 * Renders the tracking files TODO.md, IN_PROGRESS.md, REVIEW.md and TESTING.md from the
 * board. The layout, read back by `parseTrackingFile`:
 *
 *   # TODO
 *
 *   <!-- Conveyor tracking file … -->
 *
 *   - [ESCALATED] **T3** [high] Add a --json flag to the CLI
 *     - Location: `src/cli.ts`, `src/format.ts`
 *     - Branch: `T3` · PR: #12 · Attempts: task 1
 *     - Escalated: <reason, one line>
 *     - Feedback: <first line of the feedback, at most 200 characters>
 *     > every line of the task body, quoted
 *
 * One list item per task: an optional `[ESCALATED]` or `[RETRY]` flag, the id in bold, the
 * priority in brackets, then the title verbatim (on one line). Detail lines are nested
 * `Key: value` items, written only when they have a value. The body is quoted line by line,
 * so nothing in it (a "- " line, a heading) can pass for a task or a detail. TESTING.md
 * ends with a "## Merge queue" subsection listing merge-queue tasks in queue order.
 * An empty list is written as "_No tasks._". Done and abandoned tasks are not listed:
 * CHANGELOG.md records them.
 *
 * What the user wrote that is not a task (`kept`, see `keptText`) is written back as it was:
 * above the list what stood above the first task, below it the rest (below the merge queue
 * what stood under its heading), each part after a blank line.
 */

export interface RenderTrackingOptions {
  /** Folder of the files, e.g. `docs`: keys become `docs/TODO.md`. */
  folder?: string;
  /** The user's lines of each file (by path, as the keys of the result), kept as written. */
  kept?: Readonly<Record<string, KeptText>>;
}

const FEEDBACK_MAX = 200;

const HELP = [
  "<!-- Conveyor tracking file, rewritten from the board. One task per list item:",
  '     "- **<id>** [<priority>] <title>", details as nested "- Key: value" items, the body',
  '     quoted with "> ". To add a task by hand write "- [high] Title" (priority optional),',
  '     with "- Location: a.ts, b.ts" and indented text for the body underneath. -->',
];

/** One line of text: line breaks become spaces, outer whitespace goes. */
export const oneLine = (text: string): string => text.replace(/[\r\n]+/g, " ").trim();

function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

function attemptsText(task: Task): string {
  const a = task.memory.attempts;
  const parts: string[] = [];
  if (a.task > 0) parts.push(`task ${a.task}`);
  if (a.reviewer > 0) parts.push(`review ${a.reviewer}`);
  if (a.tester > 0) parts.push(`test ${a.tester}`);
  if (a.merge > 0) parts.push(`merge ${a.merge}`);
  return parts.join(", ");
}

/** True when the task is being retried: a failure counted and not escalated. */
export function isRetry(task: Task): boolean {
  const a = task.memory.attempts;
  return task.memory.escalation === undefined && a.task + a.reviewer + a.tester + a.merge > 0;
}

/** The list item of one task (head line plus its nested lines). */
export function renderTaskItem(task: Task): string[] {
  const flag = task.memory.escalation ? "[ESCALATED] " : isRetry(task) ? "[RETRY] " : "";
  const title = oneLine(task.title) || "(untitled)";
  const lines = [`- ${flag}**${task.id}** [${task.priority}] ${title}`];

  const locations = task.locations.map(oneLine).filter((l) => l !== "");
  if (locations.length > 0) lines.push(`  - Location: ${locations.map(codeSpan).join(", ")}`);

  const meta: string[] = [];
  const branch = oneLine(task.branch ?? task.pr?.branch ?? "");
  if (branch) meta.push(`Branch: ${codeSpan(branch)}`);
  // Local mode has branches but no PR numbers.
  if (task.pr?.number !== undefined) meta.push(`PR: #${task.pr.number}`);
  const attempts = attemptsText(task);
  if (attempts) meta.push(`Attempts: ${attempts}`);
  if (meta.length > 0) lines.push(`  - ${meta.join(" · ")}`);

  if (task.memory.escalation) {
    lines.push(`  - Escalated: ${oneLine(task.memory.escalation.reason) || "(no reason given)"}`);
  }
  // The feedback on one line ("…Review: <the review>"), however many lines it has.
  const feedback = oneLine(
    (task.memory.feedback ?? "")
      .split(/\r\n?|\n/)
      .map((l) => l.trim())
      .filter((l) => l !== "")
      .join(" "),
  );
  if (feedback) lines.push(`  - Feedback: ${truncate(feedback, FEEDBACK_MAX)}`);

  const body = (task.body ?? "").replace(/\r\n?/g, "\n");
  if (body.trim() !== "") {
    for (const line of body.split("\n")) lines.push(line === "" ? "  >" : `  > ${line}`);
  }
  return lines;
}

function renderList(tasks: Task[]): string[] {
  return tasks.length === 0 ? [NO_TASKS_LINE] : tasks.flatMap(renderTaskItem);
}

/** The user's lines that follow a list: an indented first one would read as the last task's. */
function after(kept: readonly string[] | undefined): string[] {
  if (!kept || kept.length === 0) return [];
  return /^[ \t]/.test(kept[0]!) ? ["", KEPT_NOTE, ...kept] : ["", ...kept];
}

function renderFile(
  spec: TrackingFileSpec,
  byStage: Map<TrackedStage, Task[]>,
  kept: KeptText | undefined,
): string {
  const main = sortBacklog(byStage.get(spec.stage) ?? []);
  const top = kept && kept.top.length > 0 ? [...kept.top, ""] : [];
  const lines = [`# ${spec.title}`, "", ...HELP, "", ...top, ...renderList(main)];
  if (spec.stage === "testing") {
    const queue = sortMergeQueue(byStage.get("merge-queue") ?? []);
    lines.push(...after(kept?.list), "", MERGE_QUEUE_HEADING, "", ...renderList(queue));
    lines.push(...after(kept?.queue));
  } else lines.push(...after([...(kept?.list ?? []), ...(kept?.queue ?? [])]));
  return `${lines.join("\n")}\n`;
}

/** The text of each tracking file, keyed by its path (`TODO.md`, or `<folder>/TODO.md`). */
export function renderTrackingFiles(
  board: Board,
  options: RenderTrackingOptions = {},
): Record<string, string> {
  const byStage = new Map<TrackedStage, Task[]>();
  for (const task of board.tasks) {
    const stage = task.stage as TrackedStage;
    const list = byStage.get(stage);
    if (list) list.push(task);
    else byStage.set(stage, [task]);
  }
  const files: Record<string, string> = {};
  for (const spec of TRACKING_FILES) {
    const path = trackingFilePath(spec.name, options.folder);
    files[path] = renderFile(spec, byStage, options.kept?.[path]);
  }
  return files;
}
