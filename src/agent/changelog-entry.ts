/**
 * Did the agent write a CHANGELOG "Unreleased" entry? (Writing one is the core's
 * `addUnreleasedEntry`, src/core/markdown/changelog.ts.)
 */

const UNRELEASED = /^##[ \t]*\[?unreleased\]?[ \t]*$/im;

/** The text of the Unreleased section (without its heading), or undefined when absent. */
export function unreleasedSection(text: string): string | undefined {
  const m = UNRELEASED.exec(text);
  if (!m) return undefined;
  const start = m.index + m[0].length;
  const next = /^## /m.exec(text.slice(start));
  return text.slice(start, next ? start + next.index : text.length);
}

/** True when `after`'s Unreleased section has lines that `before`'s did not. */
export function hasNewUnreleasedEntry(
  before: string | undefined,
  after: string | undefined,
): boolean {
  const a = unreleasedSection(after ?? "");
  if (a === undefined) return false;
  const old = new Set(
    (unreleasedSection(before ?? "") ?? "")
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean),
  );
  return a
    .split("\n")
    .map((l) => l.trim())
    .some((l) => /^[-*] /.test(l) && !old.has(l));
}
