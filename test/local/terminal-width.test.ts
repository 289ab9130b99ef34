import type { EventEmitter } from "node:events";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { type Board, emptyMemory, emptyRepoMemory, type Task } from "../../src/core/board.js";
import type { PassSnapshot } from "../../src/local/run/run-loop.js";
import { displayWidth, fitColumns, TerminalView } from "../../src/local/view/terminal-view.js";

// The live table must fit the terminal in columns, not in UTF-16 units: a line wider than
// the terminal wraps, the redraw then moves up too few rows and stale headers pile up.

const now = new Date("2026-11-25T10:00:00.000Z");
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function task(id: string, title: string): Task {
  return {
    id,
    title,
    priority: "high",
    stage: "todo",
    createdAt: now.toISOString(),
    locations: [],
    memory: emptyMemory(),
  };
}

function snapshot(titles: string[]): PassSnapshot {
  const board: Board = {
    repo: "/repo",
    tasks: titles.map((t, i) => task(`T${i + 1}`, t)),
    runs: {},
    results: {},
    preflight: [],
    repoMemory: emptyRepoMemory(),
  };
  return {
    board,
    plan: {
      effects: [],
      waiting: [],
      slots: { used: 0, capacity: 6 },
      inFlight: { used: 0, capacity: 6 },
      mergeQueue: [],
    },
    problems: [],
    running: [],
  };
}

/** A fake terminal: a stream with a width that can change, and the "resize" event. */
function terminal(columns: number) {
  const out = Object.assign(new PassThrough(), { isTTY: true, columns });
  let text = "";
  out.on("data", (c: Buffer) => {
    text += c.toString();
  });
  return {
    out,
    text: () => text,
    take: () => {
      const t = text;
      text = "";
      return t;
    },
    resize(to: number) {
      out.columns = to;
      (out as EventEmitter).emit("resize");
    },
  };
}

/** The lines of one drawn table (the text after the last erase sequence). */
function tableLines(text: string): string[] {
  const erase = text.lastIndexOf("\u001b[0J");
  const last = erase < 0 ? text : text.slice(erase + 4);
  return last.split("\n").filter((l) => l !== "" && !/^\d\d:\d\d:\d\d /.test(l));
}

const CJK = "修复中文标题在终端里的换行问题并确保表格不会错位也不会重复表头";
const EMOJI = "Ship 👨‍👩‍👧‍👦 families 🇫🇷 flags 👍🏽 and more emoji 🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉";

describe("the live view measures terminal columns", () => {
  it("cuts a CJK title to the terminal's width, so the redraw erases exactly what it drew", () => {
    const t = terminal(60);
    const view = new TerminalView(t.out, { clock: () => now });
    view.update(snapshot([CJK, "short"]));
    const drawn = tableLines(t.take());
    expect(drawn).toHaveLength(4);
    for (const line of drawn) expect(displayWidth(line)).toBeLessThan(60);
    expect(drawn[2]).toContain("修复");
    expect(drawn[2]?.endsWith("…")).toBe(true);
    // No line wrapped, so one row per line: up 4 rows, not more, not fewer.
    view.event({ kind: "info", text: "T2: waiting" });
    expect(t.take().startsWith("\x1b[4A\x1b[0J")).toBe(true);
  });

  it("never cuts an emoji (or a flag, or a family) in half", () => {
    for (let columns = 20; columns <= 90; columns++) {
      const t = terminal(columns);
      const view = new TerminalView(t.out, { clock: () => now });
      view.update(snapshot([EMOJI]));
      for (const line of tableLines(t.text())) {
        expect(line).not.toMatch(LONE_SURROGATE);
        expect(displayWidth(line)).toBeLessThan(columns);
        // What is left of the title is a prefix of it, whole characters only.
        const title = line.split(/ {2,}/).pop()?.replace(/…$/, "") ?? "";
        if (line.includes("Ship")) expect(EMOJI.startsWith(title)).toBe(true);
      }
    }
  });

  it("redraws on resize, erasing the rows the old lines take at the new width", () => {
    const t = terminal(100);
    const view = new TerminalView(t.out, { clock: () => now });
    view.update(snapshot([CJK]));
    const before = tableLines(t.take());
    const widths = before.map(displayWidth);
    t.resize(40);
    const after = t.take();
    // A terminal reflows the old lines on a narrower window: each takes ceil(w / 40) rows.
    const rows = widths.reduce((n, w) => n + Math.max(1, Math.ceil(w / 40)), 0);
    expect(rows).toBeGreaterThan(before.length);
    expect(after.startsWith(`\x1b[${rows}A\x1b[0J`)).toBe(true);
    for (const line of tableLines(after)) expect(displayWidth(line)).toBeLessThan(40);
    // Closed: a resize no longer redraws.
    view.close();
    t.resize(80);
    expect(t.take()).toBe("");
  });

  it("fitColumns keeps whole characters and marks the cut", () => {
    expect(fitColumns("abcdef", 6)).toBe("abcdef");
    expect(fitColumns("abcdefg", 6)).toBe("abcde…");
    expect(fitColumns("日本語のタイトル", 7)).toBe("日本語…");
    expect(fitColumns("ab👍🏽cd", 3)).toBe("ab…");
    expect(fitColumns("ab👍🏽cd", 5)).toBe("ab👍🏽…");
  });

  it("colours escalations and errors only when asked to (the CLI: a terminal, no NO_COLOR)", () => {
    for (const color of [true, false]) {
      const t = terminal(80);
      const view = new TerminalView(t.out, { clock: () => now, live: false, color });
      view.event({ kind: "escalate", task: "T5", text: "T5: ESCALATED — the task agent failed" });
      view.event({ kind: "info", text: "T2: waiting" });
      const [escalated, info] = t.text().split("\n");
      expect(escalated?.includes("\u001b[")).toBe(color);
      expect(escalated).toContain("T5: ESCALATED");
      expect(info).toBe("10:00:00 · T2: waiting");
    }
  });
});
