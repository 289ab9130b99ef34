import {
  type ParsedTask,
  type ParseError,
  parseTrackingFile,
  type TrackingLayout,
} from "./parse-tracking.js";
import {
  TRACKED_STAGES,
  TRACKING_FILES,
  type TrackedStage,
  trackingFileOf,
} from "./tracking-files.js";

export interface FileParseError extends ParseError {
  /** Key of the file in the input, e.g. `docs/TODO.md`. */
  file: string;
}

export interface ParsedTrackingFiles {
  byStage: Record<TrackedStage, ParsedTask[]>;
  errors: FileParseError[];
  /** Where each file's lines that are not Conveyor's sit (by path; see `keptText`). */
  layouts: Record<string, TrackingLayout>;
}

const pipelineIndex = (path: string): number =>
  TRACKING_FILES.findIndex((f) => f.name === trackingFileOf(path)?.name);

/**
 * Reads all tracking files at once (path → text), knowing which file holds which stage by
 * its name (`TODO.md`, `IN_PROGRESS.md`, `REVIEW.md`, `TESTING.md`, in any folder);
 * TESTING.md's "## Merge queue" subsection is stage `merge-queue`. Other files are ignored.
 * Files are read in pipeline order (then path), so the result does not depend on the order
 * of the keys. A task id listed a second time (in the same or a later file) is an error
 * on that line and the later item is left out.
 */
export function parseTrackingFiles(files: Record<string, string>): ParsedTrackingFiles {
  const byStage = Object.fromEntries(TRACKED_STAGES.map((s) => [s, [] as ParsedTask[]])) as Record<
    TrackedStage,
    ParsedTask[]
  >;
  const errors: FileParseError[] = [];
  const layouts: Record<string, TrackingLayout> = {};
  const seen = new Map<string, string>();
  const paths = Object.keys(files)
    .filter((p) => trackingFileOf(p) !== undefined)
    .sort((a, b) => pipelineIndex(a) - pipelineIndex(b) || (a < b ? -1 : a > b ? 1 : 0));
  for (const path of paths) {
    const spec = trackingFileOf(path)!;
    const text = files[path]!;
    const parsed = parseTrackingFile(text, spec.stage);
    layouts[path] = parsed.layout;
    for (const error of parsed.errors) errors.push({ file: path, ...error });
    for (const task of parsed.tasks) {
      const where = `${path} line ${task.line}`;
      if (task.id !== undefined) {
        const first = seen.get(task.id);
        if (first !== undefined) {
          const lineText = text.replace(/\r\n?/g, "\n").split("\n")[task.line - 1] ?? "";
          errors.push({
            file: path,
            line: task.line,
            end: task.end,
            text: lineText,
            message: `task ${task.id} is already listed in ${first}`,
          });
          continue;
        }
        seen.set(task.id, where);
      }
      byStage[task.stage as TrackedStage].push(task);
    }
  }
  errors.sort((a, b) => pipelineIndex(a.file) - pipelineIndex(b.file) || a.line - b.line);
  return { byStage, errors, layouts };
}
