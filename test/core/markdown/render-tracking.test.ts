import { describe, expect, it } from "vitest";
import { renderTrackingFiles } from "../../../src/core/markdown/index.js";
import { board, realisticBoard, task } from "./board-fixture.js";

describe("renderTrackingFiles", () => {
  const files = renderTrackingFiles(realisticBoard());

  it("writes the four files and nothing for done or abandoned tasks", () => {
    expect(Object.keys(files)).toEqual(["TODO.md", "IN_PROGRESS.md", "REVIEW.md", "TESTING.md"]);
    expect(Object.values(files).join("")).not.toMatch(/T10|T11/);
  });

  it("renders TODO.md by priority, then age, then id, quoting the body", () => {
    expect(files["TODO.md"]).toMatchInlineSnapshot(`
      "# TODO

      <!-- Conveyor tracking file, rewritten from the board. One task per list item:
           "- **<id>** [<priority>] <title>", details as nested "- Key: value" items, the body
           quoted with "> ". To add a task by hand write "- [high] Title" (priority optional),
           with "- Location: a.ts, b.ts" and indented text for the body underneath. -->

      - **T1** [critical] Fix the login redirect loop
        - Location: \`src/auth/login.ts\`
        > Users bounce between /login and /home.
        >
        > - Steps: log in with SSO
        > # not a heading
      - **T2** [high] Add a --json flag to the CLI
        - Location: \`src/cli.ts\`, \`src/format.ts\`
      - **T4** [high] Document the config
      - **T5** [low] Write the FAQ
      "
    `);
  });

  it("renders IN_PROGRESS.md with the retry and escalated prefixes", () => {
    expect(files["IN_PROGRESS.md"]).toMatchInlineSnapshot(`
      "# In progress

      <!-- Conveyor tracking file, rewritten from the board. One task per list item:
           "- **<id>** [<priority>] <title>", details as nested "- Key: value" items, the body
           quoted with "> ". To add a task by hand write "- [high] Title" (priority optional),
           with "- Location: a.ts, b.ts" and indented text for the body underneath. -->

      - [RETRY] **T3** [high] Cache the board between reconciles
        - Branch: \`T3\` · Attempts: task 1
      - [ESCALATED] **T6** [medium] Rewrite the scheduler
        - Attempts: task 2
        - Escalated: task agent failed twice: tests do not compile
      "
    `);
  });

  it("renders REVIEW.md with the PR and the feedback on one line", () => {
    expect(files["REVIEW.md"]).toMatchInlineSnapshot(`
      "# Review

      <!-- Conveyor tracking file, rewritten from the board. One task per list item:
           "- **<id>** [<priority>] <title>", details as nested "- Key: value" items, the body
           quoted with "> ". To add a task by hand write "- [high] Title" (priority optional),
           with "- Location: a.ts, b.ts" and indented text for the body underneath. -->

      - **12** [medium] Retry merges on 405
        - Branch: \`conveyor/12-retry-merges\` · PR: #40
        - Feedback: The approach is wrong: re-read the PR instead of retrying. Second line.
      "
    `);
  });

  it("renders TESTING.md with the merge queue in queue order", () => {
    expect(files["TESTING.md"]).toMatchInlineSnapshot(`
      "# Testing

      <!-- Conveyor tracking file, rewritten from the board. One task per list item:
           "- **<id>** [<priority>] <title>", details as nested "- Key: value" items, the body
           quoted with "> ". To add a task by hand write "- [high] Title" (priority optional),
           with "- Location: a.ts, b.ts" and indented text for the body underneath. -->

      - **T7** [medium] Target tests by changed file
        - Branch: \`T7\` · PR: #41

      ## Merge queue

      - **T9** [high] Fix the typo in README
        - Branch: \`T9\` · PR: #43
      - **T8** [medium] Bump zod
        - Branch: \`T8\` · PR: #42
      "
    `);
  });

  it("puts the files in the folder when one is given", () => {
    expect(Object.keys(renderTrackingFiles(board([]), { folder: "docs/" }))).toEqual([
      "docs/TODO.md",
      "docs/IN_PROGRESS.md",
      "docs/REVIEW.md",
      "docs/TESTING.md",
    ]);
    expect(Object.keys(renderTrackingFiles(board([]), { folder: "." }))[0]).toBe("TODO.md");
  });

  it("writes _No tasks._ for empty lists, including an empty merge queue", () => {
    expect(renderTrackingFiles(board([]))["TESTING.md"]).toMatch(
      /-->\n\n_No tasks\._\n\n## Merge queue\n\n_No tasks\._\n$/,
    );
  });

  it.each([
    [
      "same priority: older first",
      [
        task("A", { createdAt: "2026-01-02T00:00:00Z" }),
        task("B", { createdAt: "2026-01-01T00:00:00Z" }),
      ],
      ["B", "A"],
    ],
    [
      "priority beats age",
      [
        task("A", { priority: "low", createdAt: "2020-01-01T00:00:00Z" }),
        task("B", { priority: "critical" }),
      ],
      ["B", "A"],
    ],
    [
      "same priority and age: natural id order",
      [task("T10"), task("T9"), task("T1")],
      ["T1", "T9", "T10"],
    ],
    ["unreadable dates sort last", [task("A", { createdAt: "?" }), task("B")], ["B", "A"]],
  ])("orders the backlog: %s", (_name, tasks, ids) => {
    const text = renderTrackingFiles(board(tasks))["TODO.md"]!;
    const order = [...text.matchAll(/^- \*\*(\S+)\*\*/gm)].map((m) => m[1]);
    expect(order).toEqual(ids);
  });

  it.each([
    [
      "priority first",
      [
        task("A", { stage: "merge-queue", memory: { stageSince: "2026-01-01T00:00:00Z" } }),
        task("B", {
          stage: "merge-queue",
          priority: "high",
          memory: { stageSince: "2026-02-01T00:00:00Z" },
        }),
      ],
      ["B", "A"],
    ],
    [
      "then the time it entered the queue, not its age",
      [
        task("A", {
          stage: "merge-queue",
          createdAt: "2020-01-01T00:00:00Z",
          memory: { stageSince: "2026-03-01T00:00:00Z" },
        }),
        task("B", {
          stage: "merge-queue",
          createdAt: "2026-01-01T00:00:00Z",
          memory: { stageSince: "2026-02-01T00:00:00Z" },
        }),
      ],
      ["B", "A"],
    ],
    [
      "then id; an unknown queue time goes last",
      [
        task("T2", { stage: "merge-queue" }),
        task("T10", { stage: "merge-queue", memory: { stageSince: "2026-01-01T00:00:00Z" } }),
        task("T1", { stage: "merge-queue" }),
      ],
      ["T10", "T1", "T2"],
    ],
  ])("orders the merge queue: %s", (_name, tasks, ids) => {
    const text = renderTrackingFiles(board(tasks))["TESTING.md"]!;
    const queue = text.slice(text.indexOf("## Merge queue"));
    expect([...queue.matchAll(/^- \*\*(\S+)\*\*/gm)].map((m) => m[1])).toEqual(ids);
  });

  it("keeps a multi-line title on one line and never lets a body start a task", () => {
    const text = renderTrackingFiles(
      board([
        task("T1", {
          title: "Line one\n- [high] injected",
          body: "- [critical] fake\n* also fake\n1. fake",
        }),
      ]),
    )["TODO.md"]!;
    expect(text.split("\n").filter((l) => /^([-*+]|\d+\.) /.test(l))).toEqual([
      "- **T1** [medium] Line one - [high] injected",
    ]);
  });

  it("truncates long feedback to 200 characters", () => {
    const text = renderTrackingFiles(
      board([task("T1", { memory: { feedback: "x".repeat(500) } })]),
    )["TODO.md"]!;
    const line = text.split("\n").find((l) => l.startsWith("  - Feedback: "))!;
    expect(Array.from(line.slice("  - Feedback: ".length))).toHaveLength(200);
    expect(line.endsWith("…")).toBe(true);
  });
});
