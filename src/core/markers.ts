/**
 * Hidden JSON markers inside HTML comments: how Conveyor keeps machine-readable state in
 * comments people read (the status comment's task memory, an agent's result comment).
 *
 *   <!-- conveyor:state {"runs":1,...} -->
 *
 * Only trust a marker in a comment written by Conveyor itself: the loader checks the author.
 */
export type MarkerKind = "state" | "result" | "board";

const PREFIX = "<!-- conveyor:";

export function encodeMarker(kind: MarkerKind, value: unknown): string {
  // `-->` can only occur inside JSON strings, where `\u003e` means the same character.
  const json = JSON.stringify(value).replace(/-->/g, "--\\u003e");
  return `${PREFIX}${kind} ${json} -->`;
}

/** The value of the first marker of this kind in `text`, or undefined (absent or unreadable). */
export function decodeMarker(kind: MarkerKind, text: string): unknown {
  const start = text.indexOf(`${PREFIX}${kind} `);
  if (start < 0) return undefined;
  const from = start + PREFIX.length + kind.length + 1;
  const end = text.indexOf(" -->", from);
  if (end < 0) return undefined;
  try {
    return JSON.parse(text.slice(from, end));
  } catch {
    return undefined;
  }
}

/** Replaces (or appends) the marker of this kind in `text`. */
export function upsertMarker(kind: MarkerKind, text: string, value: unknown): string {
  const marker = encodeMarker(kind, value);
  const start = text.indexOf(`${PREFIX}${kind} `);
  if (start < 0) return text.length === 0 ? marker : `${text}\n\n${marker}`;
  const end = text.indexOf(" -->", start);
  if (end < 0) return `${text}\n\n${marker}`;
  return text.slice(0, start) + marker + text.slice(end + 4);
}
