/**
 * CHANGELOG.md edits in the Keep a Changelog format (https://keepachangelog.com/en/1.1.0/).
 *
 * A careful string implementation rather than the `keep-a-changelog` package: its parser
 * and writer normalise a whole file when they write it back (`*` bullets become `-`, a
 * paragraph after a list is pulled into the last bullet), and a hand-written changelog must
 * not be rewritten. Every edit here inserts lines and leaves all other bytes as they were
 * (line endings included).
 */

export const CHANGE_TYPES = [
  "Added",
  "Changed",
  "Deprecated",
  "Removed",
  "Fixed",
  "Security",
] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

export interface ChangelogEntry {
  type: ChangeType;
  text: string;
}

export interface AbandonedTask {
  id: string;
  title: string;
  reason: string;
}

export function renderChangelogSkeleton(): string {
  return [
    "# Changelog",
    "",
    "All notable changes to this project will be documented in this file.",
    "",
    "The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),",
    "and this project adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html).",
    "",
    "## [Unreleased]",
    "",
  ].join("\n");
}

/**
 * The file as lines without their ends, plus each line's own end ("\n", "\r\n", or "" for
 * a last line without one), so untouched lines are written back byte for byte.
 */
interface Lines {
  lines: string[];
  ends: string[];
  /** Line ending for inserted lines: the file's first one. */
  eol: string;
}

function toLines(text: string): Lines {
  const lines: string[] = [];
  const ends: string[] = [];
  for (const m of text.matchAll(/([^\n]*?)(\r?\n|$)/g)) {
    if (m.index === text.length && m[0] === "") break;
    lines.push(m[1]!);
    ends.push(m[2]!);
  }
  const eol = /\r?\n/.exec(text)?.[0] ?? "\n";
  return { lines, ends, eol };
}

function fromLines(l: Lines): string {
  return l.lines.map((line, i) => line + l.ends[i]!).join("");
}

/** Inserts lines at `at`; a last line that had no end gets one when lines follow it. */
function insertLines(l: Lines, at: number, block: string[]): void {
  if (block.length === 0) return;
  const ends = block.map(() => l.eol);
  if (at === l.lines.length && at > 0 && l.ends[at - 1] === "") {
    l.ends[at - 1] = l.eol;
    ends[ends.length - 1] = "";
  }
  l.lines.splice(at, 0, ...block);
  l.ends.splice(at, 0, ...ends);
}

const isH2 = (line: string) => /^##(?!#)[ \t]/.test(line) || line.trim() === "##";
const isH1 = (line: string) => /^#(?!#)[ \t]/.test(line);
const isH3 = (line: string) => /^###(?!#)[ \t]/.test(line);
const isUnreleased = (line: string) => /^##[ \t]+\[?unreleased\]?(?:[ \t]|$)/i.test(line.trim());
const isLinkDefinition = (line: string) => /^ {0,3}\[[^\]]+\]:[ \t]*\S/.test(line);
const isBlank = (line: string) => line.trim() === "";
const bulletText = (line: string): string | undefined =>
  /^[-*+][ \t]+(.*)$/s.exec(line)?.[1]?.trim();

/**
 * Marks each line that is inside a fenced code block (its headings are not headings).
 * `openFrom` is the opening line of a fence never closed (it runs to the end of the file;
 * nothing may be inserted after it), or the number of lines when there is none.
 */
interface Fences {
  inside: boolean[];
  openFrom: number;
}

function fencedLines(lines: string[]): Fences {
  const inside: boolean[] = [];
  let fence: string | undefined;
  let openedAt = -1;
  lines.forEach((line, i) => {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === undefined && m) {
      fence = m[1]!;
      openedAt = i;
      inside.push(true);
    } else if (fence !== undefined) {
      inside.push(true);
      if (m && m[1]![0] === fence[0] && m[1]!.length >= fence.length) fence = undefined;
    } else inside.push(false);
  });
  return { inside, openFrom: fence === undefined ? lines.length : openedAt };
}

interface Section {
  /** Index of the heading line. */
  start: number;
  /** Index just past the section's own content (before trailing blanks / link definitions). */
  end: number;
}

/** The Unreleased section, if any. */
function findUnreleased(lines: string[], fences: Fences): Section | undefined {
  const fenced = fences.inside;
  const start = lines.findIndex((l, i) => !fenced[i] && isUnreleased(l));
  if (start < 0) return undefined;
  let next = start + 1;
  while (next < fences.openFrom && (fenced[next] || !(isH2(lines[next]!) || isH1(lines[next]!)))) {
    next++;
  }
  return { start, end: contentEnd(lines, start + 1, next) };
}

/** Index past the last line of [from, to) that is neither blank nor a link definition. */
function contentEnd(lines: string[], from: number, to: number): number {
  let end = to;
  while (end > from && (isBlank(lines[end - 1]!) || isLinkDefinition(lines[end - 1]!))) end--;
  return end;
}

/** Inserts `block` at `at`, with a blank line between it and any non-blank neighbour. */
function insertBlock(file: Lines, at: number, block: string[]): void {
  const { lines } = file;
  const before = at > 0 && !isBlank(lines[at - 1]!) ? [""] : [];
  const after = at < lines.length && !isBlank(lines[at]!) ? [""] : [];
  insertLines(file, at, [...before, ...block, ...after]);
}

