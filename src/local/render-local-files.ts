import type { Board } from "../core/board.js";
import { renderTrackingFiles } from "../core/markdown/index.js";
import type { BoardProblem } from "./load-board.js";

const KEPT_NOTE =
  "<!-- Conveyor could not read the lines below (see `conveyor status`); they are kept as written. -->";

/**
 * The tracking files as they should read now. A file with lines Conveyor could not read
 * keeps them verbatim (with the lines nested under them) in a block at its end, so a
 * rewrite never loses what someone typed.
 */
export function renderLocalFiles(
  board: Board,
  folder: string,
  current: Record<string, string>,
  problems: readonly BoardProblem[],
): Record<string, string> {
  const files = renderTrackingFiles(board, { folder });
  for (const path of Object.keys(files)) {
    // A local task's "PR" is its branch (number 0): the Branch detail already says it all.
    files[path] = files[path]!.replace(/^( {2}- Branch: .*?) · PR: #0\b/gm, "$1");
    const bad = problems.filter((p) => p.file === path && p.keep !== false);
    if (bad.length === 0) continue;
    const source = (current[path] ?? "").replace(/\r\n?/g, "\n").split("\n");
    const kept: string[] = [];
    for (const p of bad) {
      const at = p.line - 1;
      if (source[at] === undefined) continue;
      kept.push(source[at]!);
      for (let i = at + 1; i < source.length && /^[ \t]+\S/.test(source[i]!); i++)
        kept.push(source[i]!);
    }
    if (kept.length > 0) files[path] = `${files[path]!}\n${KEPT_NOTE}\n${kept.join("\n")}\n`;
  }
  return files;
}
