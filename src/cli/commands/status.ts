import { loadBoard } from "../../local/board/load-board.js";
import { openLocalRepo } from "../../local/repo/local-repo.js";
import { runPreflight } from "../../local/repo/preflight.js";
import { formatStatus } from "../../local/view/status-text.js";
import { defineCommand } from "../io.js";

export const statusCommand = defineCommand({
  name: "status",
  summary: "show the local board: tasks, agent slots, merge queue, escalations, tokens and cost",
  usage: "conveyor status [--all]",
  options: {
    all: { type: "boolean", description: "list every done task, not only the last few" },
  },
  async run({ values }, io) {
    const repo = await openLocalRepo(io.cwd, io.env);
    if (repo instanceof Error) {
      io.stderr.write(`conveyor status: ${repo.message}\n`);
      return 2;
    }
    const now = new Date();
    const preflight = await runPreflight(repo.root, repo.config, repo.trackingPaths);
    const loaded = await loadBoard(repo, { now, preflight });
    if (loaded instanceof Error) {
      io.stderr.write(`conveyor status: ${loaded.message}\n`);
      return 1;
    }
    io.stdout.write(formatStatus(repo, loaded, now, { all: values.all === true }));
    return 0;
  },
});
