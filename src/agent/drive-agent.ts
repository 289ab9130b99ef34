import { realpathSync } from "node:fs";
import Anthropic from "@anthropic-ai/sdk";
import { conveyorTag } from "../replay/fake-messages-server.js";
import { runAgentLoop } from "./agent-loop.js";
import { runCommandAgent } from "./command-agent.js";
import { emptyUsage, priceFor } from "./pricing.js";
import { SYSTEM_PROMPT } from "./prompts.js";
import type {
  AgentReport,
  CommandRun,
  LoopStop,
  RunRoleOptions,
  UsageTotals,
} from "./role-types.js";
import { scrubEnv } from "./scrub-env.js";
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
    const out = await runCommandAgent({
      command: o.driver.command,
      prompt: `${SYSTEM_PROMPT}\n\n${session.prompt}`,
      cwd: workspaceReal,
      ...(o.driver.env ? { env: o.driver.env } : {}),
      sandbox,
      timeoutMs: session.stopAt.getTime() - now().getTime(),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    return {
      stop: out.stop,
      ...(out.report ? { report: out.report } : {}),
      usage: emptyUsage(),
      turns: 1,
      commands: [out.run],
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
  if (!price) log(`no price for model ${o.model} in agent.prices: cost is counted as 0`);
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
