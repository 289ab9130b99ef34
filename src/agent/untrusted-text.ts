/**
 * Issue and PR text reaches the model as data: HTML comments (hidden from people, seen by
 * models) and invisible characters (zero-width, bidi controls, Unicode tags) are removed,
 * and the text is framed in an `<untrusted-data>` element the system prompt explains.
 */
// Built from a string: a literal class mixing these code points trips the combining-mark lint.
const INVISIBLE =
  /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180E\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB]|[\u{E0000}-\u{E007F}]|[\u{E0100}-\u{E01EF}]/gu;
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

export function stripUntrusted(text: string): string {
  return text
    .replace(/<!--[\s\S]*?(-->|$)/g, "")
    .replace(INVISIBLE, "")
    .replace(CONTROL, "")
    .replace(/\r\n?/g, "\n");
}

/** Cleaned text inside a frame the model is told to treat as data, never as instructions. */
export function frameUntrusted(source: string, text: string): string {
  const clean = stripUntrusted(text).replace(/<\/?untrusted-data/gi, (m) => m.replace("<", "‹"));
  const safeSource = stripUntrusted(source).replace(/["<>]/g, "");
  return `<untrusted-data source="${safeSource}">\n${clean.trim()}\n</untrusted-data>`;
}
