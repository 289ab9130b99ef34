import { describe, expect, it } from "vitest";
import {
  type ParsedTask,
  parseTrackingFile,
  parseTrackingFiles,
} from "../../../src/core/markdown/index.js";

/** The fields a case cares about (line, stage, empty locations and retry=false are noise). */
function brief(t: ParsedTask): Partial<ParsedTask> {
  const { line: _line, end: _end, stage: _stage, ...rest } = t;
  const out: Partial<ParsedTask> = { ...rest };
  if (out.locations?.length === 0) delete out.locations;
  if (out.retry === false) delete out.retry;
  return out;
}

describe("parseTrackingFile: hand-written TODO.md", () => {
  it.each<[string, string, Partial<ParsedTask>[]]>([
    ["a plain item", "- Fix the login bug", [{ title: "Fix the login bug" }]],
    ["a star item with an empty checkbox", "* [ ] Add docs", [{ title: "Add docs" }]],
    [
      "a plus item and a numbered item",
      "+ One\n2. Two\n3) Three",
      [{ title: "One" }, { title: "Two" }, { title: "Three" }],
    ],
    [
      "checked items are done and skipped",
      "- [x] Done thing\n  more about it\n- [X] Also done\n- Open",
      [{ title: "Open" }],
    ],
    ["a bracket priority", "- [high] Title", [{ title: "Title", priority: "high" }]],
    ["a priority in any case", "- [HIGH] Title", [{ title: "Title", priority: "high" }]],
    ["a paren priority", "- (priority: low) Title", [{ title: "Title", priority: "low" }]],
    ["an id with a colon", "- T7: Title", [{ id: "T7", title: "Title" }]],
    ["an issue number id", "- #12: Title", [{ id: "12", title: "Title" }]],
    [
      "checkbox, id and priority together",
      "- [ ] T7: [critical] Title",
      [{ id: "T7", title: "Title", priority: "critical" }],
    ],
    [
      "a rendered head",
      "- [RETRY] **T3** [medium] A title",
      [{ id: "T3", title: "A title", priority: "medium", retry: true }],
    ],
    [
      "a link at the start is title, not priority",
      "- [docs](http://x) need love",
      [{ title: "[docs](http://x) need love" }],
    ],
    ["a colon without an id pattern is title", "- Note: something", [{ title: "Note: something" }]],
    [
      "nested locations, comma separated, in one or several lines",
      "- Title\n  - Location: a.ts, b.ts\n  - Locations: `c d.ts`",
      [{ title: "Title", locations: ["a.ts", "b.ts", "c d.ts"] }],
    ],
    [
      "indented free text is the body, blank lines inside kept",
      "- Title\n  The login fails.\n\n  Steps: log in\n    indented more\n- Next",
      [
        { title: "Title", body: "The login fails.\n\nSteps: log in\n  indented more" },
        { title: "Next" },
      ],
    ],
    [
      "quoted lines are the body too",
      "- Title\n  > quoted\n  >\n  >  two spaces",
      [{ title: "Title", body: "quoted\n\n two spaces" }],
    ],
    [
      "nested items that are not details are body",
      "- Title\n  - step one\n  - step two",
      [{ title: "Title", body: "- step one\n- step two" }],
    ],
    [
      "headings, blank lines, comments and the empty marker are ignored",
      "# TODO\n\n<!-- a\nmulti-line\ncomment -->\n_No tasks._\n---\n* * *\n## Later\n- Title",
      [{ title: "Title" }],
    ],
    [
      "details: branch, PR, escalation",
      "- Title\n  - Branch: `T3` · PR: #12 · Attempts: task 1\n  - Escalated: tests never compile · PR: #99",
      [{ title: "Title", branch: "T3", pr: 12, escalated: "tests never compile · PR: #99" }],
    ],
    [
      "an [ESCALATED] flag without a reason",
      "- [ESCALATED] Title",
      [{ title: "Title", escalated: "(no reason given)" }],
    ],
    [
      "items indented by 1-3 spaces are siblings, not body",
      " - One\n  - Two\n    - Location: a.ts\n# H\n  * Three",
      [{ title: "One" }, { title: "Two", locations: ["a.ts"] }, { title: "Three" }],
    ],
    [
      "an item indented to a numbered item's text nests",
      "1. One\n   - step",
      [{ title: "One", body: "- step" }],
    ],
    [
      "CRLF line endings",
      "- One\r\n  body\r\n- Two\r\n",
      [{ title: "One", body: "body" }, { title: "Two" }],
    ],
  ])("%s", (_name, text, expected) => {
    const { tasks, errors } = parseTrackingFile(text, "todo");
    expect(errors).toEqual([]);
    expect(tasks.map(brief)).toEqual(expected);
  });

  it("gives each task its 1-based line and the file's stage", () => {
    const { tasks } = parseTrackingFile("# TODO\n\n- A\n  body\n- B", "review");
    expect(tasks.map((t) => [t.title, t.line, t.stage])).toEqual([
      ["A", 3, "review"],
      ["B", 5, "review"],
    ]);
  });
});

