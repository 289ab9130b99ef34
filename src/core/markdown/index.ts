export {
  type AbandonedTask,
  addUnreleasedEntry,
  CHANGE_TYPES,
  type ChangelogEntry,
  type ChangeType,
  changeTypeFor,
  hasUnreleasedEntryFor,
  mergeUnreleased,
  recordAbandoned,
  renderChangelogSkeleton,
  tidyUnreleased,
  unreleasedEntries,
} from "./changelog.js";
export {
  emptyKept,
  isKeptEmpty,
  type KeptText,
  type KeptZone,
  keptText,
  type LineRange,
} from "./kept-text.js";
export {
  type ParsedTask,
  type ParsedTrackingFile,
  type ParseError,
  parseTrackingFile,
  type TrackingLayout,
} from "./parse-tracking.js";
export {
  type FileParseError,
  type ParsedTrackingFiles,
  parseTrackingFiles,
} from "./parse-tracking-files.js";
export {
  isRetry,
  type RenderTrackingOptions,
  renderTaskItem,
  renderTrackingFiles,
} from "./render-tracking.js";
export {
  isTrackedStage,
  TRACKED_STAGES,
  TRACKING_FILES,
  type TrackedStage,
  type TrackingFileName,
  trackingFileOf,
  trackingFilePath,
} from "./tracking-files.js";
