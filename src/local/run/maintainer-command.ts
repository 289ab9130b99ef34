import { type ConveyorCommand, planCommand } from "../../core/commands.js";
import { defaultLauncher } from "../agents/agent-launcher.js";
import { Supervisor } from "../agents/supervisor.js";
import { loadBoard } from "../board/load-board.js";
import type { LocalRepo } from "../repo/local-repo.js";
import { executeEffects } from "./execute-effects.js";
import type { EventSink } from "./local-events.js";
import { takeRunLock } from "./run-lock.js";

export interface CommandResult {
  accepted: boolean;
  reply: string;
}

/**
 * `conveyor retry|abandon …` on a local repository: the core decides the effects
 * (`planCommand`), the local executor applies them (tracking files committed, CHANGELOG for
 * an abandon, the running agent stopped). While a `conveyor run` works on the repository
 * the command is refused (both would rewrite the state): stop the run, then retry.
 */
export async function applyMaintainerCommand(
  repo: LocalRepo,
  taskId: string,
  command: ConveyorCommand,
  emit: EventSink,
  now: Date = new Date(),
): Promise<CommandResult> {
  const lock = takeRunLock(repo);
  if ("heldBy" in lock)
    return {
      accepted: false,
      reply: `conveyor run (pid ${lock.heldBy}) is working on this repository: stop it with Ctrl-C, run this command, then start conveyor run again (it resumes where it stopped).`,
    };
  try {
    const loaded = await loadBoard(repo, { now, preflight: [] });
    if (loaded instanceof Error) return { accepted: false, reply: loaded.message };
    const outcome = planCommand(loaded.board, taskId, command, repo.config, now);
    if (!outcome.accepted) return { accepted: false, reply: outcome.reply };
    const supervisor = new Supervisor({
      layout: repo.layout,
      launcher: defaultLauncher(),
      env: {},
    });
    const pass = await executeEffects(loaded, outcome.effects, { repo, supervisor, emit, now });
    if (pass.stopped) return { accepted: false, reply: pass.stopped };
    return { accepted: true, reply: outcome.reply };
  } finally {
    lock.release();
  }
}
