import { parseArgs } from "node:util";
import { readSealKey, runAgentJob } from "../../local/agent-job.js";
import { interruptSignal } from "../../local/interrupt-signal.js";
import { type Command, UsageError } from "../io.js";

/** Internal: one agent run of local mode, started by `conveyor run` as a child process. */
export const agentCommand: Command = {
  name: "agent",
  summary: "(internal) run one agent job of local mode; started by `conveyor run`",
  usage: "conveyor agent --job <.conveyor/jobs/<id>.json>",
  async run(args, io) {
    const { values } = parseArgs({ args, options: { job: { type: "string" } }, strict: true });
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
};
