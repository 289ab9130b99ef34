import { readSealKey, runAgentJob } from "../../local/agents/agent-job.js";
import { interruptSignal } from "../../local/run/interrupt-signal.js";
import { defineCommand, UsageError } from "../io.js";

/** Internal: one agent run of local mode, started by `conveyor run` as a child process. */
export const agentCommand = defineCommand({
  name: "agent",
  summary: "(internal) run one agent job of local mode; started by `conveyor run`",
  usage: "conveyor agent --job <.conveyor/jobs/<id>.json>",
  internal: true,
  options: { job: { type: "string", value: "file", description: "the job file" } },
  async run({ values }, io) {
    if (!values.job) throw new UsageError("--job is required");
    const { signal, dispose } = interruptSignal(io.signal);
    try {
      return await runAgentJob(
        values.job,
        io.env,
        (line) => io.stdout.write(`${line}\n`),
        signal,
        readSealKey(),
      );
    } finally {
      dispose();
    }
  },
});
