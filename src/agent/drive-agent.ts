import { realpathSync } from "node:fs";
import Anthropic from "@anthropic-ai/sdk";
import { PRESET_SPECS } from "../core/agent-presets.js";
import { runAgentLoop } from "./agent-loop.js";
import { runClaudeCodeAgent } from "./claude-code-agent.js";
import { runCommandAgent } from "./command-agent.js";
import { costOf, emptyUsage, priceFor } from "./pricing.js";
import { COMMAND_SYSTEM_PROMPT, SYSTEM_PROMPT } from "./prompts.js";
import type {
  AgentReport,
  CommandRun,
  LoopStop,
  RunRoleOptions,
  UsageTotals,
} from "./role-types.js";
import { conveyorTag } from "./run-tag.js";
import { buildAgentEnv, scrubEnv } from "./scrub-env.js";
import { type ShellSandbox, shellSandbox } from "./shell-sandbox.js";
import type { ToolSpec } from "./tools/tool.js";

export interface DriveResult {
  stop: LoopStop;
  report?: AgentReport;
  usage: UsageTotals;
  turns: number;
  commands: CommandRun[];
  /** Workspace-relative paths the agent wrote through its tools. */
  written: string[];
  /** Things people should know about the run (e.g. git config the agent changed, restored). */
  notes: string[];
}

/** Runs the role's agent (builtin loop or external command) until it finishes or `stopAt`. */
export async function driveAgent(
  o: RunRoleOptions,
  session: { prompt: string; tools: ToolSpec[]; stopAt: Date },
): Promise<DriveResult> {
  const now = o.now ?? (() => new Date());
  const log = o.log ?? (() => {});
  const workspaceReal = realpathSync(o.workspace);
  // Every command of the agent runs in the sandbox; where none can be had this throws (the
  // run fails with what to install) unless CONVEYOR_SANDBOX=off.
  const sandbox = shellSandbox({
    workspace: workspaceReal,
    allowedDomains: o.config.sandbox.allowedDomains,
    log,
  });
  log(
    sandbox
      ? `the agent's commands run in ${sandbox.describe}`
      : "the agent's commands run without a sandbox (CONVEYOR_SANDBOX=off)",
  );
  try {
    return await drive(o, session, { workspaceReal, sandbox, now, log });
  } finally {
    sandbox?.close();
  }
}

