/**
 * Hidden JSON markers inside HTML comments: how Conveyor keeps machine-readable state in
 * comments people read (the status comment's task memory, an agent's result comment, the
 * dashboard's repository memory).
 *
 *   <!-- conveyor:state {"runs":1,...} -->
 *
 * A marker counts only at its fixed place: alone on the LAST line of a comment Conveyor (or
 * the agent run's publishing identity) wrote, under that comment's fixed first line. Every
 * other text Conveyor writes next to it goes through `neutralizeMarkers`, so nothing an
 * outsider wrote (a title, a reason, a command) can ever hold a marker.
 */
export type MarkerKind = "state" | "result" | "results" | "board";

const PREFIX = "<!-- conveyor:";
const SUFFIX = " -->";

/** GitHub rejects an issue comment, issue body or PR body longer than this. */
export const GITHUB_BODY_LIMIT = 65_536;

export function encodeMarker(kind: MarkerKind, value: unknown): string {
  // `<` and `>` can only occur inside JSON strings, where `\u003c`/`\u003e` mean the same
  // characters: the marker then holds no `<!--` and no `-->` but its own.
  const json = JSON.stringify(value).replace(/</g, "\\u003c").replace(/>/g, "\\u003e");
  return `${PREFIX}${kind} ${json}${SUFFIX}`;
}

/**
 * The value of the FIRST marker of this kind anywhere in `text`, or undefined. Only for text
 * Conveyor wrote itself in full (tests, its own dashboard body); what is read back from
 * GitHub goes through `readMarker`, which looks only at the fixed place.
 */
export function decodeMarker(kind: MarkerKind, text: string): unknown {
  const start = text.indexOf(`${PREFIX}${kind} `);
  if (start < 0) return undefined;
  const from = start + PREFIX.length + kind.length + 1;
  const end = text.indexOf(SUFFIX, from);
  if (end < 0) return undefined;
  try {
    return JSON.parse(text.slice(from, end));
  } catch {
    return undefined;
  }
}

/**
 * The marker of this kind at its fixed place: the body's last line (trailing blank lines
 * ignored) is the whole marker. Undefined when the last line is anything else, or does not
 * decode. A marker anywhere else in the body (quoted, echoed, forged) is never read.
 */
export function readMarker(kind: MarkerKind, body: string): unknown {
  const trimmed = body.replace(/\s+$/, "");
  const line = trimmed.slice(trimmed.lastIndexOf("\n") + 1).replace(/\r$/, "");
  const head = `${PREFIX}${kind} `;
  if (!line.startsWith(head) || !line.endsWith(SUFFIX)) return undefined;
  const json = line.slice(head.length, line.length - SUFFIX.length);
  if (json.includes(SUFFIX)) return undefined;
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}

/**
 * Replaces the marker of this kind at the end of `text` (or appends it on its own line),
 * leaving it at the fixed place `readMarker` reads. A look-alike elsewhere is left alone.
 */
export function upsertMarker(kind: MarkerKind, text: string, value: unknown): string {
  const marker = encodeMarker(kind, value);
  const trimmed = text.replace(/\s+$/, "");
  const cut = trimmed.lastIndexOf("\n") + 1;
  const last = trimmed.slice(cut);
  if (readMarker(kind, last) !== undefined || last.startsWith(`${PREFIX}${kind} `)) {
    const before = trimmed.slice(0, cut).replace(/\s+$/, "");
    return before.length === 0 ? marker : `${before}\n\n${marker}`;
  }
  return trimmed.length === 0 ? marker : `${trimmed}\n\n${marker}`;
}

/**
 * Text Conveyor echoes (titles, commands, reasons, feedback, agent words) made harmless next
 * to a marker: no `<!--` survives (it becomes `&lt;!--`, which GitHub shows as `<!--`), so the
 * text can neither hold a marker nor open a comment that swallows the real one. One pass
 * suffices: the replacement adds no `<`, so it cannot form a new `<!--`.
 */
export function neutralizeMarkers(text: string): string {
  return text.replace(/<!--/g, "&lt;!--");
}

/**
 * HTML comments removed to a fixed point (`<<!---->!--` leaves `<!--` after one pass), an
 * unclosed one up to the end; then anything left neutralized. For text shown to people or
 * models where hidden content has no place.
 */
export function stripHtmlComments(text: string): string {
  let out = text;
  for (let i = 0; i < 1000; i++) {
    const next = out.replace(/<!--[\s\S]*?(?:-->|$)/g, "");
    if (next === out) break;
    out = next;
  }
  return neutralizeMarkers(out);
}

/** The fixed first line of an agent's result comment for a role (`**Conveyor Reviewer**:`). */
export const RESULT_ROLE_NAMES = {
  task: "Task agent",
  reviewer: "Reviewer",
  tester: "Tester",
} as const;

export function resultHeader(role: keyof typeof RESULT_ROLE_NAMES): string {
  return `**Conveyor ${RESULT_ROLE_NAMES[role]}**:`;
}

/**
 * A body with its marker that fits GitHub's limit: the readable part is cut (with a note
 * saying where the rest is) so the marker, which is what Conveyor reads, always survives.
 */
export function fitWithMarker(
  text: string,
  marker: string,
  note = "_(truncated: GitHub limits a comment to 65,536 characters)_",
  limit: number = GITHUB_BODY_LIMIT,
): string {
  const whole = `${text.replace(/\s+$/, "")}\n\n${marker}`;
  if (whole.length <= limit) return whole;
  const room = limit - marker.length - note.length - 8;
  let cut = text.slice(0, Math.max(0, room));
  // Never leave half a surrogate pair, nor an unclosed code fence that would swallow the note.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  const fences = (cut.match(/^```/gm) ?? []).length;
  const close = fences % 2 === 1 ? "\n```" : "";
  return `${cut}${close}\n\n${note}\n\n${marker}`;
}
