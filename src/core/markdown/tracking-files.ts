import type { Stage } from "../board.js";

/**
 * The four tracking files that mirror the board: which file holds which stage, and the
 * heading each one starts with. TESTING.md holds two stages: `testing` above, and
 * `merge-queue` under its "## Merge queue" subsection.
 */

export type TrackingFileName = "TODO.md" | "IN_PROGRESS.md" | "REVIEW.md" | "TESTING.md";

/** Stages mirrored in the tracking files (done / abandoned live in CHANGELOG.md). */
export type TrackedStage = "todo" | "in-progress" | "review" | "testing" | "merge-queue";

export const TRACKED_STAGES: readonly TrackedStage[] = [
  "todo",
  "in-progress",
  "review",
  "testing",
  "merge-queue",
];

export interface TrackingFileSpec {
  name: TrackingFileName;
  /** Stage of the tasks in the file's main list. */
  stage: TrackedStage;
  title: string;
}

export const TRACKING_FILES: readonly TrackingFileSpec[] = [
  { name: "TODO.md", stage: "todo", title: "TODO" },
  { name: "IN_PROGRESS.md", stage: "in-progress", title: "In progress" },
  { name: "REVIEW.md", stage: "review", title: "Review" },
  { name: "TESTING.md", stage: "testing", title: "Testing" },
];

/** Heading of the merge-queue subsection of TESTING.md. */
export const MERGE_QUEUE_HEADING = "## Merge queue";

/** Line written where a list has no tasks. */
export const NO_TASKS_LINE = "_No tasks._";

export const isTrackedStage = (stage: Stage): stage is TrackedStage =>
  (TRACKED_STAGES as readonly string[]).includes(stage);

/** `docs` + `TODO.md` → `docs/TODO.md`; no folder (or "" / ".") → `TODO.md`. */
export function trackingFilePath(name: TrackingFileName, folder?: string): string {
  const dir = (folder ?? "").replace(/\/+$/, "");
  return dir === "" || dir === "." ? name : `${dir}/${name}`;
}

/** The spec of a path such as `docs/TODO.md`, by its last segment; undefined if none. */
export function trackingFileOf(path: string): TrackingFileSpec | undefined {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return TRACKING_FILES.find((f) => f.name === base);
}

/**
 * Written before the lines of the user's that follow a list when the first of them is
 * indented (it would read as part of the last task otherwise). Read back as Conveyor's.
 */
export const KEPT_NOTE = "<!-- Not a task: kept as written. -->";

/** The note earlier versions wrote above the lines they could not read. */
const OLD_KEPT_NOTE =
  "<!-- Conveyor could not read the lines below (see `conveyor status`); they are kept as written. -->";

/** True for a one-line comment Conveyor writes itself (not the user's). */
export const isConveyorNote = (trimmed: string): boolean =>
  trimmed === KEPT_NOTE || trimmed === OLD_KEPT_NOTE;
