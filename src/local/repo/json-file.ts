import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** Writes JSON atomically: a temp file in the same folder, then a rename over the target. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeTextAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Writes a file atomically: the text goes to a temp file, then a rename puts it in place, so
 * a process killed at any instant leaves the old text or the new one, never an empty or cut
 * file. The temp file is made in `tmpDir` (same file system; default: beside the target) —
 * a folder git ignores keeps a killed write's leftover out of `git status`. A file that was
 * there keeps its mode (a read-only tracking file stays read-only).
 */
export function writeTextAtomic(path: string, text: string, tmpDir = dirname(path)): void {
  mkdirSync(dirname(path), { recursive: true });
  mkdirSync(tmpDir, { recursive: true });
  const tmp = join(tmpDir, `${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  writeFileSync(tmp, text);
  let mode: number | undefined;
  try {
    mode = statSync(path).mode & 0o7777;
  } catch {
    // a new file: the default mode
  }
  if (mode !== undefined) chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/** Reads a JSON file; `undefined` when missing, an `Error` value when unreadable. */
export function readJson(path: string): unknown | undefined | Error {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    return e instanceof Error ? e : new Error(String(e));
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e: unknown) {
    return new Error(`${path}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}
