import type { Stage } from "../board.js";
import { PRIORITIES, type Priority } from "../config.js";
import { readCodeSpan, readValueList } from "./code-span.js";
import { isConveyorNote, NO_TASKS_LINE, TRACKING_FILES } from "./tracking-files.js";

/**
 * Reads a tracking file: what `renderTrackingFiles` writes, and what people write by hand.
 *
 * A task is a list item (`-`, `*`, `+` or `1.`) at the start of a line. Its head reads, in
 * this order, each part optional except the title:
 *   - a checkbox `[ ]` / `[x]` (a checked item is done: it is skipped, with no error);
 *   - flags `[ESCALATED]` / `[RETRY]`;
 *   - an id: `**T3**` (as rendered) or `T3:` (by hand);
 *   - a priority: `[high]` or `(priority: high)`; any other `[word]` is an error;
 *   - the title: the rest of the line, verbatim.
 * Lines indented under an item belong to it: `- Location: a.ts, b.ts`, `- Branch: …`,
 * `- PR: #12`, `- Attempts: …` (may share one line, joined by " · "), `- Escalated: reason`,
 * `- Feedback: …` (ignored: the board keeps the full text); `> text` lines and any other
 * indented text (an HTML comment included) are the body. Headings, blank lines, HTML
 * comments, thematic breaks (`---`) and "_No tasks._" are not tasks. Anything else is a
 * `ParseError` (1-based line number and the line as written), and reading goes on with the
 * next line. Under a "## Merge queue" heading, tasks of a `testing` file are in stage
 * `merge-queue`.
 *
 * Every line that is not Conveyor's is listed in `foreign`, so a rewrite keeps it: Conveyor's
 * lines are the file's title heading, its help comment, "_No tasks._", TESTING.md's first
 * "## Merge queue" heading, and the tasks it read (their heads, details and body). Anything
 * else (prose, headings, comments, a checked item, an unreadable item with its nested lines)
 * is the user's.
 */

export interface ParsedTask {
  id?: string;
  title: string;
  priority?: Priority;
  locations: string[];
  body?: string;
  branch?: string;
  pr?: number;
  /** Escalation reason; set when the item is flagged `[ESCALATED]`. */
  escalated?: string;
  retry: boolean;
  /** 1-based line of the item's head. */
  line: number;
  /** 1-based last line of the item (its head, or its last nested line). */
  end: number;
  /** Stage of the list the item is in (`merge-queue` under TESTING.md's subsection). */
  stage: Stage;
}

export interface ParseError {
  line: number;
  text: string;
  message: string;
  /**
   * 1-based last line that goes with the error: the last nested line of an item that could
   * not be read (left out with it), else `line`.
   */
  end: number;
  /** False when the line is not left out but kept with its task (an unreadable detail). */
  keep?: false;
}

export interface ParsedTrackingFile {
  tasks: ParsedTask[];
  errors: ParseError[];
  layout: TrackingLayout;
}

/** Where the lines of a tracking file that are not Conveyor's sit (see `keptText`). */
export interface TrackingLayout {
  /** 1-based numbers of the lines that are not Conveyor's (blank lines are not listed). */
  foreign: number[];
  /** 1-based line of the first list element (a task read, or "_No tasks._") of the main list. */
  listStart?: number;
  /** TESTING.md: 1-based line of its "## Merge queue" heading. */
  queueHeading?: number;
  /** 1-based line where an HTML comment starts that is never closed (it runs to the end). */
  openComment?: number;
  /** True for TESTING.md (its files end with the merge queue). */
  hasQueue: boolean;
}

