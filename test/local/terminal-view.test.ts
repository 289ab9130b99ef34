import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { Board } from "../../src/core/board.js";
import { emptyMemory, emptyRepoMemory } from "../../src/core/board.js";
import type { PassSnapshot } from "../../src/local/run/run-loop.js";
import { TerminalView } from "../../src/local/view/terminal-view.js";

const now = new Date("2026-11-25T10:00:00.000Z");

function snapshot(): PassSnapshot {
  const board: Board = {
    repo: "/repo",
    tasks: [
      {
        id: "T1",
        title: "Fix wordCount",
        priority: "high",
        stage: "review",
        createdAt: now.toISOString(),
        locations: [],
        memory: {
          ...emptyMemory(),
          tokens: 12_345,
          run: {
            role: "reviewer",
            attempt: 0,
            correlationId: "T1/reviewer/0/2",
            dispatchedAt: "2026-11-25T09:58:55.000Z",
          },
        },
      },
      {
        id: "T2",
        title: "Add slugify",
        priority: "medium",
        stage: "todo",
        createdAt: now.toISOString(),
        locations: [],
        memory: emptyMemory(),
      },
    ],
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
      slots: { used: 1, capacity: 6 },
      inFlight: { used: 1, capacity: 6 },
      mergeQueue: [],
    },
    problems: [],
    running: ["T1/reviewer/0/2"],
  };
}

function capture(isTTY: boolean) {
  const out = Object.assign(new PassThrough(), { isTTY, columns: 80 });
  let text = "";
  out.on("data", (c: Buffer) => {
    text += c.toString();
  });
  return { out, text: () => text };
}

describe("the live view of conveyor run", () => {
  it("prints plain log lines when stdout is not a terminal (CI)", () => {
    const c = capture(false);
    const view = new TerminalView(c.out, { clock: () => now });
    view.update(snapshot());
    view.event({
      kind: "dispatch",
      task: "T1",
      text: "T1: reviewer agent started (attempt 1, T1/reviewer/0/2)",
    });
    view.event({ kind: "escalate", task: "T5", text: "T5: ESCALATED — the task agent failed" });
    expect(c.text()).toMatchInlineSnapshot(`
      "10:00:00 · T1: reviewer agent started (attempt 1, T1/reviewer/0/2)
      10:00:00 ‼ T5: ESCALATED — the task agent failed
      "
    `);
  });

  it("redraws a table in place on a terminal: a row per task with stage, role, attempt, elapsed, tokens", () => {
    const c = capture(true);
    const view = new TerminalView(c.out, { clock: () => now });
    view.update(snapshot());
    view.event({ kind: "info", text: "T2: waiting — slots full: 6/6" });
    const lines = c.text().split("\n");
    expect(lines.slice(0, 4)).toEqual([
      "── agents 1/6 · in flight 1/6 · merge queue empty ──",
      "TASK  STAGE   ROLE      TRY  ELAPSED  TOKENS  TITLE",
      "T1    review  reviewer  1    1m05s    12.3k   Fix wordCount",
      "T2    todo    -         -    -        0       Add slugify",
    ]);
    // The event clears the table (cursor up 4 lines, erase), prints, then draws it again.
    expect(lines[4]).toBe("\x1b[4A\x1b[0J10:00:00 · T2: waiting — slots full: 6/6");
    expect(lines[5]).toBe("── agents 1/6 · in flight 1/6 · merge queue empty ──");
  });
});
