import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addUnreleasedEntry,
  hasUnreleasedEntryFor,
  recordAbandoned,
  renderChangelogSkeleton,
} from "../../../src/core/markdown/index.js";

/** A hand-written changelog with odd but valid formatting the edits must not touch. */
const RELEASES = `## [1.1.0] - 2026-10-02
### Fixed
* Star bullets stay stars (#9)

A paragraph after the list, not part of the bullet.

## 1.0.0 - 2026-01-01
- Initial release
  with a continued line

\`\`\`
## [Unreleased] inside a code block is not a heading
\`\`\`

[1.1.0]: https://github.com/acme/widgets/compare/v1.0.0...v1.1.0
`;

const INTRO = `# Changelog

All notable changes to this project are documented here.

`;

describe("addUnreleasedEntry", () => {
  it("creates the skeleton for an empty file", () => {
    expect(
      addUnreleasedEntry("", { type: "Added", text: "A --json flag (T3)" }),
    ).toMatchInlineSnapshot(`
      "# Changelog

      All notable changes to this project will be documented in this file.

      The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),
      and this project adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html).

      ## [Unreleased]

      ### Added

      - A --json flag (T3)
      "
    `);
    expect(addUnreleasedEntry("  \n", { type: "Added", text: "" })).toBe(renderChangelogSkeleton());
  });

  it("adds Unreleased after the intro, before the first release, leaving releases intact", () => {
    const out = addUnreleasedEntry(INTRO + RELEASES, {
      type: "Fixed",
      text: "Merges retry on 405 (#12)",
    });
    expect(out).toBe(
      `${INTRO}## [Unreleased]\n\n### Fixed\n\n- Merges retry on 405 (#12)\n\n${RELEASES}`,
    );
  });

  it("adds Unreleased at the end of a file with only a title, before link definitions", () => {
    expect(
      addUnreleasedEntry("# Changelog\n\n[x]: http://x\n", { type: "Added", text: "One" }),
    ).toMatchInlineSnapshot(`
      "# Changelog

      ## [Unreleased]

      ### Added

      - One

      [x]: http://x
      "
    `);
  });

  it("adds the type subsection in Keep a Changelog order", () => {
    const start = `${INTRO}## [Unreleased]\n\n### Added\n\n- One\n\n### Fixed\n\n- Two\n\n${RELEASES}`;
    const out = addUnreleasedEntry(start, { type: "Removed", text: "Three" });
    expect(out).toBe(
      `${INTRO}## [Unreleased]\n\n### Added\n\n- One\n\n### Removed\n\n- Three\n\n### Fixed\n\n- Two\n\n${RELEASES}`,
    );
    const last = addUnreleasedEntry(start, { type: "Security", text: "Four" });
    expect(last).toBe(
      `${INTRO}## [Unreleased]\n\n### Added\n\n- One\n\n### Fixed\n\n- Two\n\n### Security\n\n- Four\n\n${RELEASES}`,
    );
  });

  it("appends under an existing subsection after its last bullet (and its continuation)", () => {
    const start = `${INTRO}## [Unreleased]\n### Added\n* One\n  more of one\n### Fixed\n- Two\n\n${RELEASES}`;
    expect(addUnreleasedEntry(start, { type: "Added", text: "Three" })).toBe(
      `${INTRO}## [Unreleased]\n### Added\n* One\n  more of one\n- Three\n### Fixed\n- Two\n\n${RELEASES}`,
    );
  });

  it("fills an empty subsection", () => {
    const start = `${INTRO}## [Unreleased]\n\n### Added\n\n${RELEASES}`;
    expect(addUnreleasedEntry(start, { type: "Added", text: "One" })).toBe(
      `${INTRO}## [Unreleased]\n\n### Added\n\n- One\n\n${RELEASES}`,
    );
  });

  it("matches an Unreleased heading written without brackets and a lower-case type", () => {
    const start = "# Changelog\n\n## Unreleased\n\n### fixed\n\n- Old\n";
    expect(addUnreleasedEntry(start, { type: "Fixed", text: "New" })).toBe(
      "# Changelog\n\n## Unreleased\n\n### fixed\n\n- Old\n- New\n",
    );
  });

  it("is idempotent: the same entry twice is written once", () => {
    const once = addUnreleasedEntry(INTRO + RELEASES, { type: "Added", text: "One" });
    expect(addUnreleasedEntry(once, { type: "Added", text: "One" })).toBe(once);
    expect(addUnreleasedEntry(once, { type: "Added", text: "  One\n" })).toBe(once);
  });

  it("keeps line endings: CRLF for new lines in a CRLF file, other lines byte-identical", () => {
    const crlf = "# Changelog\r\n\r\n## [1.0.0]\r\n- x\n";
    expect(addUnreleasedEntry(crlf, { type: "Added", text: "One" })).toBe(
      "# Changelog\r\n\r\n## [Unreleased]\r\n\r\n### Added\r\n\r\n- One\r\n\r\n## [1.0.0]\r\n- x\n",
    );
  });

  it("writes a multi-line entry as one bullet line", () => {
    const out = addUnreleasedEntry("", { type: "Changed", text: "First\n- [x] second" });
    expect(out.endsWith("### Changed\n\n- First - [x] second\n")).toBe(true);
  });

  it("never changes the text outside the inserted lines (property)", () => {
    const line = fc.constantFrom(
      "## [2.0.0] - 2026-01-01",
      "## [Unreleased]",
      "## Unreleased",
      "### Added",
      "### Fixed",
      "### Other",
      "# Title",
      "- item",
      "* item",
      "- Entry Z",
      "  continued",
      "",
      "text",
      "[a]: http://a",
      "```",
      "~~~",
    );
    const types = fc.constantFrom("Added" as const, "Fixed" as const, "Removed" as const);
    fc.assert(
      fc.property(fc.array(line, { maxLength: 14 }), types, fc.boolean(), (ls, type, crlf) => {
        const eol = crlf ? "\r\n" : "\n";
        const before = `# Changelog${eol}${eol}${ls.join(eol)}${eol}`;
        const after = addUnreleasedEntry(before, { type, text: "Entry Z" });
        expect(addUnreleasedEntry(after, { type, text: "Entry Z" })).toBe(after);
        // Every line of the original is still there, in order; every other line is ours.
        const old = before.split(eol);
        const extra: string[] = [];
        let j = 0;
        for (const l of after.split(eol)) {
          if (j < old.length && l === old[j]) j++;
          else extra.push(l);
        }
        expect(j).toBe(old.length);
        for (const l of extra) {
          expect(["", "## [Unreleased]", `### ${type}`, "- Entry Z"]).toContain(l);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("hasUnreleasedEntryFor", () => {
  const text = addUnreleasedEntry(
    addUnreleasedEntry(INTRO + RELEASES, { type: "Added", text: "A flag (T3, #12)" }),
    { type: "Fixed", text: "Crash on empty board" },
  );
  it.each([
    ["T3", true],
    ["#12", true],
    ["T30", false],
    ["T", false],
    ["#1", false],
    ["#9", false], // only in a release, not under Unreleased
    ["Unreleased", false], // headings are not entries
    ["", false],
  ])("%s → %s", (needle, found) => {
    expect(hasUnreleasedEntryFor(text, needle)).toBe(found);
  });
  it("is false without an Unreleased section", () => {
    expect(hasUnreleasedEntryFor(INTRO + RELEASES, "#9")).toBe(false);
  });
});

describe("recordAbandoned", () => {
  it("an outsider's title can hide nothing and add no link, image or HTML", () => {
    const text = recordAbandoned(`${renderChangelogSkeleton()}\n## [1.0.0] - 2026-01-01\n- Old\n`, {
      id: "#12",
      title:
        "Fix <!-- hidden -->![x](https://evil.example/t.png) <img src=x> [click](https://evil.example)",
      reason: "spam <<!---->!-- more",
    });
    expect(text).not.toContain("<!--");
    expect(text).not.toMatch(/(^|[^\\])!\[/);
    expect(text).not.toMatch(/(^|[^\\])<img/);
    expect(text).not.toMatch(/(^|[^\\])\[click\]/);
    expect(text).toContain("- Old");
    expect(text).toContain(
      "- Abandoned #12: Fix \\!\\[x\\](https://evil.example/t.png) \\<img src=x\\> \\[click\\](https://evil.example) — spam",
    );
  });

  it("records under Removed and only once per task", () => {
    const once = recordAbandoned("", {
      id: "T3",
      title: "Add a --json\nflag",
      reason: "out of scope",
    });
    expect(once).toContain("### Removed\n\n- Abandoned T3: Add a --json flag — out of scope\n");
    expect(recordAbandoned(once, { id: "T3", title: "Other", reason: "again" })).toBe(once);
    const two = recordAbandoned(once, { id: "T30", title: "Another", reason: "" });
    expect(two).toContain(
      "- Abandoned T3: Add a --json flag — out of scope\n- Abandoned T30: Another\n",
    );
  });
});
