import type { AgentReport, CommandRun } from "../role-types.js";
import type { ShellSandbox } from "../shell-sandbox.js";

/** What a tool may touch: the workspace, a scrubbed environment, the time left. */
export interface ToolContext {
  /** Real path of the workspace (symlinks resolved). */
  workspaceReal: string;
  /** Environment for commands, without credentials. */
  env: Record<string, string>;
  /** Where commands run: the bubblewrap sandbox (null only with CONVEYOR_SANDBOX=off). */
  sandbox?: ShellSandbox | null;
  /** Milliseconds left before the loop must wrap up. */
  timeLeftMs: () => number;
  signal?: AbortSignal;
  /** Every command the agent ran (recorded for the report). */
  commands: CommandRun[];
  /** Workspace-relative paths the agent wrote. */
  written: Set<string>;
}

export interface ToolOutput {
  content: string;
  isError?: boolean;
  /** Set by `finish`: the loop ends with this report. */
  finish?: AgentReport;
}

export interface ToolSpec {
  name: string;
  description: string;
  input_schema: { type: "object"; properties: Record<string, unknown>; required?: string[] };
  run(input: unknown, context: ToolContext): Promise<ToolOutput>;
}

export const toolError = (content: string): ToolOutput => ({ content, isError: true });
