/**
 * Issue and PR text reaches the model as data: what people do not see but models do is
 * removed (HTML comments, to a fixed point; `[//]: #` link-reference comments; invisible
 * characters: zero-width, bidi controls, Unicode tags), collapsed `<details>` sections are
 * unwrapped (shown as plain text, so nothing hides in them), the size is capped, and the
 * text is framed in an `<untrusted-data>` element the system prompt explains.
 */
import { stripHtmlComments } from "../core/markers.js";
import { truncateHeadTail } from "./truncate-output.js";

/** At most this much untrusted text per frame (head and tail kept). */
export const MAX_UNTRUSTED_CHARS = 64_000;
/** Invisible code points: format characters, zero-width, bidi controls, variation selectors, tags. */
const INVISIBLE_RANGES: readonly [number, number][] = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180e, 0x180e],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xfff9, 0xfffb],
  [0xe0000, 0xe007f],
  [0xe0100, 0xe01ef],
];

const isInvisible = (cp: number): boolean =>
  INVISIBLE_RANGES.some(([from, to]) => cp >= from && cp <= to);

function removeInvisible(text: string): string {
  let out = "";
  for (const ch of text) if (!isInvisible(ch.codePointAt(0)!)) out += ch;
  return out;
}
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/**
 * Markdown's comment idiom: a link reference definition nobody links to, e.g.
 * `[//]: # (hidden words)` or `[comment]: <> "hidden"`: rendered as nothing. Only at a line's
 * start (at most three spaces in), as markdown reads it; a diff line never starts so.
 */
const LINK_REFERENCE_COMMENT = /^ {0,3}\[(?:\/\/|comment|\/\/ ?#|#)\]: *(?:#|<>)[^\n]*$/gim;
/** `<details>` / `<summary>` tags: unwrapped, their content kept in view. */
const DETAILS_TAG = /<\/?(?:details|summary)\b[^>\n]*>/gi;
/** A unified diff is code, not markdown: its lines are shown as they are. */
const DIFF_START = /^(?:diff --git |--- |@@ )/;

export function stripUntrusted(text: string): string {
  const visible = stripHtmlComments(removeInvisible(text).replace(/\r\n?/g, "\n"));
  const shown = DIFF_START.test(visible)
    ? visible
    : visible.replace(LINK_REFERENCE_COMMENT, "").replace(DETAILS_TAG, "");
  return shown.replace(CONTROL, "");
}

/** Cleaned text inside a frame the model is told to treat as data, never as instructions. */
export function frameUntrusted(source: string, text: string): string {
  const clean = truncateHeadTail(stripUntrusted(text), MAX_UNTRUSTED_CHARS).replace(
    /<\/?untrusted-data/gi,
    (m) => m.replace("<", "‹"),
  );
  const safeSource = stripUntrusted(source).replace(/["<>]/g, "");
  return `<untrusted-data source="${safeSource}">\n${clean.trim()}\n</untrusted-data>`;
}
