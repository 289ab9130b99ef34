import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type {
  CanUseTool,
  HookCallback,
  Options,
  SDKMessage,
  SDKResultMessage,
  SDKUserMessage,
  SettingSource,
  SpawnedProcess,
  SpawnOptions,
} from "@anthropic-ai/claude-agent-sdk";
import { shellQuote } from "../core/agent-presets.js";
import type { Role } from "../core/config.js";
import { type LoadedClaudeAgentSdk, loadClaudeAgentSdk, type Zod } from "./claude-code-sdk.js";
import { emptyUsage } from "./pricing.js";
import type { AgentReport, CommandRun, LoopStop, UsageTotals } from "./role-types.js";
import type { ShellSandbox } from "./shell-sandbox.js";
import { parseReport } from "./tools/finish-tool.js";
import { truncateHeadTail } from "./truncate-output.js";
import { resolveWorkspacePath } from "./workspace-path.js";

/**
 * The claude-code runner (`agent.runner: claude-code`): the role runs in Claude Code through
 * the Claude Agent SDK, in the workspace, with the role's tools and nothing else:
 * - `cwd` = the workspace; no settings files loaded unless `agent.claudeCode.settingSources`
 *   names them; no session transcript kept;
 * - every tool call checked by Conveyor first (`gate`: the role's tools only, file tools
 *   confined to the workspace as the built-in tools are, nothing after the report), edits
 *   in the workspace accepted without asking (`acceptEdits`), and anything that would still
 *   ask a person denied: nobody is there to answer;
 * - the role's turn cap, the run's cost budget (`maxBudgetUsd`), an abort at the role's
 *   time budget;
 * - the report through Conveyor's `finish` tool (an in-process MCP tool, checked like the
 *   built-in loop's), with one reminder when a turn ends without it;
 * - tokens and cost from the SDK's result message, so budgets apply;
 * - the Claude Code process in the same sandbox as every other command of the agent.
 */

/** Claude Code's tools per role: the reviewer reads and edits but runs nothing. */
export const CLAUDE_CODE_TOOLS: Record<Role, string[]> = {
  task: ["Read", "Edit", "Write", "Glob", "Grep", "Bash"],
  reviewer: ["Read", "Edit", "Write", "Glob", "Grep"],
  tester: ["Read", "Edit", "Write", "Glob", "Grep", "Bash"],
};

/** The MCP server and tool through which Claude Code hands in its report. */
export const FINISH_SERVER = "conveyor";
export const FINISH_TOOL_NAME = `mcp__${FINISH_SERVER}__finish`;

const REMINDER =
  "You ended your turn without calling the finish tool (mcp__conveyor__finish). If your work is done or you cannot go on, call it now with your report; otherwise continue.";

export interface ClaudeCodeRunOptions {
  role: Role;
  model: string;
  /** Conveyor's rules, appended to Claude Code's own system prompt. */
  system: string;
  /** The role's prompt (the first user message). */
  prompt: string;
  /** Real path of the workspace. */
  cwd: string;
  /** The whole environment of the Claude Code process (allowlisted, plus the API's key). */
  env: Record<string, string>;
  maxTurns: number;
  stopAt: Date;
  now: () => Date;
  costBudgetUsd: number;
  settingSources: SettingSource[];
  /** The sandbox the Claude Code process runs in (null: CONVEYOR_SANDBOX=off). */
  sandbox: ShellSandbox | null;
  signal?: AbortSignal;
  log: (line: string) => void;
  /** Loads the SDK (tests pass one that fails). */
  load?: () => Promise<LoadedClaudeAgentSdk>;
}

export interface ClaudeCodeRun {
  stop: LoopStop;
  report?: AgentReport;
  usage: UsageTotals;
  turns: number;
  commands: CommandRun[];
}