const LIST_ITEM = /^([-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$/s;
const ESCALATED_UNKNOWN = "(no reason given)";

type HeadResult =
  | { kind: "task"; task: Omit<ParsedTask, "line" | "end" | "stage"> }
  | { kind: "done" }
  | { kind: "error"; message: string };

const isPriority = (word: string): word is Priority =>
  (PRIORITIES as readonly string[]).includes(word);

/** Reads the head of a list item (the text after the marker). */
function readHead(text: string): HeadResult {
  let rest = text.trim();
  const box = /^\[([ xX])\][ \t]*/.exec(rest);
  if (box) {
    if (box[1] !== " ") return { kind: "done" };
    rest = rest.slice(box[0].length);
  }
  let escalated: string | undefined;
  let retry = false;
  for (;;) {
    const flag = /^\[(ESCALATED|RETRY)\][ \t]*/.exec(rest);
    if (!flag) break;
    if (flag[1] === "ESCALATED") escalated = ESCALATED_UNKNOWN;
    else retry = true;
    rest = rest.slice(flag[0].length);
  }
  let id: string | undefined;
  const boldId = /^\*\*([^*\s]+)\*\*(?:[ \t]+|$)/.exec(rest);
  const plainId = boldId ? null : /^(#?\d+|[A-Z][A-Z0-9]*-?\d+):(?:[ \t]+|$)/.exec(rest);
  const idMatch = boldId ?? plainId;
  if (idMatch) {
    id = idMatch[1]!.replace(/^#/, "");
    rest = rest.slice(idMatch[0].length);
  }
  let priority: Priority | undefined;
  const bracket = /^\[([A-Za-z][\w-]*)\](?!\()(?:[ \t]+|$)/.exec(rest);
  const paren = bracket ? null : /^\(priority:[ \t]*([^)]*)\)(?:[ \t]+|$)/i.exec(rest);
  const prMatch = bracket ?? paren;
  if (prMatch) {
    const word = prMatch[1]!.trim().toLowerCase();
    if (!isPriority(word)) {
      return {
        kind: "error",
        message: `unknown priority "${prMatch[1]!.trim()}" (expected ${PRIORITIES.join(", ")})`,
      };
    }
    priority = word;
    rest = rest.slice(prMatch[0].length);
  }
  // Rendered titles are verbatim after the head; hand-written ones lose outer spaces.
  const title = rest.trim();
  if (title === "") return { kind: "error", message: "task has no title" };
  const task: Omit<ParsedTask, "line" | "end" | "stage"> = { title, locations: [], retry };
  if (id !== undefined) task.id = id;
  if (priority !== undefined) task.priority = priority;
  if (escalated !== undefined) task.escalated = escalated;
  return { kind: "task", task };
}

/** Splits "a · b · c" on separators outside code spans. */
function splitMeta(text: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    if (text[i] === "`") {
      const span = readCodeSpan(text, i);
      if (span) {
        i = span.end;
        continue;
      }
    }
    if (text.startsWith(" · ", i)) {
      parts.push(text.slice(start, i));
      i += 3;
      start = i;
      continue;
    }
    i++;
  }
  parts.push(text.slice(start));
  return parts;
}

const DETAIL = /^(location|locations|branch|pr|attempts|escalated|feedback):[ \t]*(.*)$/is;

/**
 * Applies one nested `- Key: value` line to the task. Returns false when the line is not a
 * detail (then it is body text), or an error message.
 */
function applyDetail(task: ParsedTask, content: string): boolean | string {
  // Free text (a reason, feedback) runs to the end of the line: never split it.
  const segments = /^(escalated|feedback):/i.test(content) ? [content] : splitMeta(content);
  const parsed = segments.map((s) => DETAIL.exec(s.trim()));
  if (parsed.some((m) => m === null)) return false;
  for (const m of parsed) {
    const key = m![1]!.toLowerCase();
    const value = m![2]!;
    switch (key) {
      case "location":
      case "locations":
        task.locations.push(...readValueList(value));
        break;
      case "branch": {
        const v = value.trim();
        const span = v.startsWith("`") ? readCodeSpan(v, 0) : undefined;
        const branch = span && span.end === v.length ? span.value : v;
        if (branch) task.branch = branch;
        break;
      }
      case "pr": {
        const pr = /^#?(\d+)$/.exec(value.trim());
        if (!pr) return `PR must be a number like #12, got "${value.trim()}"`;
        task.pr = Number(pr[1]);
        break;
      }
      case "escalated":
        task.escalated = value.trim() || ESCALATED_UNKNOWN;
        task.retry = false;
        break;
      default:
        // attempts and feedback: shown for people, the board keeps the real values.
        break;
    }
  }
  return true;
}

interface OpenItem {
  task: ParsedTask;
  /** Indentation of the item's content (text after "- "). */
  indent: number;
  body: string[];
  /** Blank lines seen since the last body line. */
  blanks: number;
}

/** Removes up to `n` columns of leading indentation. */
function dedent(line: string, n: number): string {
  let col = 0;
  let i = 0;
  while (i < line.length && col < n) {
    if (line[i] === " ") col++;
    else if (line[i] === "\t") col += 4 - (col % 4);
    else break;
    i++;
  }
  return line.slice(i);
}

function close(item: OpenItem | undefined, tasks: ParsedTask[]): void {
  if (!item) return;
  if (item.body.length > 0) item.task.body = item.body.join("\n");
  tasks.push(item.task);
}

/** Reads one tracking file whose main list holds tasks of `stage`. */
export function parseTrackingFile(text: string, stage: Stage): ParsedTrackingFile {
  const tasks: ParsedTask[] = [];
  const errors: ParseError[] = [];
  const title = TRACKING_FILES.find((f) => f.stage === stage)?.title;
  const layout: TrackingLayout = { foreign: [], hasQueue: stage === "testing" };
  const foreign = (index: number) => layout.foreign.push(index + 1);
  let titleSeen = false;
  let helpSeen = false;
  /** Whose the comment being read is: the user's, Conveyor's, or the open item's body. */
  let commentOwner: "user" | "conveyor" | "body" = "user";
  let commentStart = 0;
  const seen = new Map<string, number>();
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let listStage: Stage = stage;
  let item: OpenItem | undefined;
  /** True while skipping the nested lines of a done or unreadable item. */
  let skipping = false;
  /** The error of the unreadable item being skipped: its nested lines go with it. */
  let skipped: ParseError | undefined;
  let inComment = false;
  /** Indentation of the text of the open (or skipped) item: lines indented this far nest. */
  let ownerIndent = 4;

  const fail = (index: number, message: string): ParseError => {
    const error = { line: index + 1, text: lines[index]!, message, end: index + 1 };
    errors.push(error);
    return error;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const trimmed = line.trim();

    if (inComment) {
      if (trimmed.includes("-->")) inComment = false;
      if (commentOwner === "user") foreign(i);
      else if (commentOwner === "body" && item) {
        item.task.end = i + 1;
        for (; item.blanks > 0; item.blanks--) item.body.push("");
        item.body.push(dedent(line, item.indent));
      }
      continue;
    }
    if (trimmed === "") {
      if (item && item.body.length > 0) item.blanks++;
      continue;
    }
    // Markdown allows up to 3 spaces before a list marker: such an item, less indented than
    // the open item's text, is a sibling, not a nested line.
    const lead = /^ {1,3}(?! )/.exec(line)?.[0].length ?? 0;
    const sibling = lead > 0 && lead < ownerIndent && LIST_ITEM.test(line.slice(lead));
    const indented = /^[ \t]/.test(line) && !sibling;
    if (indented && (item || skipping)) {
      if (skipping) {
        if (skipped) skipped.end = i + 1;
        foreign(i);
        continue;
      }
      const open = item!;
      open.task.end = i + 1;
      const content = dedent(line, open.indent);
      const quote = /^[ \t]*>/.exec(content);
      if (!quote && content.trimStart().startsWith("<!--")) {
        // A comment under a task is part of its body (kept with it, quoted when rewritten).
        inComment = !content.slice(content.indexOf("<!--") + 4).includes("-->");
        commentOwner = "body";
      }
      const detail = /^[ \t]*[-*+][ \t]+(.*)$/s.exec(content);
      if (detail && open.body.length === 0 && !quote) {
        const applied = applyDetail(open.task, detail[1]!);
        if (applied === true) continue;
        // A detail that cannot be read is reported, and kept with its task as body text.
        // Not also kept as the user's own line: it would be written twice, and the copy
        // outside the task read back as a task of its own.
        if (typeof applied === "string") fail(i, applied).keep = false;
      }
      const bodyLine = quote ? content.slice(quote[0].length).replace(/^ /, "") : content;
      for (; open.blanks > 0; open.blanks--) open.body.push("");
      open.body.push(bodyLine);
      continue;
    }

    // An unindented line ends the open item.
    close(item, tasks);
    item = undefined;
    skipping = false;
    skipped = undefined;
    ownerIndent = 4;

    if (trimmed.startsWith("<!--")) {
      inComment = !trimmed.slice(4).includes("-->");
      const help: boolean = !helpSeen && trimmed.startsWith(HELP_START);
      helpSeen ||= help;
      commentOwner = help || isConveyorNote(trimmed) ? "conveyor" : "user";
      if (commentOwner === "user") foreign(i);
      commentStart = i + 1;
      continue;
    }
    if (trimmed === NO_TASKS_LINE) {
      if (layout.queueHeading === undefined) layout.listStart ??= i + 1;
      continue;
    }
    if (/^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/.test(line)) {
      foreign(i); // thematic break
      continue;
    }
    const heading = /^(#{1,6})[ \t]+(.*?)[ \t#]*$/s.exec(line);
    if (heading || /^#{1,6}$/.test(trimmed)) {
      const words = heading ? heading[2]!.trim().toLowerCase() : undefined;
      const queue = heading?.[1] === "##" && /^merge[ -]queue$/i.test(words ?? "");
      if (heading?.[1] === "##" && stage === "testing") {
        listStage = queue ? "merge-queue" : stage;
      }
      if (!titleSeen && heading?.[1] === "#" && words === title?.toLowerCase()) titleSeen = true;
      else if (queue && stage === "testing" && layout.queueHeading === undefined) {
        layout.queueHeading = i + 1;
      } else foreign(i);
      continue;
    }
    if (indented) {
      fail(i, "indented text outside a task: indent it under a list item");
      foreign(i);
      continue;
    }
    const listItem = LIST_ITEM.exec(line.slice(lead));
    if (!listItem) {
      fail(i, 'not a task: write tasks as list items, e.g. "- [high] Title"');
      foreign(i);
      continue;
    }
    const head = readHead(listItem[2] ?? "");
    const markerWidth = lead + listItem[0].length - (listItem[2] ?? "").length;
    ownerIndent = Math.max(2, markerWidth);
    if (head.kind !== "task") foreign(i);
    if (head.kind === "done") {
      skipping = true;
      continue;
    }
    if (head.kind === "error") {
      skipped = fail(i, head.message);
      skipping = true;
      continue;
    }
    const id = head.task.id;
    if (id !== undefined && seen.has(id)) {
      skipped = fail(i, `duplicate task id ${id} (first on line ${seen.get(id)})`);
      foreign(i);
      skipping = true;
      continue;
    }
    if (id !== undefined) seen.set(id, i + 1);
    if (layout.queueHeading === undefined) layout.listStart ??= i + 1;
    item = {
      task: { ...head.task, line: i + 1, end: i + 1, stage: listStage },
      indent: ownerIndent,
      body: [],
      blanks: 0,
    };
  }
  close(item, tasks);
  if (inComment && commentOwner === "user") layout.openComment = commentStart;
  return { tasks, errors, layout };
}

/** How Conveyor's help comment starts (older wordings of it included). */
const HELP_START = "<!-- Conveyor tracking file";