async function drive(
  o: RunRoleOptions,
  session: { prompt: string; tools: ToolSpec[]; stopAt: Date },
  c: {
    workspaceReal: string;
    sandbox: ShellSandbox | null;
    now: () => Date;
    log: (line: string) => void;
  },
): Promise<DriveResult> {
  const { workspaceReal, sandbox, now, log } = c;
  if (o.driver.kind === "command") {
    const agent = o.config.agent;
    const spec = agent.preset ? PRESET_SPECS[agent.preset] : undefined;
    const turnsFlag =
      spec?.maxTurnsFlag && agent.command === o.driver.command
        ? ` ${spec.maxTurnsFlag} ${o.config.roles[o.role].maxTurns}`
        : "";
    const out = await runCommandAgent({
      command: `${o.driver.command}${turnsFlag}`,
      prompt: `${COMMAND_SYSTEM_PROMPT}\n\n${session.prompt}`,
      cwd: workspaceReal,
      env: { ...passThrough(agent.env, process.env), ...o.driver.env },
      output: agent.output,
      sandbox,
      timeoutMs: session.stopAt.getTime() - now().getTime(),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    priceReported(out.usage, agent.prices, o.model);
    return {
      stop: out.stop,
      ...(out.report ? { report: out.report } : {}),
      usage: out.usage,
      turns: 1,
      commands: [out.run],
      written: [],
      notes: [],
    };
  }
  if (o.config.agent.runner === "claude-code") {
    const out = await runClaudeCodeAgent({
      role: o.role,
      model: o.model,
      system: `${SYSTEM_PROMPT}\n\nRun ${conveyorTag(o.correlationId)}`,
      prompt: session.prompt,
      cwd: workspaceReal,
      env: buildAgentEnv(process.env, {
        passThrough: o.config.agent.env,
        extra: {
          ANTHROPIC_API_KEY: o.driver.apiKey,
          ...(o.driver.baseURL ? { ANTHROPIC_BASE_URL: o.driver.baseURL } : {}),
          // No telemetry, update checks or other calls besides the model's.
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
          DISABLE_AUTOUPDATER: "1",
          CLAUDE_AGENT_SDK_CLIENT_APP: "conveyor",
        },
      }),
      maxTurns: o.config.roles[o.role].maxTurns,
      stopAt: session.stopAt,
      now,
      costBudgetUsd: o.config.agent.costBudgetUsd,
      settingSources: o.config.agent.claudeCode.settingSources,
      sandbox,
      ...(o.signal ? { signal: o.signal } : {}),
      log,
      ...(o.loadClaudeAgentSdk ? { load: o.loadClaudeAgentSdk } : {}),
    });
    priceReported(out.usage, o.config.agent.prices, o.model);
    return {
      stop: out.stop,
      ...(out.report ? { report: out.report } : {}),
      usage: out.usage,
      turns: out.turns,
      commands: out.commands,
      written: [],
      notes: [],
    };
  }
  const client = new Anthropic({
    apiKey: o.driver.apiKey,
    ...(o.driver.baseURL ? { baseURL: o.driver.baseURL } : {}),
    maxRetries: 0,
  });
  const price = priceFor(o.config.agent.prices, o.model);
  if (!price)
    // Without a price every call would cost $0 and no budget would stop the run.
    return {
      stop: {
        reason: "config_error",
        message: `no price for model ${o.model}: add it to agent.prices (USD per million tokens) so the cost budgets apply`,
      },
      usage: emptyUsage(),
      turns: 0,
      commands: [],
      written: [],
      notes: [],
    };
  const commands: CommandRun[] = [];
  const written = new Set<string>();
  const result = await runAgentLoop({
    client,
    model: o.model,
    system: `${SYSTEM_PROMPT}\n\nRun ${conveyorTag(o.correlationId)}`,
    prompt: session.prompt,
    tools: session.tools,
    context: {
      workspaceReal,
      env: scrubEnv(process.env),
      sandbox,
      timeLeftMs: () => session.stopAt.getTime() - now().getTime(),
      ...(o.signal ? { signal: o.signal } : {}),
      commands,
      written,
    },
    maxTurns: o.config.roles[o.role].maxTurns,
    maxTokens: o.config.roles[o.role].maxTokens,
    contextBudgetTokens: o.config.roles[o.role].contextBudgetTokens,
    stopAt: session.stopAt,
    costBudgetUsd: o.config.agent.costBudgetUsd,
    price,
    ...(o.driver.maxRetries !== undefined ? { maxRetries: o.driver.maxRetries } : {}),
    now,
    ...(o.sleep ? { sleep: o.sleep } : {}),
    log,
    ...(o.signal ? { signal: o.signal } : {}),
  });
  return {
    stop: result.stop,
    ...(result.report ? { report: result.report } : {}),
    usage: result.usage,
    turns: result.turns,
    commands,
    written: [...written].sort(),
    notes: [],
  };
}

/** A runner that reported tokens but no cost: price them when the model has a price. */
function priceReported(
  usage: UsageTotals,
  prices: RunRoleOptions["config"]["agent"]["prices"],
  model: string,
): void {
  if (usage.costUsd !== 0 || usage.inputTokens === 0) return;
  const price = priceFor(prices, model);
  if (price)
    usage.costUsd = costOf(
      {
        input_tokens: usage.inputTokens,
        output_tokens: usage.outputTokens,
        cache_creation_input_tokens: usage.cacheWriteTokens,
        cache_read_input_tokens: usage.cacheReadTokens,
      },
      price,
    );
}

/** The named variables of the runner's environment that are set (`agent.env`). */
function passThrough(
  names: readonly string[],
  env: Record<string, string | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const v = env[name];
    if (v !== undefined && v !== "") out[name] = v;
  }
  return out;
}
