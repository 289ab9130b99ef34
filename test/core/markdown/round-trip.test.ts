import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Stage, Task } from "../../../src/core/board.js";
import { PRIORITIES } from "../../../src/core/config.js";
import {
  isTrackedStage,
  parseTrackingFiles,
  renderTrackingFiles,
} from "../../../src/core/markdown/index.js";
import { board, pr, task } from "./board-fixture.js";

/** Pieces that stress the format: markdown syntax, our own tokens, odd whitespace, unicode. */
const tricky = fc.constantFrom(
  "*",
  "**",
  "`",
  "``",
  "[",
  "]",
  "(",
  ")",
  "#",
  "## ",
  ">",
  "- ",
  "* ",
  "+ ",
  "1. ",
  "_",
  "[high]",
  "[x]",
  "[ ] ",
  "[RETRY]",
  "[ESCALATED]",
  "(priority: low)",
  "T7: ",
  "**T1**",
  "<!--",
  "-->",
  " · ",
  "Branch: ",
  "PR: #9",
  "Location: ",
  ",",
  " ",
  "  ",
  "\t",
  "\\",
  "|",
  "\n",
  "\r\n",
  "\r",
  "\u2028",
  "\u00a0",
  "\u0085",
  "é",
  "中文",
  "👩‍💻",
  "_No tasks._",
);
const text = (maxLength: number) =>
  fc.string({
    unit: fc.oneof(tricky, fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 })),
    maxLength,
  });

const oneLine = (s: string) => s.replace(/[\r\n]+/g, " ").trim();

const stage = fc.constantFrom<Stage>(
  "todo",
  "in-progress",
  "review",
  "testing",
  "merge-queue",
  "merge-queue",
  "done",
  "abandoned",
);
const date = fc
  .integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2027, 0, 1) })
  .map((ms) => new Date(ms).toISOString());
const attempt = fc.integer({ min: 0, max: 2 });

const taskFields = fc.record({
  title: text(40).filter((t) => oneLine(t) !== ""),
  priority: fc.constantFrom(...PRIORITIES),
  stage,
  createdAt: date,
  stageSince: date,
  locations: fc.array(text(15), { maxLength: 3 }),
  body: fc.option(
    fc.array(text(25), { maxLength: 5 }).map((ls) => ls.join("\n")),
    { nil: undefined },
  ),
  branch: fc.option(text(15), { nil: undefined }),
  pr: fc.option(fc.record({ number: fc.integer({ min: 1, max: 99999 }), branch: text(10) }), {
    nil: undefined,
  }),
  escalation: fc.option(text(40), { nil: undefined }),
  feedback: fc.option(text(60), { nil: undefined }),
  attempts: fc.record({ task: attempt, reviewer: attempt, tester: attempt, merge: attempt }),
});

const boards = fc
  .uniqueArray(
    fc.oneof(
      fc.nat(500).map((n) => `T${n}`),
      fc.nat(500).map(String),
    ),
    { maxLength: 8 },
  )
  .chain((ids) =>
    fc.tuple(
      fc.constant(ids),
      fc.array(taskFields, { minLength: ids.length, maxLength: ids.length }),
    ),
  )
  .map(([ids, fields]) =>
    board(
      ids.map((id, i) => {
        const f = fields[i]!;
        return task(id, {
          title: f.title,
          priority: f.priority,
          stage: f.stage,
          createdAt: f.createdAt,
          locations: f.locations,
          ...(f.body !== undefined ? { body: f.body } : {}),
          ...(f.branch !== undefined ? { branch: f.branch } : {}),
          ...(f.pr ? { pr: pr(f.pr.number, f.pr.branch) } : {}),
          memory: {
            stageSince: f.stageSince,
            ...(f.feedback !== undefined ? { feedback: f.feedback } : {}),
            attempts: f.attempts,
            ...(f.escalation !== undefined
              ? { escalation: { reason: f.escalation, at: f.createdAt, stage: f.stage } }
              : {}),
          },
        });
      }),
    ),
  );

/** What the files must give back for a task: the fields they render, normalised. */
function expected(t: Task) {
  const a = t.memory.attempts;
  const body = (t.body ?? "").replace(/\r\n?/g, "\n");
  const branch = oneLine(t.branch ?? t.pr?.branch ?? "");
  return {
    id: t.id,
    title: oneLine(t.title),
    priority: t.priority,
    stage: t.stage,
    locations: t.locations.map(oneLine).filter((l) => l !== ""),
    body: body.trim() === "" ? undefined : body,
    branch: branch === "" ? undefined : branch,
    pr: t.pr?.number,
    escalated: t.memory.escalation
      ? oneLine(t.memory.escalation.reason) || "(no reason given)"
      : undefined,
    retry: !t.memory.escalation && a.task + a.reviewer + a.tester + a.merge > 0,
  };
}

describe("tracking files round-trip", () => {
  it("parse(render(board)) gives back every rendered field, with no errors", () => {
    fc.assert(
      fc.property(boards, fc.constantFrom(undefined, "docs"), (b, folder) => {
        const { byStage, errors } = parseTrackingFiles(
          renderTrackingFiles(b, folder ? { folder } : {}),
        );
        expect(errors).toEqual([]);
        const parsed = Object.values(byStage)
          .flat()
          .map(({ line: _line, end: _end, ...rest }) => ({
            body: undefined,
            branch: undefined,
            pr: undefined,
            escalated: undefined,
            ...rest,
          }))
          .sort((x, y) => (x.id! < y.id! ? -1 : 1));
        const want = b.tasks
          .filter((t) => isTrackedStage(t.stage))
          .map(expected)
          .sort((x, y) => (x.id < y.id ? -1 : 1));
        expect(parsed).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });

  it("re-rendering a parsed board is stable (render is deterministic)", () => {
    fc.assert(
      fc.property(boards, (b) => {
        const shuffled = { ...b, tasks: [...b.tasks].reverse() };
        expect(renderTrackingFiles(shuffled)).toEqual(renderTrackingFiles(b));
      }),
      { numRuns: 100 },
    );
  });
});
