import { describe, expect, it } from "vitest";
import { type Board, emptyMemory, emptyRepoMemory } from "../../src/core/board.js";
import { keptText, parseTrackingFile } from "../../src/core/markdown/index.js";
import { renderLocalFiles } from "../../src/local/board/render-local-files.js";

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

  it("keep the user's lines where they stood: above the list, below it, verbatim", () => {
    const current =
      "# TODO\n\nWhat we plan.\n\n\nSecond paragraph.\n\n- [urgent] Bad\n  - Location: x.ts\nfine?\n";
    const kept = { "TODO.md": keptText(current, parseTrackingFile(current, "todo").layout) };
    const files = renderLocalFiles(board, "", kept);
    expect(files["TODO.md"]!.split("\n").slice(7).join("\n")).toBe(
      "What we plan.\n\n\nSecond paragraph.\n\n- [urgent] Bad\n  - Location: x.ts\nfine?\n\n_No tasks._\n",
    );
  });

  it("mark the user's lines after a list when the first is indented, so it stays theirs", () => {
    // The title heading is Conveyor's: the indented line under it is the user's.
    const current = "- Task\n# TODO\n  indented note\n";
    const parsed = parseTrackingFile(current, "todo");
    const kept = { "TODO.md": keptText(current, parsed.layout) };
    expect(kept["TODO.md"].list).toEqual(["  indented note"]);
    const text = renderLocalFiles(board, "", kept)["TODO.md"]!;
    const again = parseTrackingFile(text, "todo");
    expect(keptText(text, again.layout)).toEqual(kept["TODO.md"]);
  });
});
