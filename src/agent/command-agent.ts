import type { AgentReport, CommandRun, LoopStop } from "./role-types.js";
import { runShell } from "./run-shell.js";
import { scrubEnv } from "./scrub-env.js";
import type { ShellSandbox } from "./shell-sandbox.js";

/**
 * The external runner (`agent.runner: command`): pipes the role's prompt to a configured
 * command (e.g. a coding-agent CLI) in the workspace. The command may end its output with a
 * JSON object (the `finish` report: summary, outcome, verdict, comments); otherwise the
 * tail of its output is the summary. Conveyor still does git, PR, review and report.
 */
export async function runCommandAgent(options: {
  command: string;
  prompt: string;
  cwd: string;
  env?: Record<string, string>;
  /** The sandbox the command runs in (null: CONVEYOR_SANDBOX=off). */
  sandbox?: ShellSandbox | null;
  timeoutMs: number;
  signal?: AbortSignal;
}): Promise<{ stop: LoopStop; report?: AgentReport; run: CommandRun }> {
  const run = await runShell(options.command, {
    cwd: options.cwd,
    env: scrubEnv(process.env, options.env),
    ...(options.sandbox ? { sandbox: options.sandbox } : {}),
    timeoutMs: Math.max(1000, options.timeoutMs),
    input: options.prompt,
    maxOutput: 20_000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (run.timedOut)
    return { stop: { reason: "deadline", message: "the agent command ran out of time" }, run };
  const parsed = lastJsonReport(run.output);
  if (run.exitCode !== 0)
    return {
      stop: {
        reason: "command_failed",
        message: `the agent command exited with ${run.exitCode ?? "a signal"}: ${tail(run.output)}`,
      },
      run,
    };
  const report: AgentReport = parsed ?? {
    outcome: "done",
    summary: tail(run.output) || "(no output)",
  };
  return { stop: { reason: "finished", message: report.summary }, report, run };
}

function tail(text: string): string {
  return text.trim().split("\n").slice(-15).join("\n").slice(-2000);
}

function lastJsonReport(output: string): AgentReport | undefined {
  const end = output.lastIndexOf("}");
  if (end < 0) return undefined;
  for (
    let start = output.lastIndexOf("{", end);
    start >= 0;
    start = output.lastIndexOf("{", start - 1)
  ) {
    try {
      const value = JSON.parse(output.slice(start, end + 1)) as Partial<AgentReport>;
      if (typeof value.summary === "string")
        return {
          outcome: value.outcome ?? "done",
          summary: value.summary,
          ...(value.found ? { found: value.found } : {}),
          ...(value.fixed ? { fixed: value.fixed } : {}),
          ...(value.verdict ? { verdict: value.verdict } : {}),
          ...(Array.isArray(value.comments) ? { comments: value.comments } : {}),
        };
    } catch {
      // not JSON from here: try an earlier brace
    }
  }
  return undefined;
}
