import { openLocalRepo } from "../../local/repo/local-repo.js";
import { applyMaintainerCommand } from "../../local/run/maintainer-command.js";
import { defineCommand, UsageError } from "../io.js";

export const deprioritizeCommand = defineCommand({
  name: "deprioritize",
  summary: "move a local task back to the backlog at low priority, with fresh attempts",
  usage: 'conveyor deprioritize <task-id> --notes "why, and what would bring it back"',
  options: {
    notes: { type: "string", value: "text", description: "why, and what would bring it back" },
  },
  args: [{ name: "task-id", description: "the task, e.g. T3" }],
  async run({ positionals: [id = ""], values }, io) {
    const notes = values.notes?.trim();
    if (!notes)
      throw new UsageError('--notes is required: say why, e.g. --notes "after the 2.0 release"');
    const repo = await openLocalRepo(io.cwd, io.env);
    if (repo instanceof Error) {
      io.stderr.write(`conveyor deprioritize: ${repo.message}\n`);
      return 2;
    }
    const r = await applyMaintainerCommand(repo, id, { kind: "deprioritize", notes }, (e) =>
      io.stdout.write(`${e.text}\n`),
    );
    (r.accepted ? io.stdout : io.stderr).write(`${r.reply}\n`);
    return r.accepted ? 0 : 1;
  },
});
