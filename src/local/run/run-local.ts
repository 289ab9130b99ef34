import { type AgentLauncher, defaultLauncher } from "../agents/agent-launcher.js";
import { Supervisor } from "../agents/supervisor.js";
import type { LocalRepo } from "../repo/local-repo.js";
import type { EventSink } from "./local-events.js";
import { takeRunLock } from "./run-lock.js";
import { type LoopResult, type PassSnapshot, runLoop } from "./run-loop.js";
import { Waker } from "./waker.js";

export interface RunLocalOptions {
  repo: LocalRepo;
  /** Environment of the agent children (API key, base URL). */
  env: NodeJS.ProcessEnv;
  emit: EventSink;
  onPass?: (snapshot: PassSnapshot) => void;
  untilIdle: boolean;
  intervalMs?: number;
  signal?: AbortSignal;
  launcher?: AgentLauncher;
  preflight?: Parameters<typeof runLoop>[0]["preflight"];
}

/**
 * `conveyor run` without the CLI: a supervisor, the loop, woken by every agent exit. One
 * writer per repository: a second `conveyor run` on the same repository is refused.
 */
export async function runLocal(o: RunLocalOptions): Promise<LoopResult> {
  const lock = takeRunLock(o.repo);
  if ("heldBy" in lock)
    return {
      reason: "error",
      passes: 0,
      message: `another conveyor run (pid ${lock.heldBy}) is working on this repository; stop it first`,
    };
  try {
    return await loop(o);
  } finally {
    lock.release();
  }
}

async function loop(o: RunLocalOptions): Promise<LoopResult> {
  const waker = new Waker();
  const supervisor = new Supervisor({
    layout: o.repo.layout,
    launcher: o.launcher ?? defaultLauncher(),
    // Git needs an author in the agents' worktrees too (supplied when none is configured).
    env: { ...o.repo.gitEnv, ...o.env },
    onExit: () => waker.wake(),
  });
  return runLoop({
    repo: o.repo,
    supervisor,
    waker,
    emit: o.emit,
    ...(o.onPass ? { onPass: o.onPass } : {}),
    untilIdle: o.untilIdle,
    intervalMs: o.intervalMs ?? 1000,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.preflight ? { preflight: o.preflight } : {}),
  });
}
