/**
 * Makes sure CHANGELOG.md has an entry under "## [Unreleased]" (Keep a Changelog). Pure:
 * text in, text out; the role writes the file. Only inserts lines, never reformats.
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

const HEADER = `# Changelog

All notable changes to this project will be documented in this file.

The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/).
`;

/** Adds `- entry` under "### <kind>" of the Unreleased section, creating what is missing. */
export function addUnreleasedEntry(
  text: string | undefined,
  entry: string,
  kind: "Added" | "Changed" | "Fixed" = "Changed",
): string {
  const line = `- ${entry.replace(/\s+/g, " ").trim()}`;
  let doc = text ?? HEADER;
  const eol = doc.endsWith("\n") ? "" : "\n";
  if (!UNRELEASED.test(doc)) {
    const firstRelease = /^## /m.exec(doc);
    const block = `## [Unreleased]\n\n### ${kind}\n\n${line}\n\n`;
    if (firstRelease)
      return `${doc.slice(0, firstRelease.index)}${block}${doc.slice(firstRelease.index)}`;
    return `${doc}${eol}\n${block.trimEnd()}\n`;
  }
  doc = `${doc}${eol}`;
  const m = UNRELEASED.exec(doc)!;
  const start = m.index + m[0].length;
  const nextRelease = /^## /m.exec(doc.slice(start));
  const end = nextRelease ? start + nextRelease.index : doc.length;
  const section = doc.slice(start, end);
  const sub = new RegExp(`^### ${kind}[ \\t]*$`, "m").exec(section);
  let updated: string;
  if (sub) {
    const afterHeading = sub.index + sub[0].length;
    const rest = section.slice(afterHeading);
    const nextSub = /^#{2,3} /m.exec(rest);
    const body = nextSub ? rest.slice(0, nextSub.index) : rest;
    const trimmed = body.replace(/\s+$/, "");
    const tail = nextSub ? rest.slice(nextSub.index) : "";
    updated = `${section.slice(0, afterHeading)}${trimmed === "" ? "\n\n" : `${trimmed}\n`}${line}\n${tail ? `\n${tail}` : "\n"}`;
  } else {
    const trimmed = section.replace(/\s+$/, "");
    updated = `${trimmed}\n\n### ${kind}\n\n${line}\n\n`;
  }
  if (!nextRelease) updated = `${updated.replace(/\s+$/, "")}\n`;
  return doc.slice(0, start) + updated + doc.slice(end);
}