export async function runClaudeCodeAgent(o: ClaudeCodeRunOptions): Promise<ClaudeCodeRun> {
  const commands: CommandRun[] = [];
  let loaded: LoadedClaudeAgentSdk;
  try {
    loaded = await (o.load ?? (() => loadClaudeAgentSdk([o.cwd, process.cwd()])))();
  } catch (e: unknown) {
    return {
      stop: { reason: "config_error", message: e instanceof Error ? e.message : String(e) },
      usage: emptyUsage(),
      turns: 0,
      commands,
    };
  }
  const { sdk, z } = loaded;
  o.log(`claude-code runner: ${loaded.path}`);

  let report: AgentReport | undefined;
  const finish = sdk.tool(
    "finish",
    "Call once when your work is done (or cannot go on) with your structured report. Conveyor commits, pushes and publishes after it; make no tool call after this one.",
    finishShape(z, o.role),
    async (args) => {
      if (report) return { content: [{ type: "text", text: "A report was already received." }] };
      const parsed = parseReport(o.role, args);
      if (!parsed.ok)
        return {
          content: [
            { type: "text", text: `${parsed.error}. Call finish again with a valid report.` },
          ],
          isError: true,
        };
      report = parsed.value;
      return {
        content: [
          { type: "text", text: "Report received. End your turn now, without more tool calls." },
        ],
      };
    },
  );
  const server = sdk.createSdkMcpServer({ name: FINISH_SERVER, version: "1.0.0", tools: [finish] });

  const abort = new AbortController();
  let timedOut = false;
  const left = o.stopAt.getTime() - o.now().getTime();
  const timer = setTimeout(
    () => {
      timedOut = true;
      abort.abort();
    },
    Math.max(1000, left),
  );
  const onAbort = () => abort.abort();
  o.signal?.addEventListener("abort", onAbort, { once: true });

  // Claude Code keeps its state under the home (~/.claude.json, ~/.claude/, ~/.cache): a run
  // gets a folder of its own instead, removed afterwards, as the sandbox's empty home would
  // be (the user's config stays when agent.claudeCode.settingSources names "user").
  const stateDir = mkdtempSync(join(tmpdir(), "conveyor-claude-"));
  const env = {
    ...o.env,
    ...(o.env.CLAUDE_CONFIG_DIR === undefined && !o.settingSources.includes("user")
      ? { CLAUDE_CONFIG_DIR: join(stateDir, "config") }
      : {}),
    ...(o.env.XDG_CACHE_HOME === undefined ? { XDG_CACHE_HOME: join(stateDir, "cache") } : {}),
  };

  const input = inputChannel();
  const user = (text: string): SDKUserMessage => ({
    type: "user",
    message: { role: "user", content: text },
    parent_tool_use_id: null,
  });
  input.push(user(o.prompt));

  const tools = CLAUDE_CODE_TOOLS[o.role];
  // Every tool call passes Conveyor's own check first (see `gate`); whatever would still ask
  // a person is refused, with why: nobody is there to answer.
  const canUseTool: CanUseTool = async (toolName, _input, opts) => ({
    behavior: "deny",
    message: `${toolName} is not allowed in this Conveyor run${opts.blockedPath ? ` (${opts.blockedPath} is outside the workspace)` : ""}: work inside the workspace with your tools.`,
  });
  const preToolUse: HookCallback = async (input) => {
    if (input.hook_event_name !== "PreToolUse") return {};
    const refusal = gate(o.role, o.cwd, input.tool_name, input.tool_input, report !== undefined);
    if (refusal) o.log(`claude-code: refused ${input.tool_name}: ${refusal}`);
    return {
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        permissionDecision: refusal ? "deny" : "allow",
        ...(refusal ? { permissionDecisionReason: refusal } : {}),
      },
    };
  };
  const options: Options = {
    cwd: o.cwd,
    model: o.model,
    tools,
    hooks: { PreToolUse: [{ hooks: [preToolUse] }] },
    mcpServers: { [FINISH_SERVER]: server },
    strictMcpConfig: true,
    permissionMode: "acceptEdits",
    canUseTool,
    settingSources: o.settingSources,
    persistSession: false,
    maxTurns: o.maxTurns,
    maxBudgetUsd: o.costBudgetUsd,
    abortController: abort,
    env,
    systemPrompt: { type: "preset", preset: "claude_code", append: o.system },
    stderr: (data) => {
      const line = data.trim();
      if (line) o.log(`claude-code: ${line.slice(0, 500)}`);
    },
    ...(o.sandbox ? { spawnClaudeCodeProcess: sandboxedSpawn(o.sandbox, o.log) } : {}),
  };

  let result: SDKResultMessage | undefined;
  const turnIds = new Set<string>();
  let lastText = "";
  let reminded = false;
  const pendingBash = new Map<string, string>();
  let failure: string | undefined;
  try {
    for await (const m of sdk.query({
      prompt: input.iterable,
      options,
    }) as AsyncIterable<SDKMessage>) {
      if (m.type === "assistant") {
        // Claude Code may send one message per content block of the same API answer.
        turnIds.add(m.message.id);
        for (const block of m.message.content) {
          if (block.type === "text" && block.text.trim()) lastText = block.text.trim();
          if (block.type === "tool_use" && block.name === "Bash")
            pendingBash.set(block.id, String((block.input as { command?: unknown }).command ?? ""));
        }
      } else if (m.type === "user" && Array.isArray(m.message.content)) {
        for (const block of m.message.content) {
          if (typeof block !== "object" || block.type !== "tool_result") continue;
          const command = pendingBash.get(block.tool_use_id);
          if (command === undefined) continue;
          pendingBash.delete(block.tool_use_id);
          commands.push({
            command,
            exitCode: block.is_error ? 1 : 0,
            timedOut: false,
            output: truncateHeadTail(toolResultText(block.content), 20_000),
          });
        }
      } else if (m.type === "system" && m.subtype === "api_retry") {
        o.log(`claude-code: API retry ${JSON.stringify(m).slice(0, 300)}`);
      } else if (m.type === "result") {
        result = m;
        if (report || reminded || m.subtype !== "success" || m.is_error) input.close();
        else {
          // One reminder: a model that stops without its report usually just forgot it.
          reminded = true;
          o.log("turn ended without finish: reminded once");
          input.push(user(REMINDER));
        }
      }
    }
  } catch (e: unknown) {
    failure = e instanceof Error ? e.message : String(e);
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener("abort", onAbort);
    input.close();
    rmSync(stateDir, { recursive: true, force: true });
  }

  const usage = usageOf(result);
  const turns = turnIds.size;
  const done = (stop: LoopStop): ClaudeCodeRun => {
    o.log(`claude-code stopped: ${stop.reason}: ${stop.message}`);
    return { stop, ...(report ? { report } : {}), usage, turns, commands };
  };
  if (report) return done({ reason: "finished", message: report.summary });
  if (timedOut)
    return done({
      reason: "deadline",
      message: "time budget used up before the work was finished",
    });
  if (o.signal?.aborted) return done({ reason: "aborted", message: "the run was cancelled" });
  if (!result)
    return done({
      reason: "command_failed",
      message: `Claude Code ended without a result${failure ? `: ${failure}` : ""}`,
    });
  if (result.subtype === "error_max_turns")
    return done({ reason: "max_turns", message: `reached the limit of ${o.maxTurns} turns` });
  if (result.subtype === "error_max_budget_usd")
    return done({
      reason: "cost_budget",
      message: `cost budget of $${o.costBudgetUsd.toFixed(2)} spent ($${usage.costUsd.toFixed(4)})`,
    });
  if (result.subtype !== "success" || result.is_error) {
    const why =
      result.subtype === "success" ? result.result : result.errors.join("; ") || result.subtype;
    return done({ reason: "api_error", message: `Claude Code: ${why || "error"}`.slice(0, 1000) });
  }
  return done({
    reason: "end_turn",
    message: (result.result || lastText || "Claude Code ended without a report").slice(0, 500),
  });
}

