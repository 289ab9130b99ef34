import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { AgentLauncher } from "../local/agents/agent-launcher.js";
import { loadBoard } from "../local/board/load-board.js";
import { gitOk } from "../local/git/git.js";
import { readMergeLog } from "../local/git/merge-log.js";
import { openLocalRepo } from "../local/repo/local-repo.js";
import type { EventSink } from "../local/run/local-events.js";
import { runLocal } from "../local/run/run-local.js";
import type { PassSnapshot } from "../local/run/run-loop.js";
import { startFakeMessagesServer } from "../replay/index.js";
import type { ScriptedTurn } from "../replay/turns.js";
import { demoScripts } from "./demo-scripts.js";
import { type DemoReport, unreleasedOf } from "./demo-summary.js";
import { sampleProjectFiles } from "./sample-project.js";

export interface DemoOptions {
  /** Folder for the sample project: must be missing or empty. Default: a fresh temp folder. */
  dir?: string;
  env: NodeJS.ProcessEnv;
  emit: EventSink;
  onPass?: (snapshot: PassSnapshot) => void;
  signal?: AbortSignal;
  intervalMs?: number;
  launcher?: AgentLauncher;
  /** Scripts to replay (tests may change them); default: the demo's. */
  scripts?: Record<string, ScriptedTurn[]>;
}

export type DemoOutcome =
  | { ok: true; report: DemoReport; requests: { key: string | undefined; index: number }[] }
  | { ok: false; message: string; dir?: string };

const IDENTITY = {
  GIT_AUTHOR_NAME: "Conveyor Demo",
  GIT_AUTHOR_EMAIL: "demo@conveyor.invalid",
  GIT_COMMITTER_NAME: "Conveyor Demo",
  GIT_COMMITTER_EMAIL: "demo@conveyor.invalid",
};

/**
 * The offline demo: writes the sample project into a fresh git repository, starts the fake
 * Messages server with the recorded scripts, and runs local mode on it until idle — real
 * worktrees, agent processes, edits, tests, commits and merges; only the model is replayed.
 */
export async function runDemo(o: DemoOptions): Promise<DemoOutcome> {
  const started = Date.now();
  const dir = o.dir ? resolve(o.dir) : mkdtempSync(join(tmpdir(), "conveyor-demo-"));
  if (existsSync(dir) && readdirSync(dir).length > 0)
    return { ok: false, message: `${dir} is not empty: choose a new folder with --dir` };
  mkdirSync(dir, { recursive: true });
  for (const [path, text] of Object.entries(sampleProjectFiles())) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const env: NodeJS.ProcessEnv = { ...o.env, ...IDENTITY };
  await gitOk(dir, ["init", "-q", "-b", "main"], env);
  await gitOk(dir, ["add", "-A"], env);
  await gitOk(dir, ["commit", "-q", "-m", "textkit 0.1.0"], env);

  const server = await startFakeMessagesServer({ scripts: o.scripts ?? demoScripts() });
  try {
    const repo = await openLocalRepo(dir, env);
    if (repo instanceof Error) return { ok: false, message: repo.message, dir };
    const childEnv: NodeJS.ProcessEnv = {
      ...env,
      ANTHROPIC_API_KEY: "offline-demo-key",
      ANTHROPIC_BASE_URL: server.url,
    };
    const result = await runLocal({
      repo,
      env: childEnv,
      emit: o.emit,
      ...(o.onPass ? { onPass: o.onPass } : {}),
      untilIdle: true,
      intervalMs: o.intervalMs ?? 250,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.launcher ? { launcher: o.launcher } : {}),
    });
    if (result.reason !== "idle")
      return {
        ok: false,
        message: result.reason === "aborted" ? "interrupted" : (result.message ?? "stopped"),
        dir,
      };
    const final = await loadBoard(repo, { now: new Date(), preflight: [] });
    if (final instanceof Error) return { ok: false, message: final.message, dir };
    const changelog = readFileSync(join(dir, "CHANGELOG.md"), "utf8");
    return {
      ok: true,
      report: {
        dir,
        seconds: (Date.now() - started) / 1000,
        board: final.board,
        merges: readMergeLog(repo.layout),
        changelog: unreleasedOf(changelog),
        base: repo.base,
      },
      requests: server.requests.map((r) => ({ key: r.key, index: r.index })),
    };
  } finally {
    await server.close();
  }
}
