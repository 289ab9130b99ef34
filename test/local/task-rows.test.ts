import stringWidth from "string-width";
import { describe, expect, it } from "vitest";
import { formatRows, type TaskRow } from "../../src/local/view/task-rows.js";

// `conveyor status` prints the same table as the live view: it must be measured in terminal
// columns (string-width), not UTF-16 units, and never cut a character in half.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function row(id: string, title: string): TaskRow {
  return { id, stage: "todo", role: "-", attempt: "-", elapsed: "-", tokens: "0", title };
}

describe("formatRows", () => {
  it("never cuts an emoji in half and keeps each line within the width in columns", () => {
    const titles = [
      "🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀",
      "修复登录页面的中文标题在窄终端里换行的问题以及更多更多的文字内容",
      "family 👨‍👩‍👧‍👦👨‍👩‍👧‍👦👨‍👩‍👧‍👦👨‍👩‍👧‍👦👨‍👩‍👧‍👦👨‍👩‍👧‍👦👨‍👩‍👧‍👦 flags 🇫🇷🇯🇵🇫🇷🇯🇵🇫🇷🇯🇵🇫🇷🇯🇵",
    ];
    for (const width of [60, 61, 67, 80]) {
      for (const title of titles)
        for (const [i, line] of formatRows([row("T1", title)], width).entries()) {
          expect(line, `width ${width}, line ${i}`).not.toMatch(LONE_SURROGATE);
          expect(stringWidth(line), `width ${width}: ${line}`).toBeLessThanOrEqual(width);
        }
    }
  });

  it("keeps the title whole when it fits, and marks a cut with an ellipsis", () => {
    const [, fits] = formatRows([row("T1", "日本語")], 80);
    expect(fits).toMatch(/日本語$/);
    const [, cut] = formatRows([row("T1", "日本語".repeat(40))], 60);
    expect(cut).toMatch(/…$/);
  });

  it("aligns columns by display width (wide characters in a column take two columns)", () => {
    const lines = formatRows([row("任务一", "a"), row("T2", "b")], 80);
    const starts = lines.map((l) => stringWidth(l.slice(0, l.search(/todo|STAGE/))));
    expect(new Set(starts).size).toBe(1);
  });
});
