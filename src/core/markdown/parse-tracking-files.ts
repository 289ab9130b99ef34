import { type ParsedTask, type ParseError, parseTrackingFile } from "./parse-tracking.js";
import { TRACKED_STAGES, type TrackedStage, trackingFileOf } from "./tracking-files.js";

export interface FileParseError extends ParseError {
  /** Key of the file in the input, e.g. `docs/TODO.md`. */
  file: string;
}

export interface ParsedTrackingFiles {
  byStage: Record<TrackedStage, ParsedTask[]>;
  errors: FileParseError[];
}

/**
 * Reads all tracking files at once (path → text), knowing which file holds which stage by
 * its name (`TODO.md`, `IN_PROGRESS.md`, `REVIEW.md`, `TESTING.md`, in any folder);
 * TESTING.md's "## Merge queue" subsection is stage `merge-queue`. Other files are ignored.
 * Files are read in path order, so the result does not depend on the order of the keys.
 */
export function parseTrackingFiles(files: Record<string, string>): ParsedTrackingFiles {
  const byStage = Object.fromEntries(TRACKED_STAGES.map((s) => [s, [] as ParsedTask[]])) as Record<
    TrackedStage,
    ParsedTask[]
  >;
  const errors: FileParseError[] = [];
  for (const path of Object.keys(files).sort()) {
    const spec = trackingFileOf(path);
    if (!spec) continue;
    const parsed = parseTrackingFile(files[path]!, spec.stage);
    for (const task of parsed.tasks) byStage[task.stage as TrackedStage].push(task);
    for (const error of parsed.errors) errors.push({ file: path, ...error });
  }
  return { byStage, errors };
}
