import type { TrackingLayout } from "./parse-tracking.js";

/**
 * The lines of a tracking file that are not Conveyor's, as the user wrote them, by where
 * they go when Conveyor rewrites the file: `top` above the task list (what stood before the
 * first task), `list` after it, `queue` after TESTING.md's merge queue. Each zone keeps its
 * lines in the order of the file; blank lines between two of them are kept as written, and
 * runs that Conveyor's lines (tasks) separated are joined by one blank line. Rewriting the
 * file from them and reading it again gives the same zones: nothing is lost, nothing added.
 */
export interface KeptText {
  top: string[];
  list: string[];
  queue: string[];
}

export type KeptZone = keyof KeptText;

/** A range of 1-based lines (an item and the lines nested under it). */
export interface LineRange {
  line: number;
  end?: number;
}

export const emptyKept = (): KeptText => ({ top: [], list: [], queue: [] });

export const isKeptEmpty = (k: KeptText): boolean =>
  k.top.length === 0 && k.list.length === 0 && k.queue.length === 0;

/**
 * The kept zones of `text` as read with `layout` (from `parseTrackingFile`); `extra` adds
 * ranges the reader found unusable later (a task whose id cannot be used, say).
 */
export function keptText(
  text: string,
  layout: TrackingLayout,
  extra: readonly LineRange[] = [],
): KeptText {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const foreign = new Set(layout.foreign);
  for (const r of extra) {
    const last = Math.max(r.line, r.end ?? r.line);
    for (let n = Math.max(1, r.line); n <= Math.min(last, lines.length); n++) {
      if (lines[n - 1]!.trim() !== "") foreign.add(n);
    }
  }
  const last: KeptZone = layout.hasQueue ? "queue" : "list";
  const zoneOf = (n: number): KeptZone => {
    if (layout.openComment !== undefined && n >= layout.openComment) return last;
    if (layout.queueHeading !== undefined && n > layout.queueHeading) return "queue";
    if (layout.listStart !== undefined && n >= layout.listStart) return "list";
    return "top";
  };
  const kept = emptyKept();
  let run: KeptZone | undefined;
  let blanks = 0;
  for (let n = 1; n <= lines.length; n++) {
    const line = lines[n - 1]!;
    if (foreign.has(n)) {
      const zone = zoneOf(n);
      const out = kept[zone];
      if (run === zone) for (; blanks > 0; blanks--) out.push("");
      else if (out.length > 0) out.push("");
      out.push(line);
      run = zone;
      blanks = 0;
    } else if (line.trim() === "" && run !== undefined) blanks++;
    else {
      run = undefined;
      blanks = 0;
    }
  }
  return kept;
}
