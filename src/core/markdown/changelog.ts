/**
 * CHANGELOG.md edits in the Keep a Changelog format (https://keepachangelog.com/en/1.1.0/).
 *
 * A careful string implementation rather than the `keep-a-changelog` package: its parser
 * and writer normalise a whole file when they write it back (`*` bullets become `-`, a
 * paragraph after a list is pulled into the last bullet), and a hand-written changelog must
 * not be rewritten. Every edit here inserts lines and leaves all other bytes as they were
 * (line endings included).
 */
import { stripHtmlComments } from "../markers.js";

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
  const title = escapeInline(task.title);
  const reason = escapeInline(task.reason);
  const entry = `${prefix} ${title}${reason ? ` — ${reason}` : ""}`;
  return addUnreleasedEntry(text, { type: "Removed", text: entry });
}

/**
 * Text from outsiders (an issue title, a reason) as plain words inside one markdown line:
 * one line, HTML comments removed to a fixed point, and every character that markdown or
 * HTML would act on backslash-escaped, so a title can neither hide the rest of the file
 * (`<!--`), nor add a link, image or raw HTML (`#12` stays a reference).
 */
export function escapeInline(text: string): string {
  const flat = stripHtmlComments(text).replace(/\s+/g, " ").trim();
  return flat.replace(/[\\`*_[\]<>!|~&]/g, (c) => `\\${c}`);
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

/**
 * Puts the Unreleased section back in order after a merge: git's union driver (or two
 * branches each adding their own `### Added`) leaves one subsection per branch. Merges the
 * subsections of the same type, orders them as Keep a Changelog does (unknown types after,
 * in the order seen), drops repeated bullets, and separates blocks by one blank line. Any
 * text before the first subsection stays first. A section holding a code fence is left as
 * it is; so is the rest of the file. Idempotent.
 */
export function tidyUnreleased(text: string): string {
  const file = toLines(text);
  const fences = fencedLines(file.lines);
  const section = findUnreleased(file.lines, fences);
  if (!section) return text;
  const from = section.start + 1;
  const body = file.lines.slice(from, section.end);
  if (body.some((_, k) => fences.inside[from + k])) return text;

  const intro: string[] = [];
  const groups = new Map<string, { heading: string; items: string[] }>();
  let current: { heading: string; items: string[] } | undefined;
  for (const line of body) {
    if (isH3(line)) {
      const key = typeOf(line);
      current = groups.get(key) ?? { heading: line.trimEnd(), items: [] };
      groups.set(key, current);
      continue;
    }
    if (isBlank(line)) continue;
    const target = current ? current.items : intro;
    if (bulletText(line) !== undefined && target.includes(line)) continue;
    target.push(line);
  }
  const rank = (key: string) => {
    const i = CHANGE_TYPES.findIndex((c) => c.toLowerCase() === key);
    return i < 0 ? CHANGE_TYPES.length : i;
  };
  const keys = [...groups.keys()].sort((a, b) => rank(a) - rank(b));
  // A section already in order (each type once, in Keep a Changelog's order, no bullet
  // twice) is left exactly as written: its blank lines, comments and prose are the user's.
  const seenKeys = body.filter(isH3).map(typeOf);
  const bullets = body.filter((l) => bulletText(l) !== undefined);
  const inOrder =
    seenKeys.length === keys.length &&
    seenKeys.every((k, i) => k === keys[i]) &&
    new Set(bullets).size === bullets.length &&
    [...groups.values()].every((g) => g.items.length > 0);
  if (inOrder) return text;
  const block: string[] = [];
  if (intro.length > 0) block.push("", ...intro);
  for (const key of keys) {
    const g = groups.get(key)!;
    if (g.items.length === 0) continue;
    block.push("", g.heading, "", ...g.items);
  }
  const next = file.lines[section.end];
  if (next !== undefined && !isBlank(next)) block.push("");
  const atEnd = section.end === file.lines.length;
  const lastEnd = atEnd ? (file.ends[file.lines.length - 1] ?? file.eol) : file.eol;
  const ends = block.map(() => file.eol);
  if (atEnd && ends.length > 0) ends[ends.length - 1] = lastEnd === "" ? "" : file.eol;
  const headingEnd = file.ends[section.start];
  if (atEnd && block.length > 0 && headingEnd === "") file.ends[section.start] = file.eol;
  file.lines.splice(from, section.end - from, ...block);
  file.ends.splice(from, section.end - from, ...ends);
  return fromLines(file);
}

/** The bullets of the Unreleased section with the type they are filed under, in order. */
export function unreleasedEntries(text: string): ChangelogEntry[] {
  const { lines } = toLines(text);
  const fences = fencedLines(lines);
  const section = findUnreleased(lines, fences);
  if (!section) return [];
  const out: ChangelogEntry[] = [];
  let type: ChangeType = "Changed";
  for (let i = section.start + 1; i < section.end; i++) {
    const line = lines[i]!;
    if (fences.inside[i]) continue;
    if (isH3(line)) {
      const key = typeOf(line);
      type = CHANGE_TYPES.find((c) => c.toLowerCase() === key) ?? "Changed";
      continue;
    }
    const bullet = bulletText(line);
    if (bullet) out.push({ type, text: bullet });
  }
  return out;
}

/**
 * The Unreleased section after merging two branches that each added entries: `merged` is
 * the file as git merged it (union driver: every line kept, but possibly under the wrong
 * heading); the entries are rebuilt from the two sides: ours, then the ones theirs added
 * since the merge base, each under the type its side filed it. The rest of `merged` stays.
 */
export function mergeUnreleased(
  merged: string,
  base: string,
  ours: string,
  theirs: string,
): string {
  const before = new Set(unreleasedEntries(base).map((e) => e.text));
  const entries = unreleasedEntries(ours);
  const seen = new Set(entries.map((e) => e.text));
  for (const e of unreleasedEntries(theirs)) {
    if (before.has(e.text) || seen.has(e.text)) continue;
    entries.push(e);
    seen.add(e.text);
  }
  const file = toLines(merged);
  const fences = fencedLines(file.lines);
  const section = findUnreleased(file.lines, fences);
  if (!section) return merged;
  const from = section.start + 1;
  if (file.lines.slice(from, section.end).some((_, k) => fences.inside[from + k])) return merged;
  const keep = file.lines
    .slice(from, section.end)
    .filter((l) => !isH3(l) && bulletText(l) === undefined && !isBlank(l));
  file.lines.splice(from, section.end - from, ...keep);
  file.ends.splice(from, section.end - from, ...keep.map(() => file.eol));
  let out = fromLines(file);
  for (const e of entries) out = addUnreleasedEntry(out, e);
  const rebuilt = tidyUnreleased(out);
  // Where git's merge already filed every entry as the rebuild does, keep git's text: the
  // lines around the entries (comments, prose, blank lines) stay where the user put them.
  const asMerged = tidyUnreleased(merged);
  const same = (a: ChangelogEntry[], b: ChangelogEntry[]) =>
    a.length === b.length && a.every((e, i) => e.type === b[i]!.type && e.text === b[i]!.text);
  return same(unreleasedEntries(asMerged), unreleasedEntries(rebuilt)) ? asMerged : rebuilt;
}