describe("parseTrackingFile: errors", () => {
  it.each<
    [string, string, { line: number; end?: number; text: string; message: RegExp }[], string[]]
  >([
    [
      "an unindented text line",
      "# TODO\n- A\nJust some prose\n- B",
      [{ line: 3, text: "Just some prose", message: /not a task/ }],
      ["A", "B"],
    ],
    [
      "an unknown priority (its nested lines go with it)",
      "- [bogus] Title\n  - Location: a.ts\n\n  more\n- Good",
      [{ line: 1, end: 4, text: "- [bogus] Title", message: /unknown priority "bogus"/ }],
      ["Good"],
    ],
    [
      "an unknown paren priority",
      "- (priority: urgent) Title",
      [{ line: 1, text: "- (priority: urgent) Title", message: /unknown priority "urgent"/ }],
      [],
    ],
    [
      "empty titles",
      "-\n- [high]\n- **T3** [low]\n- T4:\n- ok",
      [
        { line: 1, text: "-", message: /no title/ },
        { line: 2, text: "- [high]", message: /no title/ },
        { line: 3, text: "- **T3** [low]", message: /no title/ },
        { line: 4, text: "- T4:", message: /no title/ },
      ],
      ["ok"],
    ],
    [
      "indented text before any task",
      "# TODO\n  stray\n- A",
      [{ line: 2, text: "  stray", message: /outside a task/ }],
      ["A"],
    ],
    [
      "a PR that is not a number (the task stays)",
      "- A\n  - PR: soon",
      [{ line: 2, text: "  - PR: soon", message: /PR must be a number/ }],
      ["A"],
    ],
    [
      "a duplicate id",
      "- T1: A\n- T1: B",
      [{ line: 2, text: "- T1: B", message: /duplicate task id T1 \(first on line 1\)/ }],
      ["A"],
    ],
  ])("%s", (_name, text, expectedErrors, titles) => {
    const { tasks, errors } = parseTrackingFile(text, "todo");
    expect(errors).toHaveLength(expectedErrors.length);
    errors.forEach((e, i) => {
      const want = expectedErrors[i]!;
      expect(e.line).toBe(want.line);
      expect(e.end).toBe(want.end ?? want.line);
      expect(e.text).toBe(want.text);
      expect(e.message).toMatch(want.message);
    });
    expect(tasks.map((t) => t.title)).toEqual(titles);
  });
});

describe("parseTrackingFiles", () => {
  it("knows each file's stage, the merge queue subsection, and reports errors per file", () => {
    const { byStage, errors } = parseTrackingFiles({
      "docs/TODO.md": "# TODO\n- A\nprose",
      "docs/IN_PROGRESS.md": "# In progress\n- B",
      "docs/REVIEW.md": "# Review\n_No tasks._",
      "docs/TESTING.md": "# Testing\n- C\n\n## Merge queue\n\n- D\n- E",
      "CHANGELOG.md": "# Changelog\nnot a tracking file",
    });
    const titles = Object.fromEntries(
      Object.entries(byStage).map(([stage, tasks]) => [stage, tasks.map((t) => t.title)]),
    );
    expect(titles).toEqual({
      todo: ["A"],
      "in-progress": ["B"],
      review: [],
      testing: ["C"],
      "merge-queue": ["D", "E"],
    });
    expect(errors).toEqual([
      {
        file: "docs/TODO.md",
        line: 3,
        end: 3,
        text: "prose",
        message: expect.stringMatching(/not a task/),
      },
    ]);
  });

  it("reports a task listed in two files, keeping the first in pipeline order", () => {
    const { byStage, errors } = parseTrackingFiles({
      "TESTING.md": "# Testing\n\n## Merge queue\n- **T3** [high] Moved by hand",
      "TODO.md": "- T3: Original",
    });
    expect(byStage.todo.map((t) => t.title)).toEqual(["Original"]);
    expect(byStage["merge-queue"]).toEqual([]);
    expect(errors).toEqual([
      {
        file: "TESTING.md",
        line: 4,
        end: 4,
        text: "- **T3** [high] Moved by hand",
        message: "task T3 is already listed in TODO.md line 1",
      },
    ]);
  });

  it("only treats Merge queue as a subsection in TESTING.md", () => {
    const { byStage } = parseTrackingFiles({ "TODO.md": "## Merge queue\n- A" });
    expect(byStage.todo.map((t) => t.title)).toEqual(["A"]);
    expect(byStage["merge-queue"]).toEqual([]);
  });
});

describe("parseTrackingFile: the user's lines", () => {
  it("lists every line that is not Conveyor's, and keeps a comment under a task in its body", () => {
    const text = [
      "# TODO", // 1 title: Conveyor's
      "Intro prose", // 2
      "- [x] done by hand", // 3
      "  - Location: a.ts", // 4 (nested under the checked item)
      "- Task", // 5
      "  - PR: soon", // 6 reported, body
      "  <!-- ask Ana -->", // 7 body
      "# TODO", // 8 a second title is the user's
      "<!-- Conveyor tracking file, old wording -->", // 9 Conveyor's help
    ].join("\n");
    const { tasks, errors, layout } = parseTrackingFile(text, "todo");
    expect(layout.foreign).toEqual([2, 3, 4, 8]);
    expect(layout.listStart).toBe(5);
    expect(tasks[0]!.body).toBe("- PR: soon\n<!-- ask Ana -->");
    expect(errors.map((e) => e.line)).toEqual([2, 6]);
  });

  it("marks a comment never closed, and TESTING.md's merge-queue heading", () => {
    const { layout } = parseTrackingFile(
      "# Testing\n## Merge queue\n- A\n<!-- open\n- B",
      "testing",
    );
    expect(layout).toMatchObject({ queueHeading: 2, openComment: 4, foreign: [4, 5] });
  });
});
