/**
 * The offline demo end to end (`npm run demo` without the terminal): wall time, agent runs
 * and how long one agent process lives (spawn → result), merges and batches. Target: well
 * under a minute on the 2-core machine.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runDemo } from "../src/demo/run-demo.js";
import { readRunRecords } from "../src/local/agents/run-record.js";
import { repoLayout } from "../src/local/repo/repo-layout.js";

export default async function bench(): Promise<void> {
  const parent = mkdtempSync(join(tmpdir(), "conveyor-bench-demo-"));
  try {
    const dir = join(parent, "project");
    const started = performance.now();
    const outcome = await runDemo({ dir, env: process.env, emit: () => {} });
    const seconds = (performance.now() - started) / 1000;
    if (!outcome.ok) throw new Error(outcome.message);
    const runs = readRunRecords(repoLayout(dir));
    const lives = runs
      .filter((r) => r.endedAt)
      .map((r) => Date.parse(r.endedAt!) - Date.parse(r.startedAt))
      .sort((a, b) => a - b);
    const median = lives[Math.floor(lives.length / 2)] ?? 0;
    const { merges, board } = outcome.report;
    console.log(`demo wall time: ${seconds.toFixed(1)} s (target: well under 60 s)`);
    console.log(
      `tasks: ${board.tasks.length}, merged: ${board.tasks.filter((t) => t.stage === "done").length}, agent runs: ${runs.length}, model requests: ${outcome.requests.length}`,
    );
    console.log(
      `agent process life (spawn → exit): median ${median} ms, max ${lives[lives.length - 1] ?? 0} ms`,
    );
    console.log(
      `merges: ${merges.length}, largest batch: ${Math.max(0, ...merges.map((m) => m.merged.length))}`,
    );
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}
