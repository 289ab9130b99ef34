import { parseArgs } from "node:util";
import { openLocalRepo } from "../../local/local-repo.js";
import { applyMaintainerCommand } from "../../local/maintainer-command.js";
import { type Command, UsageError } from "../io.js";

export const abandonCommand: Command = {
  name: "abandon",
  summary: "abandon a local task; the reason is recorded in CHANGELOG.md",
  usage: 'conveyor abandon <task-id> --reason "why"',
  async run(args, io) {
    const { positionals, values } = parseArgs({
      args,
      options: { reason: { type: "string" } },
      allowPositionals: true,
      strict: true,
    });
    const [id, ...extra] = positionals;
    if (!id || extra.length > 0) throw new UsageError("give exactly one task id, e.g. T3");
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
};
