import { describe, expect, it } from "vitest";
import { addUnreleasedEntry, hasNewUnreleasedEntry } from "../../src/agent/changelog-entry.js";

describe("addUnreleasedEntry", () => {
  it.each([
    ["no file", undefined],
    ["no Unreleased section", "# Changelog\n\n## [1.0.0] - 2026-01-01\n\n- old\n"],
    ["empty Unreleased", "# Changelog\n\n## [Unreleased]\n\n## [1.0.0]\n"],
    [
      "existing Changed list",
      "# Changelog\n\n## [Unreleased]\n\n### Changed\n\n- earlier\n\n### Fixed\n\n- bug\n",
    ],
    ["only a Fixed list", "# Changelog\n\n## Unreleased\n\n### Fixed\n\n- bug\n"],
  ])("%s", (_name, text) => {
    const out = addUnreleasedEntry(text, "Fix add (#7)");
    expect(out).toContain("- Fix add (#7)\n");
    expect(hasNewUnreleasedEntry(text, out)).toBe(true);
    expect(out).toMatchSnapshot();
  });

  it("keeps everything else byte for byte", () => {
    const text =
      "# Changelog\n\n## [Unreleased]\n\n### Changed\n\n- earlier\n\n## [1.0.0] - 2026-01-01\n\n- old\n";
    expect(addUnreleasedEntry(text, "new")).toBe(
      "# Changelog\n\n## [Unreleased]\n\n### Changed\n\n- earlier\n- new\n\n## [1.0.0] - 2026-01-01\n\n- old\n",
    );
  });
});

describe("hasNewUnreleasedEntry", () => {
  it.each([
    [undefined, undefined, false],
    ["## [Unreleased]\n", "## [Unreleased]\n", false],
    ["## [Unreleased]\n", "## [Unreleased]\n\n- x\n", true],
    ["## [Unreleased]\n\n- x\n", "## [Unreleased]\n\n- x\n", false],
    ["## [Unreleased]\n\n## [1.0]\n", "## [Unreleased]\n\n## [1.0]\n\n- x\n", false],
  ])("%j → %j: %s", (before, after, expected) => {
    expect(hasNewUnreleasedEntry(before, after)).toBe(expected);
  });
});