/** The path argument of Claude Code's file tools, and whether the tool writes. */
const FILE_TOOLS: Record<string, { field: string; mode: "read" | "write" }> = {
  Read: { field: "file_path", mode: "read" },
  Edit: { field: "file_path", mode: "write" },
  MultiEdit: { field: "file_path", mode: "write" },
  Write: { field: "file_path", mode: "write" },
  NotebookEdit: { field: "notebook_path", mode: "write" },
  Glob: { field: "path", mode: "read" },
  Grep: { field: "path", mode: "read" },
};

/**
 * Conveyor's check of one tool call, before Claude Code's own permissions: only the role's
 * tools, nothing after the report, and file tools confined to the workspace by the same
 * rules as the built-in tools (no `..`, no symlink out, nothing written in `.git`).
 * Returns the refusal, or undefined to allow the call.
 */
export function gate(
  role: Role,
  workspaceReal: string,
  tool: string,
  input: unknown,
  finished: boolean,
): string | undefined {
  if (finished) return "not run: finish was called before this call";
  if (tool === FINISH_TOOL_NAME) return undefined;
  if (!CLAUDE_CODE_TOOLS[role].includes(tool))
    return `${tool} is not one of the ${role}'s tools (${CLAUDE_CODE_TOOLS[role].join(", ")}, finish)`;
  const file = FILE_TOOLS[tool];
  if (!file) return undefined;
  const path = (input as Record<string, unknown> | undefined)?.[file.field];
  if (path === undefined && file.field === "path") return undefined; // the workspace itself
  const checked = resolveWorkspacePath(workspaceReal, String(path ?? ""), file.mode);
  return checked.ok ? undefined : checked.error;
}