/**
 * Where a new `## [Unreleased]` goes: before the first release, or after the intro (never
 * inside a code fence left open at the end of the file).
 */
function unreleasedPosition(lines: string[], fences: Fences): number {
  const firstH2 = lines.findIndex((l, i) => !fences.inside[i] && isH2(l));
  if (firstH2 >= 0 && firstH2 < fences.openFrom) return firstH2;
  return contentEnd(lines, 0, fences.openFrom);
}

const typeOf = (heading: string): string =>
  heading
    .replace(/^###[ \t]+/, "")
    .trim()
    .toLowerCase();

/**
 * Adds a bullet under `## [Unreleased]` → `### <type>`, creating what is missing (the whole
 * skeleton for an empty file). Idempotent: an entry already there under that type is not
 * added again. The entry is one line (line breaks become spaces); an empty entry changes
 * nothing.
 */
export function addUnreleasedEntry(text: string, entry: ChangelogEntry): string {
  const item = entry.text.replace(/\s*[\r\n]+\s*/g, " ").trim();
  const source = text.trim() === "" ? renderChangelogSkeleton() : text;
  if (item === "") return source === text ? text : source;
  const file = toLines(source);
  const { lines } = file;
  let fences = fencedLines(lines);
  let section = findUnreleased(lines, fences);
  if (!section) {
    insertBlock(file, unreleasedPosition(lines, fences), ["## [Unreleased]"]);
    fences = fencedLines(lines);
    section = findUnreleased(lines, fences);
    if (!section) return text;
  }
  const fenced = fences.inside;
  const wanted = entry.type.toLowerCase();
  const order = (t: string) => CHANGE_TYPES.findIndex((c) => c.toLowerCase() === t);

  // The type's subsection, and the first known subsection that sorts after it.
  let heading = -1;
  let laterHeading = -1;
  for (let i = section.start + 1; i < section.end; i++) {
    if (fenced[i] || !isH3(lines[i]!)) continue;
    const t = typeOf(lines[i]!);
    if (t === wanted && heading < 0) heading = i;
    else if (laterHeading < 0 && heading < 0 && order(t) > order(wanted)) laterHeading = i;
  }
  const bullet = `- ${item}`;
  if (heading < 0) {
    const at = laterHeading >= 0 ? laterHeading : section.end;
    insertBlock(file, at, [`### ${entry.type}`, "", bullet]);
    return fromLines(file);
  }
  let end = heading + 1;
  while (end < section.end && (fenced[end] || !(isH3(lines[end]!) || isH2(lines[end]!)))) end++;
  end = contentEnd(lines, heading + 1, end);
  for (let i = heading + 1; i < end; i++) {
    if (!fenced[i] && bulletText(lines[i]!) === item) return text;
  }
  if (end === heading + 1) insertBlock(file, end, [bullet]);
  else insertLines(file, end, [bullet]);
  return fromLines(file);
}

/** The lines of the Unreleased section (empty when there is none). */
function unreleasedLines(text: string): string[] {
  const { lines } = toLines(text);
  const section = findUnreleased(lines, fencedLines(lines));
  return section ? lines.slice(section.start + 1, section.end) : [];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * True when the Unreleased section mentions `needle` (a task id like `T3`, or `#12`) as a
 * whole word: `T3` does not match `T30`, `#12` does not match `#123`.
 */
export function hasUnreleasedEntryFor(text: string, needle: string): boolean {
  const n = needle.trim();
  if (n === "") return false;
  const word = new RegExp(`(?<![\\w#])${escapeRegExp(n)}(?!\\w)`);
  return unreleasedLines(text).some((line) => !/^#{1,6}[ \t]/.test(line) && word.test(line));
}

/**
 * Records an abandoned task under Unreleased → Removed ("Abandoned T3: title — reason").
 * Idempotent per task: once an "Abandoned T3:" entry is there, nothing more is added.
 */
export function recordAbandoned(text: string, task: AbandonedTask): string {
  const prefix = `Abandoned ${task.id}:`;
  const { lines } = toLines(text);
  const fences = fencedLines(lines);
  const section = findUnreleased(lines, fences);
  if (section) {
    for (let i = section.start + 1; i < section.end; i++) {
      if (!fences.inside[i] && bulletText(lines[i]!)?.startsWith(prefix)) return text;
    }
  }
  const title = task.title.replace(/\s+/g, " ").trim();
  const reason = task.reason.replace(/\s+/g, " ").trim();
  const entry = `${prefix} ${title}${reason ? ` — ${reason}` : ""}`;
  return addUnreleasedEntry(text, { type: "Removed", text: entry });
}

/** The Keep a Changelog type a task title reads as: "Fix …" is Fixed, "Add …" is Added, … */
export function changeTypeFor(title: string): ChangeType {
  const first = title.trim().split(/\s+/)[0]?.toLowerCase() ?? "";
  if (/^(fix|fixes|fixed|repair|correct)/.test(first)) return "Fixed";
  if (/^(add|adds|added|support|introduce|create|new|implement)/.test(first)) return "Added";
  if (/^(remove|removes|delete|drop)/.test(first)) return "Removed";
  if (/^deprecate/.test(first)) return "Deprecated";
  if (/^security/.test(first)) return "Security";
  return "Changed";
}
