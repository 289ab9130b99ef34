import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addUnreleasedEntry,
  CHANGE_TYPES,
  mergeUnreleased,
  tidyUnreleased,
  unreleasedEntries,
} from "../../../src/core/markdown/changelog.js";

describe("tidyUnreleased (after a union merge of CHANGELOG.md)", () => {
  it("merges repeated subsections, orders them, drops repeated bullets", () => {
    const messy =
      "# Changelog\n\n## [Unreleased]\n\n### Fixed\n\n- Fix wordCount (T1)\n### Added\n\n- Add slugify (T2)\n### Added\n\n- Add titleCase (T4)\n- Add slugify (T2)\n### Changed\n\n- Document the API (T6)\n\n## [1.0.0] - 2026-01-01\n\n### Added\n\n- First\n";
    expect(tidyUnreleased(messy)).toMatchInlineSnapshot(`
      "# Changelog

      ## [Unreleased]

      ### Added

      - Add slugify (T2)
      - Add titleCase (T4)

      ### Changed

      - Document the API (T6)

      ### Fixed

      - Fix wordCount (T1)

      ## [1.0.0] - 2026-01-01

      ### Added

      - First
      "
    `);
  });

  it.each([
    ["no Unreleased section", "# Changelog\n\n## [1.0.0]\n\n- a\n"],
    ["an empty file", ""],
    ["a fenced block in Unreleased", "## [Unreleased]\n\n```\n### Added\n```\n### Added\n- a\n"],
  ])("leaves %s as it is", (_name, text) => {
    expect(tidyUnreleased(text)).toBe(text);
  });

  it("keeps CRLF line endings and text before the first subsection", () => {
    const text =
      "# C\r\n\r\n## [Unreleased]\r\nNotes first.\r\n### Fixed\r\n- b\r\n### Added\r\n- a\r\n";
    expect(tidyUnreleased(text)).toBe(
      "# C\r\n\r\n## [Unreleased]\r\n\r\nNotes first.\r\n\r\n### Added\r\n\r\n- a\r\n\r\n### Fixed\r\n\r\n- b\r\n",
    );
  });

  it("is idempotent and loses no entry, whatever order the branches merged in", () => {
    const entry = fc.record({
      type: fc.constantFrom(...CHANGE_TYPES),
      text: fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ()#.-]{0,30}$/),
    });
    fc.assert(
      fc.property(fc.array(fc.array(entry, { maxLength: 3 }), { maxLength: 5 }), (branches) => {
        // Each branch adds its entries to its own copy; a union merge concatenates them.
        const base = "# Changelog\n\n## [1.0.0]\n\n- old\n";
        const sections = branches.map((b) => {
          let t = base;
          for (const e of b) t = addUnreleasedEntry(t, e);
          const m = /## \[Unreleased\]\n([\s\S]*?)(?=## \[1\.0\.0\])/.exec(t);
          return m?.[1] ?? "";
        });
        const merged = `# Changelog\n\n## [Unreleased]\n${sections.join("")}## [1.0.0]\n\n- old\n`;
        const tidy = tidyUnreleased(merged);
        expect(tidyUnreleased(tidy)).toBe(tidy);
        for (const b of branches) for (const e of b) expect(tidy).toContain(`- ${e.text.trim()}`);
        expect(tidy.endsWith("## [1.0.0]\n\n- old\n")).toBe(true);
        const headings = tidy.match(/^### .*$/gm) ?? [];
        expect(new Set(headings).size).toBe(headings.length);
      }),
      { numRuns: 200 },
    );
  });
});

describe("mergeUnreleased (the CHANGELOG after merging two branches)", () => {
  it("files each side's entries under their own type, even where the union merge did not", () => {
    const start = "# Changelog\n\n## [1.0.0]\n\n- First\n";
    const ours =
      "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- Add slugify (T2)\n\n### Fixed\n\n- Fix wordCount (T1)\n\n## [1.0.0]\n\n- First\n";
    const theirs =
      "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- Add titleCase (T4)\n\n## [1.0.0]\n\n- First\n";
    const union =
      "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- Add slugify (T2)\n\n### Fixed\n\n- Fix wordCount (T1)\n- Add titleCase (T4)\n\n## [1.0.0]\n\n- First\n";
    expect(mergeUnreleased(union, start, ours, theirs)).toBe(
      "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- Add slugify (T2)\n- Add titleCase (T4)\n\n### Fixed\n\n- Fix wordCount (T1)\n\n## [1.0.0]\n\n- First\n",
    );
    expect(unreleasedEntries(theirs)).toEqual([{ type: "Added", text: "Add titleCase (T4)" }]);
  });

  it("does not bring back an entry the other side had before the merge base", () => {
    const base = "## [Unreleased]\n\n### Added\n\n- old (T1)\n";
    const ours = "## [Unreleased]\n\n### Added\n\n- old (T1)\n- mine (T2)\n";
    const theirs = "## [Unreleased]\n\n### Added\n\n- old (T1)\n- yours (T3)\n";
    const union = "## [Unreleased]\n\n### Added\n\n- old (T1)\n- mine (T2)\n- yours (T3)\n";
    expect(
      unreleasedEntries(mergeUnreleased(union, base, ours, theirs)).map((e) => e.text),
    ).toEqual(["old (T1)", "mine (T2)", "yours (T3)"]);
  });
});

describe("the user's lines in CHANGELOG.md", () => {
  const ordered = [
    "# Changelog",
    "",
    "## [Unreleased]",
    "",
    "<!-- release notes: keep them short -->",
    "",
    "",
    "### Added",
    "",
    "- A thing",
    "  that takes two lines",
    "",
    "### Fixed",
    "",
    "Fixed in this cycle:",
    "",
    "- A bug",
    "",
  ].join("\n");

  it("an Unreleased section already in order is left as written (blank lines, comments, prose)", () => {
    expect(tidyUnreleased(ordered)).toBe(ordered);
  });

  it("a merge that filed every entry where the rebuild would keeps the user's lines where they were", () => {
    const theirs = ordered.replace("- A bug\n", "- A bug\n- Another bug\n");
    expect(mergeUnreleased(theirs, ordered, ordered, theirs)).toBe(theirs);
  });
});
