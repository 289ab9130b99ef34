export {
  conveyorTag,
  defaultKeyOf,
  errorBody,
  type FakeMessagesServer,
  type FakeMessagesServerOptions,
  type RecordedRequest,
  startFakeMessagesServer,
} from "./fake-messages-server.js";
export {
  estimateTokens,
  PromptCacheModel,
  promptSegments,
  type Segment,
  segmentsBytes,
  sharedPrefixBytes,
} from "./prompt-cache-model.js";
export { type CacheRow, promptCacheReport } from "./prompt-cache-report.js";
export { SAMPLE_REPO, twentyTurnScript } from "./sample-session.js";
export { call, type FinishInput, ScriptBuilder, script } from "./script.js";
export type { ScriptedBlock, ScriptedTurn, ScriptedUsage, StopReason } from "./turns.js";
export { validateMessagesRequest } from "./validate-request.js";
