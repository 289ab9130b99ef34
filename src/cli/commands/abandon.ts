import { openLocalRepo } from "../../local/repo/local-repo.js";
import { applyMaintainerCommand } from "../../local/run/maintainer-command.js";
import { defineCommand, UsageError } from "../io.js";

export const abandonCommand = defineCommand({
  name: "abandon",
  summary: "abandon a local task; the reason is recorded in CHANGELOG.md",
  usage: 'conveyor abandon <task-id> --reason "why"',
  options: {
    reason: { type: "string", value: "text", description: "why (recorded in CHANGELOG.md)" },
  },
  args: [{ name: "task-id", description: "the task, e.g. T3" }],
  async run({ positionals: [id = ""], values }, io) {
    const reason = values.reason?.trim();
    if (!reason)
      throw new UsageError('--reason is required: say why, e.g. --reason "out of scope"');
    const repo = await openLocalRepo(io.cwd, io.env);
    if (repo instanceof Error) {
      io.stderr.write(`conveyor abandon: ${repo.message}\n`);
      return 2;
    }
    const r = await applyMaintainerCommand(repo, id, { kind: "abandon", reason }, (e) =>
      io.stdout.write(`${e.text}\n`),
    );
    (r.accepted ? io.stdout : io.stderr).write(`${r.reply}\n`);
    return r.accepted ? 0 : 1;
  },
});
