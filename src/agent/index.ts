export { type LoopOptions, type LoopResult, runAgentLoop } from "./agent-loop.js";
export { branchName } from "./branch-name.js";
export { hasNewUnreleasedEntry, unreleasedSection } from "./changelog-entry.js";
export { commentableLines, partitionComments } from "./commentable-lines.js";
export { GitHubHost, type GitHubHostOptions } from "./github-host.js";
export type {
  AgentHost,
  CheckRequest,
  IssueData,
  PrDiff,
  PrRequest,
  ResultPublication,
  ReviewComment,
  ReviewRequest,
} from "./host.js";
export { costOf, type Price, priceFor } from "./pricing.js";
export { DEFAULT_PROMPTS, type PromptVars, renderPrompt, SYSTEM_PROMPT } from "./prompts.js";
export { renderResultComment } from "./result-comment.js";
export type {
  AgentDriver,
  AgentReport,
  CommandRun,
  LoopStop,
  LoopStopReason,
  ReviewOutcome,
  RoleOutcome,
  RunRoleOptions,
  TaskInput,
  UsageTotals,
} from "./role-types.js";
export { runRole } from "./run-role.js";
export { runShell, type ShellOptions } from "./run-shell.js";
export { scrubEnv } from "./scrub-env.js";
export { selectTestCommands, shellQuote } from "./targeted-tests.js";
export { toolsFor } from "./tools/toolset.js";
export { frameUntrusted, stripUntrusted } from "./untrusted-text.js";
export { resolveWorkspacePath } from "./workspace-path.js";
