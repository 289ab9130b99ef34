import type { AgentResult, Verdict } from "../core/board.js";
import type { Config, Role } from "../core/config.js";
import type { LoadedClaudeAgentSdk } from "./claude-code-sdk.js";
import type { AgentHost, ReviewComment } from "./host.js";

/** The task a role works on (an issue on GitHub, a TODO.md entry locally). Untrusted text. */
export interface TaskInput {
  id: string;
  title: string;
  body?: string;
  /** File paths of the task's "Location" section. */
  locations: string[];
  comments?: string[];
}

/**
 * Who does the thinking: the Messages API (Conveyor's builtin loop, or Claude Code with
 * `agent.runner: claude-code`, both with this key), or an external command.
 */
export type AgentDriver =
  | {
      kind: "builtin";
      apiKey: string;
      /** Messages API base URL (the fake server's url in tests and the offline demo). */
      baseURL?: string;
      /** Retries of 429 (with retry-after) and 529/5xx per call; default 4. */
      maxRetries?: number;
    }
  | {
      kind: "command";
      /** Shell command that reads the prompt on stdin and works in the workspace. */
      command: string;
      /** Extra environment for that command (e.g. its own API key); the rest is scrubbed. */
      env?: Record<string, string>;
    };

export interface RunRoleOptions {
  role: Role;
  /** Absolute path of a git work tree (local mode: a git worktree). */
  workspace: string;
  task: TaskInput;
  /** 0 = first try in the current stage. */
  attempt: number;
  /** Notes from the previous run (the review, the failing tests), untrusted text. */
  feedback?: string;
  correlationId: string;
  /** The task's branch, `conveyor/<issue>-<slug>` (see `branchName`). */
  branch: string;
  baseBranch: string;
  pr?: number;
  config: Config;
  model: string;
  driver: AgentDriver;
  host: AgentHost;
  /** The role must have finished (work pushed, result published) by then. */
  deadline: Date;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Git remote to fetch from and push to; default "origin". `null`: no remote, no push. */
  remote?: string | null;
  /**
   * Git config used only for fetch and push, e.g. `http.https://github.com/.extraheader` with
   * the token, so credentials need not sit in `.git/config` where the agent could read them.
   */
  remoteGitConfig?: Record<string, string>;
  /** Clock (tests). */
  now?: () => Date;
  /** Waits between API retries (tests pass a fast one). */
  sleep?: (ms: number) => Promise<void>;
  /** Loads the Claude Agent SDK for `agent.runner: claude-code` (tests). */
  loadClaudeAgentSdk?: () => Promise<LoadedClaudeAgentSdk>;
}

export interface UsageTotals {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  costUsd: number;
}

export interface CommandRun {
  command: string;
  exitCode: number | null;
  timedOut: boolean;
  /** Output, truncated head and tail. */
  output: string;
}

/** What the agent said when it called `finish`. */
export interface AgentReport {
  outcome: "done" | "incomplete" | "failed";
  summary: string;
  found?: string;
  fixed?: string;
  verdict?: Verdict;
  comments?: ReviewComment[];
  notes?: string;
}

/** Why the loop stopped. */
export type LoopStopReason =
  | "finished"
  | "end_turn"
  | "max_turns"
  | "deadline"
  | "cost_budget"
  | "max_tokens"
  | "refusal"
  | "context_exhausted"
  | "api_error"
  | "aborted"
  | "command_failed"
  | "config_error";

export interface LoopStop {
  reason: LoopStopReason;
  /** Plain words for people. */
  message: string;
}

export interface ReviewOutcome {
  verdict: Verdict;
  summary: string;
  /** Posted inline (on lines of the diff). */
  inline: ReviewComment[];
  /** Not on a line of the diff: folded into the review body. */
  outside: ReviewComment[];
}

export interface RoleOutcome {
  result: AgentResult;
  /** Files changed by this run (relative to the workspace). */
  filesChanged: string[];
  /** Commands run by the agent's shell tool and by the tester's targeted tests. */
  commands: CommandRun[];
  review?: ReviewOutcome;
  report?: AgentReport;
  usage: UsageTotals;
  turns: number;
  durationMs: number;
  stop: LoopStop;
}
