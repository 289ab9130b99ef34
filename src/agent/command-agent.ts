import { type OutputFormat, parseAgentOutput } from "./agent-output.js";
import { emptyUsage } from "./pricing.js";
import type { AgentReport, CommandRun, LoopStop, UsageTotals } from "./role-types.js";
import { runShell } from "./run-shell.js";
import { scrubEnv } from "./scrub-env.js";
import type { ShellSandbox } from "./shell-sandbox.js";
import { truncateHeadTail } from "./truncate-output.js";

/** Output kept of an agent command: enough for a whole `--output-format json` result. */
const MAX_AGENT_OUTPUT = 2_000_000;

/**
 * The external runner (`agent.runner: command`): pipes the role's prompt to a configured
 * command (a coding-agent CLI, or a preset's) in the workspace, then reads its output with
 * the format's parser (see `parseAgentOutput`): the JSON report (summary, outcome, verdict,
 * comments) and the tokens and cost the tool reports. Without a report, the tail of the
 * output (or the tool's final message) is the summary. Conveyor still does git, PR, review
 * and report.
 */
export async function runCommandAgent(options: {
  command: string;
  prompt: string;
  cwd: string;
  env?: Record<string, string>;
  /** The sandbox the command runs in (null: CONVEYOR_SANDBOX=off). */
  sandbox?: ShellSandbox | null;
  timeoutMs: number;
  output?: OutputFormat;
  signal?: AbortSignal;
}): Promise<{ stop: LoopStop; report?: AgentReport; run: CommandRun; usage: UsageTotals }> {
  const full = await spawnAgentCommand(options);
  const parsed = parseAgentOutput(full.output, options.output ?? "report");
  const run = { ...full, output: truncateHeadTail(full.output, 20_000) };
  const usage = { ...emptyUsage(), ...parsed.usage };
  if (run.timedOut)
    return {
      stop: { reason: "deadline", message: "the agent command ran out of time" },
      run,
      usage,
    };
  if (run.exitCode !== 0 || parsed.toolError)
    return {
      stop: {
        reason: "command_failed",
        message:
          run.exitCode !== 0
            ? `the agent command exited with ${run.exitCode ?? "a signal"}: ${tail(parsed.toolError ?? run.output)}`
            : parsed.toolError!,
      },
      run,
      usage,
    };
  const report: AgentReport = parsed.report ?? {
    outcome: "done",
    summary: tail(parsed.finalText ?? run.output) || "(no output)",
  };
  return { stop: { reason: "finished", message: report.summary }, report, run, usage };
}

/** The one place the agent command is started (the sandbox wraps it here). */
function spawnAgentCommand(options: {
  command: string;
  prompt: string;
  cwd: string;
  env?: Record<string, string>;
  sandbox?: ShellSandbox | null;
  timeoutMs: number;
  signal?: AbortSignal;
}): Promise<CommandRun> {
  return runShell(options.command, {
    cwd: options.cwd,
    env: scrubEnv(process.env, options.env),
    ...(options.sandbox ? { sandbox: options.sandbox } : {}),
    timeoutMs: Math.max(1000, options.timeoutMs),
    input: options.prompt,
    maxOutput: MAX_AGENT_OUTPUT,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

function tail(text: string): string {
  return text.trim().split("\n").slice(-15).join("\n").slice(-2000);
}
