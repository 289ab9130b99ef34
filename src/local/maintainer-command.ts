import { existsSync, mkdirSync, readdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { type ConveyorCommand, planCommand } from "../core/commands.js";
import { defaultLauncher } from "./agent-launcher.js";
import { executeEffects } from "./execute-effects.js";
import { loadBoard } from "./load-board.js";
import type { EventSink } from "./local-events.js";
import type { LocalRepo } from "./local-repo.js";
import { cidFileName, taskReportsDir } from "./repo-layout.js";
import { Supervisor } from "./supervisor.js";

export interface CommandResult {
  accepted: boolean;
  reply: string;
}

/**
 * `conveyor retry|abandon …` on a local repository: the core decides the effects
 * (`planCommand`), the local executor applies them (tracking files committed, CHANGELOG for
 * an abandon, the running agent stopped). A `conveyor run` in progress picks the change up
 * on its next pass.
 */
export async function applyMaintainerCommand(
  repo: LocalRepo,
  taskId: string,
  command: ConveyorCommand,
  emit: EventSink,
  now: Date = new Date(),
): Promise<CommandResult> {
  const loaded = await loadBoard(repo, { now, preflight: [] });
  if (loaded instanceof Error) return { accepted: false, reply: loaded.message };
  const outcome = planCommand(loaded.board, taskId, command, repo.config, now);
  if (!outcome.accepted) return { accepted: false, reply: outcome.reply };
  // A retry starts the task's run counter again: earlier runs' records and results move to
  // an archive, so the new correlation ids are fresh.
  // (The memory forgets them too: the core resets the run counter, so ids repeat.)
  if (command.kind === "retry") {
    archiveRuns(repo, taskId, now);
    for (const e of outcome.effects) if (e.type === "save-memory") e.memory.handled = [];
  }
  const supervisor = new Supervisor({ layout: repo.layout, launcher: defaultLauncher(), env: {} });
  const pass = await executeEffects(loaded, outcome.effects, { repo, supervisor, emit, now });
  if (pass.stopped) return { accepted: false, reply: pass.stopped };
  return { accepted: true, reply: outcome.reply };
}

function archiveRuns(repo: LocalRepo, taskId: string, now: Date): void {
  const archive = join(repo.layout.dir, "archive", `${cidFileName(taskId)}-${now.getTime()}`);
  const prefix = `${cidFileName(taskId)}-`;
  const move = (from: string, to: string) => {
    mkdirSync(join(to, ".."), { recursive: true });
    renameSync(from, to);
  };
  if (existsSync(repo.layout.runsDir))
    for (const name of readdirSync(repo.layout.runsDir))
      if (name.startsWith(prefix))
        move(join(repo.layout.runsDir, name), join(archive, "runs", name));
  const reports = taskReportsDir(repo.layout, taskId);
  if (existsSync(reports)) move(reports, join(archive, "reports"));
}
