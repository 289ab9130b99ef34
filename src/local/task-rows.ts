import type { Board, Task } from "../core/board.js";

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

/** Rows as an aligned text table. */
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
  const widths = cols.map((c) => Math.max(...all.map((r) => r[c].length)));
  return all.map((r) => {
    const left = cols.map((c, i) => r[c].padEnd(widths[i]!)).join("  ");
    const room = Math.max(10, width - left.length - 2);
    const title = r.title.length > room ? `${r.title.slice(0, room - 1)}…` : r.title;
    return `${left}  ${title}`.trimEnd();
  });
}
