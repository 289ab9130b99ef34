import stringWidth from "string-width";
import type { Board, Task } from "../../core/board.js";

/** One row of the live view and of `conveyor status`. */
export interface TaskRow {
  id: string;
  stage: string;
  role: string;
  attempt: string;
  elapsed: string;
  tokens: string;
  title: string;
}

const STAGE_ORDER = [
  "merge-queue",
  "testing",
  "review",
  "in-progress",
  "todo",
  "done",
  "abandoned",
];

/** Rows for the tasks of a board, furthest along first; done tasks last. */
export function taskRows(board: Board, now: Date, includeFinished = true): TaskRow[] {
  return board.tasks
    .filter((t) => includeFinished || (t.stage !== "done" && t.stage !== "abandoned"))
    .sort(
      (a, b) =>
        STAGE_ORDER.indexOf(a.stage) - STAGE_ORDER.indexOf(b.stage) ||
        a.id.localeCompare(b.id, "en", { numeric: true }),
    )
    .map((t) => rowOf(t, now));
}

function rowOf(t: Task, now: Date): TaskRow {
  const run = t.memory.run;
  const stage = t.memory.escalation ? `${t.stage} [ESCALATED]` : t.stage;
  return {
    id: t.id,
    stage,
    role: run?.role ?? "-",
    attempt: run ? String(run.attempt + 1) : "-",
    elapsed: run ? formatElapsed(now.getTime() - Date.parse(run.dispatchedAt)) : "-",
    tokens: formatTokens(t.memory.tokens),
    title: t.title,
  };
}

export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

export function formatTokens(n: number): string {
  return n < 1000 ? String(n) : `${(n / 1000).toFixed(1)}k`;
}

/**
 * Rows as an aligned text table, measured in terminal columns (string-width): a CJK
 * character or an emoji takes two, and a title is cut between characters, never inside one.
 */
export function formatRows(rows: readonly TaskRow[], width = 100): string[] {
  const head: TaskRow = {
    id: "TASK",
    stage: "STAGE",
    role: "ROLE",
    attempt: "TRY",
    elapsed: "ELAPSED",
    tokens: "TOKENS",
    title: "TITLE",
  };
  const all = [head, ...rows];
  const cols: (keyof TaskRow)[] = ["id", "stage", "role", "attempt", "elapsed", "tokens"];
  const widths = cols.map((c) => Math.max(...all.map((r) => stringWidth(r[c]))));
  return all.map((r) => {
    const left = cols.map((c, i) => padColumns(r[c], widths[i]!)).join("  ");
    const room = Math.max(10, width - stringWidth(left) - 2);
    return `${left}  ${cutColumns(r.title, room)}`.trimEnd();
  });
}

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

function padColumns(text: string, columns: number): string {
  return text + " ".repeat(Math.max(0, columns - stringWidth(text)));
}

/** `text` in at most `columns` terminal columns, cut between graphemes, "…" where cut. */
export function cutColumns(text: string, columns: number): string {
  if (stringWidth(text) <= columns) return text;
  let out = "";
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const w = stringWidth(segment);
    if (used + w > columns - 1) break;
    out += segment;
    used += w;
  }
  return `${out}…`;
}
