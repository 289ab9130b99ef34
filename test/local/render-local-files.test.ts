import { describe, expect, it } from "vitest";
import { type Board, emptyMemory, emptyRepoMemory } from "../../src/core/board.js";
import { keptLines, renderLocalFiles } from "../../src/local/render-local-files.js";

const board: Board = {
  repo: "/repo",
  tasks: [
    {
      id: "T3",
      title: "Add truncate()",
      priority: "medium",
      stage: "in-progress",
      createdAt: "2026-11-25T10:00:00.000Z",
      locations: ["src/truncate.js"],
      branch: "T3",
      pr: {
        number: 0,
        headSha: "abc",
        branch: "T3",
        changedFiles: ["src/truncate.js"],
        merged: false,
        mergeable: true,
      },
      memory: {
        ...emptyMemory(),
        attempts: { task: 1, reviewer: 0, tester: 0, merge: 0 },
        feedback: "The reviewer judged the approach wrong: it cuts words.",
      },
    },
  ],
  runs: {},
  results: {},
  preflight: [],
  repoMemory: emptyRepoMemory(),
};

describe("the tracking files of local mode", () => {
  it("show a local task's branch (no PR number) with its retry and feedback", () => {
    const files = renderLocalFiles(board, "", {});
    expect(files["IN_PROGRESS.md"]!.split("\n").slice(7).join("\n")).toMatchInlineSnapshot(`
      "- [RETRY] **T3** [medium] Add truncate()
        - Location: \`src/truncate.js\`
        - Branch: \`T3\` · Attempts: task 1
        - Feedback: The reviewer judged the approach wrong: it cuts words.
      "
    `);
  });

  it("keep the lines they could not read, verbatim, at the end of the file", () => {
    const current = "# TODO\n\n- [urgent] Bad\n  - Location: x.ts\nfine?\n";
    const problems = [{ file: "TODO.md", line: 3, end: 4 }];
    const kept = { "TODO.md": keptLines(current, "TODO.md", problems) };
    const files = renderLocalFiles(board, "", kept);
    expect(
      files["TODO.md"]!.endsWith(
        "_No tasks._\n\n<!-- Conveyor could not read the lines below (see `conveyor status`); they are kept as written. -->\n- [urgent] Bad\n  - Location: x.ts\n",
      ),
    ).toBe(true);
  });
});
