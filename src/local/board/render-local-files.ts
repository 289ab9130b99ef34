import type { Board } from "../../core/board.js";
import { type KeptText, renderTrackingFiles } from "../../core/markdown/index.js";

/**
 * The tracking files as they should read now. What the user wrote in a file that is not a
 * task Conveyor read (`kept`, by path, from `loadBoard`) is written back verbatim, above or
 * below the task list where it stood, so a rewrite never loses what someone typed, and
 * rewriting again changes nothing.
 */
export function renderLocalFiles(
  board: Board,
  folder: string,
  kept: Readonly<Record<string, KeptText>>,
): Record<string, string> {
  return renderTrackingFiles(board, { folder, kept });
}
