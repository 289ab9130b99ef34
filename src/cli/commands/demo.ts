import { formatDemoSummary } from "../../demo/demo-summary.js";
import { runDemo } from "../../demo/run-demo.js";
import { interruptSignal } from "../../local/run/interrupt-signal.js";
import { TerminalView } from "../../local/view/terminal-view.js";
import { defineCommand } from "../io.js";
import { wantsColor } from "../style.js";

export const demoCommand = defineCommand({
  name: "demo",
  summary: "watch the whole pipeline work offline on a sample project (replayed agents)",
  usage: "conveyor demo [--dir <new folder>] [--plain]",
  options: {
    dir: {
      type: "string",
      value: "new folder",
      description: "where to write the sample project (default: a new temporary folder)",
    },
    plain: { type: "boolean", description: "log lines instead of the live table" },
  },
  async run({ values }, io) {
    const view = new TerminalView(io.stdout, {
      live: !values.plain && io.stdout.isTTY === true,
      color: wantsColor(io.stdout, io.env),
    });
    io.stdout.write(
      "Conveyor demo: six tasks on a sample project, agents replayed offline through the real agent loop.\n\n",
    );
    const { signal, dispose } = interruptSignal(io.signal);
    try {
      const outcome = await runDemo({
        ...(values.dir ? { dir: values.dir } : {}),
        env: io.env,
        emit: (e) => view.event(e),
        onPass: (s) => view.update(s),
        signal,
      });
      view.close();
      if (!outcome.ok) {
        io.stderr.write(
          `conveyor demo: ${outcome.message}${outcome.dir ? ` (project: ${outcome.dir})` : ""}\n`,
        );
        return outcome.message === "interrupted" ? 130 : 1;
      }
      io.stdout.write(formatDemoSummary(outcome.report));
      return 0;
    } finally {
      dispose();
    }
  },
});
