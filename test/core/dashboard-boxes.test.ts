import { describe, expect, it } from "vitest";
import {
  boxText,
  newlyTicked,
  parseBox,
  parseCommand,
  tickedBoxes,
} from "../../src/core/commands.js";

// A ticked box of the dashboard means the same as the /conveyor command its text names.

describe("dashboard boxes", () => {
  it("a box's text maps to the /conveyor command it names", () => {
    expect(parseBox("retry #9 — Fix login: the tests failed twice")).toEqual({
      text: "retry #9",
      task: "9",
      command: parseCommand("/conveyor retry"),
    });
    expect(parseBox("resume (dispatching is paused)")?.command).toEqual(
      parseCommand("/conveyor resume"),
    );
    expect(parseBox(boxText("retry", "12"))?.task).toBe("12");
    expect(parseBox("retry everything")).toBeUndefined();
    expect(parseBox("abandon #9")).toBeUndefined();
    expect(parseBox("retry #9abc")).toBeUndefined();
  });

  it("reads only ticked boxes, outside code blocks, each once", () => {
    const body = [
      "- [x] retry #9 — a",
      "- [ ] retry #10 — b",
      "* [X] resume",
      "- [x] retry #9 — again",
      "```",
      "- [x] retry #11",
      "```",
      "text - [x] retry #12",
    ].join("\n");
    expect(tickedBoxes(body).map((b) => b.text)).toEqual(["retry #9", "resume"]);
  });

  it("an edit counts for the boxes it ticked, not for boxes already ticked before it", () => {
    const before = "- [x] retry #9 — a\n- [ ] retry #10 — b\n- [ ] resume";
    const after = "- [x] retry #9 — a\n- [x] retry #10 — b\n- [ ] resume";
    expect(newlyTicked(before, after).map((b) => b.text)).toEqual(["retry #10"]);
    expect(newlyTicked(after, after)).toEqual([]);
    expect(newlyTicked(after, before)).toEqual([]);
  });
});