/** Tokens and cost of the whole query, from the last result message (its totals are cumulative). */
function usageOf(result: SDKResultMessage | undefined): UsageTotals {
  const usage = emptyUsage();
  if (!result) return usage;
  for (const m of Object.values(result.modelUsage ?? {})) {
    usage.inputTokens += m.inputTokens;
    usage.outputTokens += m.outputTokens;
    usage.cacheWriteTokens += m.cacheCreationInputTokens;
    usage.cacheReadTokens += m.cacheReadInputTokens;
  }
  if (
    usage.inputTokens + usage.outputTokens + usage.cacheReadTokens + usage.cacheWriteTokens ===
    0
  ) {
    usage.inputTokens = result.usage.input_tokens;
    usage.outputTokens = result.usage.output_tokens;
    usage.cacheWriteTokens = result.usage.cache_creation_input_tokens ?? 0;
    usage.cacheReadTokens = result.usage.cache_read_input_tokens ?? 0;
  }
  usage.costUsd = result.total_cost_usd;
  usage.calls = result.num_turns;
  return usage;
}

function toolResultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((b) => (typeof b === "object" && b && "text" in b ? String(b.text) : ""))
    .join("\n");
}

/** The report's input shape for the SDK's tool(), with the zod the SDK uses. */
function finishShape(z: Zod, role: Role) {
  const outcome = z
    .enum(["done", "incomplete", "failed"])
    .optional()
    .describe(
      "done: the job is complete; incomplete: out of time or stuck; failed: cannot be done.",
    );
  const shape = {
    outcome,
    summary: z
      .string()
      .describe("One paragraph: what you did (the review's summary, for a reviewer)."),
    notes: z.string().optional().describe("Anything the next role should know."),
  };
  if (role === "task")
    return {
      ...shape,
      found: z.string().optional().describe("What was wrong or missing."),
      fixed: z.string().optional().describe("What you changed to fix it."),
    };
  if (role === "tester")
    return { ...shape, fixed: z.string().optional().describe("Fixes you made, if any.") };
  return {
    ...shape,
    verdict: z
      .enum(["approve", "request_changes", "approach_wrong"])
      .describe(
        "approve: ready to test; request_changes: fixable issues remain (say which); approach_wrong: the change must be redone differently.",
      ),
    comments: z
      .array(z.object({ path: z.string(), line: z.number().int(), body: z.string() }))
      .optional()
      .describe(
        "Line comments on the new version of changed files; a body may hold a ```suggestion block.",
      ),
  };
}

/** Starts the Claude Code process inside the sandbox, with exactly the environment given. */
function sandboxedSpawn(
  sandbox: ShellSandbox,
  log: (line: string) => void,
): (options: SpawnOptions) => SpawnedProcess {
  return (options) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.env)) if (v !== undefined) env[k] = v;
    const command = `exec ${[options.command, ...options.args].map(shellQuote).join(" ")}`;
    const wrapped = sandbox.wrap(command, env);
    log(`claude-code runs in ${sandbox.describe}`);
    const child = spawn(wrapped.file, wrapped.args, {
      env: wrapped.env,
      stdio: ["pipe", "pipe", "pipe"],
      signal: options.signal,
    });
    child.stderr?.on("data", (d: Buffer) => {
      const line = d.toString("utf8").trim();
      if (line) log(`claude-code: ${line.slice(0, 500)}`);
    });
    return child as unknown as SpawnedProcess;
  };
}

/** The prompt as a stream of user messages: the role's prompt, maybe one reminder, then the end. */
function inputChannel(): {
  iterable: AsyncIterable<SDKUserMessage>;
  push(m: SDKUserMessage): void;
  close(): void;
} {
  const queue: SDKUserMessage[] = [];
  let closed = false;
  let wake: (() => void) | undefined;
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  async function* iterate(): AsyncGenerator<SDKUserMessage> {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      if (closed) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  }
  return {
    iterable: iterate(),
    push(m) {
      if (closed) return;
      queue.push(m);
      signal();
    },
    close() {
      closed = true;
      signal();
    },
  };
}
