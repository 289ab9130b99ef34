import type { LocalEvent } from "./local-events.js";
import type { PassSnapshot } from "./run-loop.js";
import { formatRows, taskRows } from "./task-rows.js";

type Out = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/**
 * What `conveyor run` shows while it works. On a terminal: the events scroll, and below them
 * a table (one row per task: stage, role, attempt, elapsed, tokens) redrawn in place with
 * ANSI codes. Elsewhere (CI, a pipe): plain log lines, one per event.
 */
export class TerminalView {
  readonly #out: Out;
  readonly #live: boolean;
  readonly #clock: () => Date;
  #drawn = 0;
  #last: PassSnapshot | undefined;

  constructor(out: Out, options: { live?: boolean; clock?: () => Date } = {}) {
    this.#out = out;
    this.#live = options.live ?? out.isTTY === true;
    this.#clock = options.clock ?? (() => new Date());
  }

  event(e: LocalEvent): void {
    const stamp = this.#clock().toISOString().slice(11, 19);
    const mark =
      e.kind === "error" || e.kind === "problem" ? "!" : e.kind === "escalate" ? "‼" : "·";
    this.#clear();
    this.#out.write(`${stamp} ${mark} ${e.text}\n`);
    this.#draw();
  }

  update(snapshot: PassSnapshot): void {
    this.#last = snapshot;
    if (!this.#live) return;
    this.#clear();
    this.#draw();
  }

  /** Leaves the last table on screen. */
  close(): void {
    this.#drawn = 0;
  }

  #clear(): void {
    if (!this.#live || this.#drawn === 0) return;
    this.#out.write(`\x1b[${this.#drawn}A\x1b[0J`);
    this.#drawn = 0;
  }

  #draw(): void {
    if (!this.#live || !this.#last) return;
    const s = this.#last;
    const rows = taskRows(s.board, this.#clock(), false);
    const width = this.#out.columns ?? 100;
    const header = `── agents ${s.plan.slots.used}/${s.plan.slots.capacity} · in flight ${s.plan.inFlight.used}/${s.plan.inFlight.capacity} · merge queue ${s.plan.mergeQueue.join(", ") || "empty"} ──`;
    const lines = [header, ...(rows.length > 0 ? formatRows(rows, width) : ["(no open tasks)"])];
    this.#out.write(`${lines.map((l) => l.slice(0, width)).join("\n")}\n`);
    this.#drawn = lines.length;
  }
}
