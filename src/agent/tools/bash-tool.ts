import { z } from "zod";
import { runShell } from "../run-shell.js";
import { parseInput } from "./parse-input.js";
import { type ToolSpec, toolError } from "./tool.js";

const DEFAULT_TIMEOUT_S = 120;
const MAX_TIMEOUT_S = 600;
const MAX_OUTPUT = 12_000;

const input = z.object({
  command: z.string().min(1),
  timeout_seconds: z.number().positive().max(MAX_TIMEOUT_S).optional(),
});

export const bashTool: ToolSpec = {
  name: "bash",
  description: `Run a shell command (sh -c) in the repository root, in a sandbox: it may write only inside the repository (not .git) and /tmp, reach only the allowed hosts (package registries), and has no credentials. Default timeout ${DEFAULT_TIMEOUT_S} s (max ${MAX_TIMEOUT_S}); long output keeps its head and tail. Not interactive: stdin is empty.`,
  input_schema: {
    type: "object",
    properties: {
      command: { type: "string", description: "The command line." },
      timeout_seconds: { type: "number", description: `Timeout (default ${DEFAULT_TIMEOUT_S}).` },
    },
    required: ["command"],
  },
  async run(raw, ctx) {
    const parsed = parseInput(input, raw);
    if (!parsed.ok) return toolError(parsed.error);
    const wanted = (parsed.value.timeout_seconds ?? DEFAULT_TIMEOUT_S) * 1000;
    const timeoutMs = Math.max(1000, Math.min(wanted, ctx.timeLeftMs()));
    const run = await runShell(parsed.value.command, {
      cwd: ctx.workspaceReal,
      env: ctx.env,
      ...(ctx.sandbox ? { sandbox: ctx.sandbox } : {}),
      timeoutMs,
      maxOutput: MAX_OUTPUT,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    ctx.commands.push(run);
    const status = run.timedOut
      ? `timed out after ${Math.round(timeoutMs / 1000)} s (killed)`
      : `exit code ${run.exitCode ?? "none"}`;
    return {
      content: `${status}\n${run.output.trimEnd() || "(no output)"}`,
      isError: run.timedOut || run.exitCode !== 0,
    };
  },
};
