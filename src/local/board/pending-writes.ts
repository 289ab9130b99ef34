import { createHash } from "node:crypto";

/**
 * One file of a multi-file write that `.conveyor/state.json` announced before it began (a
 * write-ahead note): the file's path relative to the root, a hash of the text it held when
 * Conveyor read it, and the text Conveyor is putting there.
 */
export interface PendingWrite {
  path: string;
  /** sha256 (hex) of the text before the write. */
  before: string;
  text: string;
}

export const textHash = (text: string): string =>
  createHash("sha256").update(text, "utf8").digest("hex");

export const pendingWrite = (path: string, before: string, text: string): PendingWrite => ({
  path,
  before: textHash(before),
  text,
});

/**
 * The text a file stands for, given the write announced for it (if any): a file still
 * holding exactly its text from before the write was never written, so the announced text
 * is what it means (a task that left TODO.md for IN_PROGRESS.md is in one or the other,
 * never in neither). A file holding anything else (the new text, or an edit made by hand
 * after the write) stands for itself.
 */
export function settledText(
  pending: readonly PendingWrite[] | undefined,
  path: string,
  onDisk: string,
): string {
  const write = pending?.find((w) => w.path === path);
  if (!write || write.text === onDisk) return onDisk;
  return textHash(onDisk) === write.before ? write.text : onDisk;
}
