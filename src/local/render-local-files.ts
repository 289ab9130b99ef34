import type { Board } from "../core/board.js";
import { renderTrackingFiles } from "../core/markdown/index.js";

const KEPT_NOTE =
  "<!-- Conveyor could not read the lines below (see `conveyor status`); they are kept as written. -->";

/** A reported line to keep: its first line and the last of the lines that go with it. */
export interface KeptRange {
  file: string;
  line: number;
  end?: number;
  /** False for problems that are not lines to keep (a duplicate copy of a task). */
  keep?: boolean;
}

/**
 * The lines of `text` (one tracking file as read) that Conveyor could not read, by content:
 * each reported line with the lines nested under it, once each, in the order of the file.
 * Taken when the file is read, so a later rewrite of the file cannot shift them.
 */
export function keptLines(text: string, path: string, problems: readonly KeptRange[]): string[] {
  const source = text.replace(/\r\n?/g, "\n").split("\n");
  const keep = new Set<number>();
  for (const p of problems) {
    if (p.file !== path || p.keep === false) continue;
    const last = Math.max(p.line, p.end ?? p.line);
    for (let n = p.line; n <= last; n++) if (n >= 1 && n <= source.length) keep.add(n - 1);
  }
  return [...keep].sort((a, b) => a - b).map((i) => source[i]!);
}

/**
 * The tracking files as they should read now. A file with lines Conveyor could not read
 * keeps them verbatim (`kept`, by path, from `keptLines`) in a block at its end, so a
 * rewrite never loses what someone typed, and rewriting again changes nothing.
 */
export function renderLocalFiles(
  board: Board,
  folder: string,
  kept: Readonly<Record<string, readonly string[]>>,
): Record<string, string> {
  const files = renderTrackingFiles(board, { folder });
  for (const path of Object.keys(files)) {
    const lines = kept[path] ?? [];
    if (lines.length > 0) files[path] = `${files[path]!}\n${KEPT_NOTE}\n${lines.join("\n")}\n`;
  }
  return files;
}
