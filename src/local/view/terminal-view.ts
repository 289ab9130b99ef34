import * as util from "node:util";
import stringWidth from "string-width";
import type { LocalEvent } from "../run/local-events.js";
import type { PassSnapshot } from "../run/run-loop.js";
import { formatRows, taskRows } from "./task-rows.js";

type Out = NodeJS.WritableStream & {
  isTTY?: boolean;
  columns?: number;
  on?(event: "resize", listener: () => void): unknown;
  off?(event: "resize", listener: () => void): unknown;
};

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** Columns `text` takes on a terminal: CJK and most emoji take two, combining marks none. */
export function displayWidth(text: string): number {
  return stringWidth(text);
}

/**
 * `text` cut to at most `columns` terminal columns, never inside a character (an emoji, a
 * CJK character, a flag or a family stays whole), with "…" where it was cut.
 */
export function fitColumns(text: string, columns: number): string {
  if (columns <= 0) return "";
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

/**
 * What `conveyor run` shows while it works. On a terminal: the events scroll, and below them
 * a table (one row per task: stage, role, attempt, elapsed, tokens) redrawn in place with
 * ANSI codes. Elsewhere (CI, a pipe): plain log lines, one per event.
 */
export class TerminalView {
  readonly #out: Out;
  readonly #live: boolean;
  readonly #clock: () => Date;
  /** Display width of each line of the table on screen (what #clear has to erase). */
  #drawn: number[] = [];
  #last: PassSnapshot | undefined;
  readonly #onResize = () => this.#resized();
  readonly #color: boolean;

  /** `color`: escalations and errors in colour (the CLI decides: a terminal, no NO_COLOR). */
  constructor(out: Out, options: { live?: boolean; clock?: () => Date; color?: boolean } = {}) {
    this.#out = out;
    this.#color = options.color === true && typeof util.styleText === "function";
    this.#live = options.live ?? out.isTTY === true;
    this.#clock = options.clock ?? (() => new Date());
    if (this.#live) out.on?.("resize", this.#onResize);
  }

  event(e: LocalEvent): void {
    const stamp = this.#clock().toISOString().slice(11, 19);
    const mark =
      e.kind === "error" || e.kind === "problem" ? "!" : e.kind === "escalate" ? "‼" : "·";
    this.#clear();
    this.#out.write(`${this.#colored(e.kind, `${stamp} ${mark} ${e.text}`)}\n`);
    this.#draw();
  }

  update(snapshot: PassSnapshot): void {
    this.#last = snapshot;
    if (!this.#live) return;
    this.#clear();
    this.#draw();
  }

  #colored(kind: LocalEvent["kind"], line: string): string {
    if (!this.#color) return line;
    const format =
      kind === "escalate"
        ? (["bold", "magenta"] as const)
        : kind === "error" || kind === "problem"
          ? (["bold", "red"] as const)
          : kind === "merge"
            ? (["green"] as const)
            : undefined;
    return format ? util.styleText([...format], line, { validateStream: false }) : line;
  }

  /** Leaves the last table on screen. */
  close(): void {
    this.#drawn = [];
    this.#out.off?.("resize", this.#onResize);
  }

  /** The terminal's width now (each redraw asks again: the window may have been resized). */
  #columns(): number {
    const c = this.#out.columns;
    return c !== undefined && c > 0 ? c : 100;
  }

  /**
   * Erases the table: up as many screen rows as it takes now. A narrower terminal has
   * rewrapped its lines (terminals reflow on resize), so a line may take several rows.
   */
  #clear(): void {
    if (!this.#live || this.#drawn.length === 0) return;
    const cols = this.#columns();
    const rows = this.#drawn.reduce((n, w) => n + Math.max(1, Math.ceil(w / cols)), 0);
    this.#out.write(`\x1b[${rows}A\x1b[0J`);
    this.#drawn = [];
  }

  #resized(): void {
    this.#clear();
    this.#draw();
  }

  #draw(): void {
    if (!this.#live || !this.#last) return;
    const s = this.#last;
    const rows = taskRows(s.board, this.#clock(), false);
    // One column spare: a line exactly as wide as the terminal wraps on some of them.
    const width = Math.max(1, this.#columns() - 1);
    const header = `── agents ${s.plan.slots.used}/${s.plan.slots.capacity} · in flight ${s.plan.inFlight.used}/${s.plan.inFlight.capacity} · merge queue ${s.plan.mergeQueue.join(", ") || "empty"} ──`;
    // Rows untruncated (formatRows cuts by UTF-16 units), then each line fitted in columns.
    const table = rows.length > 0 ? formatRows(rows, Number.MAX_SAFE_INTEGER) : ["(no open tasks)"];
    const lines = [header, ...table];
    const fitted = lines.map((l) => fitColumns(l, width));
    this.#out.write(`${fitted.join("\n")}\n`);
    this.#drawn = fitted.map(displayWidth);
  }
}
