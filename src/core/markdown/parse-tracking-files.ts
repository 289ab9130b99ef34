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
 * on that line and the item is left out. Which copy is the task: the one in the stage
 * `liveStage` names for its id (where Conveyor last put it), else the first; so a copy kept
 * as the user's line never takes over when the task moves on (its line left that file).
 */
export function parseTrackingFiles(
  files: Record<string, string>,
  liveStage: Readonly<Record<string, string>> = {},
): ParsedTrackingFiles {
  const byStage = Object.fromEntries(TRACKED_STAGES.map((s) => [s, [] as ParsedTask[]])) as Record<
    TrackedStage,
    ParsedTask[]
  >;
  const errors: FileParseError[] = [];
  const layouts: Record<string, TrackingLayout> = {};
  const paths = Object.keys(files)
    .filter((p) => trackingFileOf(p) !== undefined)
    .sort((a, b) => pipelineIndex(a) - pipelineIndex(b) || (a < b ? -1 : a > b ? 1 : 0));
  const read: { path: string; task: ParsedTask }[] = [];
  for (const path of paths) {
    const spec = trackingFileOf(path)!;
    const parsed = parseTrackingFile(files[path]!, spec.stage);
    layouts[path] = parsed.layout;
    for (const error of parsed.errors) errors.push({ file: path, ...error });
    for (const task of parsed.tasks) read.push({ path, task });
  }
  // The copy of each id that is the task.
  const live = new Map<string, { path: string; task: ParsedTask }>();
  for (const r of read) {
    const id = r.task.id;
    if (id === undefined) continue;
    const held = live.get(id);
    if (!held || (held.task.stage !== liveStage[id] && r.task.stage === liveStage[id]))
      live.set(id, r);
  }
  for (const r of read) {
    const { path, task } = r;
    const chosen = task.id !== undefined ? live.get(task.id) : undefined;
    if (chosen && chosen !== r) {
      const lineText = files[path]!.replace(/\r\n?/g, "\n").split("\n")[task.line - 1] ?? "";
      errors.push({
        file: path,
        line: task.line,
        end: task.end,
        text: lineText,
        message: `task ${task.id} is already listed in ${chosen.path} line ${chosen.task.line}`,
      });
      continue;
    }
    byStage[task.stage as TrackedStage].push(task);
  }
  errors.sort((a, b) => pipelineIndex(a.file) - pipelineIndex(b.file) || a.line - b.line);
  return { byStage, errors, layouts };
}
