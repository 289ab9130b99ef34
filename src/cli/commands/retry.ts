import { parseArgs } from "node:util";
import { openLocalRepo } from "../../local/local-repo.js";
import { applyMaintainerCommand } from "../../local/maintainer-command.js";
import { type Command, UsageError } from "../io.js";

export const retryCommand: Command = {
  name: "retry",
  summary: "retry an escalated (or stuck) local task with fresh attempts",
  usage: "conveyor retry <task-id>",
  async run(args, io) {
    const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true });
    const [id, ...extra] = positionals;
    if (!id || extra.length > 0) throw new UsageError("give exactly one task id, e.g. T3");
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
};
