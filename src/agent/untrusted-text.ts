/**
 * Issue and PR text reaches the model as data: HTML comments (hidden from people, seen by
 * models) and invisible characters (zero-width, bidi controls, Unicode tags) are removed,
 * and the text is framed in an `<untrusted-data>` element the system prompt explains.
 */
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

export function stripUntrusted(text: string): string {
  return removeInvisible(text)
    .replace(/<!--[\s\S]*?(-->|$)/g, "")
    .replace(CONTROL, "")
    .replace(/\r\n?/g, "\n");
}

/** Cleaned text inside a frame the model is told to treat as data, never as instructions. */
export function frameUntrusted(source: string, text: string): string {
  const clean = stripUntrusted(text).replace(/<\/?untrusted-data/gi, (m) => m.replace("<", "‹"));
  const safeSource = stripUntrusted(source).replace(/["<>]/g, "");
  return `<untrusted-data source="${safeSource}">\n${clean.trim()}\n</untrusted-data>`;
}
