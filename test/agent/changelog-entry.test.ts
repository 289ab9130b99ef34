import { describe, expect, it } from "vitest";
import { hasNewUnreleasedEntry } from "../../src/agent/changelog-entry.js";
import { addUnreleasedEntry, changeTypeFor } from "../../src/core/markdown/changelog.js";

describe("the entry the task role writes when the agent did not", () => {
  it.each([
    ["no file", ""],
    ["no Unreleased section", "# Changelog\n\n## [1.0.0] - 2026-01-01\n\n- old\n"],
    ["empty Unreleased", "# Changelog\n\n## [Unreleased]\n\n## [1.0.0]\n"],
    [
      "existing lists",
      "# Changelog\n\n## [Unreleased]\n\n### Changed\n\n- earlier\n\n### Fixed\n\n- bug\n",
    ],
  ])("is seen as new: %s", (_name, text) => {
    const out = addUnreleasedEntry(text, { type: changeTypeFor("Fix add"), text: "Fix add (#7)" });
    expect(out).toContain("- Fix add (#7)\n");
    expect(hasNewUnreleasedEntry(text, out)).toBe(true);
  });

  it.each([
    ["Fix add on negatives", "Fixed"],
    ["Add slugify(text)", "Added"],
    ["Remove the legacy flag", "Removed"],
    ["Deprecate v1 endpoints", "Deprecated"],
    ["Speed up search", "Changed"],
  ] as const)("files %j under %s", (title, type) => {
    expect(changeTypeFor(title)).toBe(type);
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
