import { openLocalRepo } from "../../local/repo/local-repo.js";
import { applyMaintainerCommand } from "../../local/run/maintainer-command.js";
import { defineCommand } from "../io.js";

export const retryCommand = defineCommand({
  name: "retry",
  summary: "retry an escalated (or stuck) local task with fresh attempts",
  usage: "conveyor retry <task-id>",
  options: {},
  args: [{ name: "task-id", description: "the task, e.g. T3" }],
  async run({ positionals: [id = ""] }, io) {
    const repo = await openLocalRepo(io.cwd, io.env);
    if (repo instanceof Error) {
      io.stderr.write(`conveyor retry: ${repo.message}\n`);
      return 2;
    }
    const r = await applyMaintainerCommand(repo, id, { kind: "retry" }, (e) =>
      io.stdout.write(`${e.text}\n`),
    );
    (r.accepted ? io.stdout : io.stderr).write(`${r.reply}\n`);
    return r.accepted ? 0 : 1;
  },
});
