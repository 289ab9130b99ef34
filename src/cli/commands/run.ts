import { modelDriver } from "../../local/agents/model-driver.js";
import { openLocalRepo } from "../../local/repo/local-repo.js";
import { interruptSignal } from "../../local/run/interrupt-signal.js";
import { runLocal } from "../../local/run/run-local.js";
import { formatRows, taskRows } from "../../local/view/task-rows.js";
import { TerminalView } from "../../local/view/terminal-view.js";
import { defineCommand, UsageError } from "../io.js";
import { wantsColor } from "../style.js";

export const runCommand = defineCommand({
  name: "run",
  summary: "run the pipeline on this git repository (TODO.md is the backlog)",
  usage: "conveyor run [--until-idle] [--interval <seconds>] [--plain]",
  options: {
    "until-idle": { type: "boolean", description: "stop when nothing is left to do (CI)" },
    interval: {
      type: "string",
      value: "seconds",
      default: "1",
      description: "time between two passes",
    },
    plain: { type: "boolean", description: "log lines instead of the live table" },
  },
  async run({ values }, io) {
    const interval = Number(values.interval);
    if (!Number.isFinite(interval) || interval <= 0)
      throw new UsageError(
        `--interval must be a positive number of seconds, got ${values.interval}`,
      );
    const repo = await openLocalRepo(io.cwd, io.env);
    if (repo instanceof Error) {
      io.stderr.write(`conveyor run: ${repo.message}\n`);
      return 2;
    }
    if (repo.configErrors) {
      io.stderr.write(
        `conveyor run: the configuration is invalid, nothing was started.\n${repo.configErrors.join("\n")}\n`,
      );
      return 2;
    }
    const driver = modelDriver(repo.config, io.env);
    if (driver instanceof Error) {
      io.stderr.write(`conveyor run: ${driver.message}\n`);
      return 2;
    }
    const view = new TerminalView(io.stdout, {
      live: !values.plain && io.stdout.isTTY === true,
      color: wantsColor(io.stdout, io.env),
    });
    const { signal, dispose } = interruptSignal(io.signal);
    try {
      const result = await runLocal({
        repo,
        env: io.env,
        emit: (e) => view.event(e),
        onPass: (s) => view.update(s),
        untilIdle: values["until-idle"] === true,
        intervalMs: interval * 1000,
        signal,
      });
      view.close();
      if (result.last && result.reason !== "error") {
        const rows = taskRows(result.last.board, new Date());
        if (rows.length > 0) io.stdout.write(`\n${formatRows(rows).join("\n")}\n\n`);
      }
      if (result.reason === "aborted") {
        io.stdout.write(
          "stopped: agents were stopped; `conveyor run` resumes where this left off\n",
        );
        return 130;
      }
      if (result.reason === "error") {
        io.stderr.write(`conveyor run: ${result.message}\n`);
        return 1;
      }
      if (result.message) {
        io.stderr.write(`conveyor run: nothing dispatched — ${result.message}\n`);
        return 1;
      }
      if (result.blocked) {
        io.stderr.write(`conveyor run: blocked, not idle — ${result.blocked}\n`);
        return 1;
      }
      io.stdout.write("idle: nothing is running and nothing is left to do\n");
      return 0;
    } finally {
      dispose();
    }
  },
});
