/**
 * The cost of one reconcile pass of local mode when nothing happens: load the board from
 * the tracking files, state and branches (git calls), plan, and the executor's flush.
 * Boards of 10 and 50 tasks in review, and of 10 and 1,000 TODO tasks (a failing pre-flight
 * keeps every pass from dispatching). Target: an idle pass over 1,000 TODO tasks under 5× the
 * one at 10. Figures: ms per pass.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { plan } from "../src/core/plan.js";
import { Supervisor } from "../src/local/agents/supervisor.js";
import { loadBoard } from "../src/local/board/load-board.js";
import { openLocalRepo } from "../src/local/repo/local-repo.js";
import { executeEffects } from "../src/local/run/execute-effects.js";

const env = {
  ...process.env,
  GIT_AUTHOR_NAME: "Bench",
  GIT_AUTHOR_EMAIL: "bench@example.invalid",
  GIT_COMMITTER_NAME: "Bench",
  GIT_COMMITTER_EMAIL: "bench@example.invalid",
};

async function measure(tasks: number, file: "REVIEW.md" | "TODO.md", passes = 10): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "conveyor-bench-pass-"));
  try {
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "commit.gpgsign=false", ...args], { cwd: dir, env });
    const items = Array.from({ length: tasks }, (_, i) => `- **T${i + 1}** [medium] Task ${i + 1}`);
    const title = file === "TODO.md" ? "TODO" : "Review";
    writeFileSync(join(dir, file), `# ${title}\n\n${items.join("\n")}\n`);
    // Every task needs an agent; a full pool keeps the pass from dispatching any.
    writeFileSync(join(dir, "conveyor.yml"), "");
    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("commit", "-q", "-m", "init");
    const repo = await openLocalRepo(dir, env);
    if (repo instanceof Error) throw repo;
    repo.config.preflight.baseBranchGreen = false;
    const blocked = [{ name: "bench", ok: false, detail: "idle passes only" }];
    const supervisor = new Supervisor({
      layout: repo.layout,
      launcher: { command: "true", args: [] },
      env,
    });
    let loadMs = 0;
    let totalMs = 0;
    for (let i = 0; i < passes + 1; i++) {
      const t0 = performance.now();
      const loaded = await loadBoard(repo, { now: new Date(), preflight: blocked });
      if (loaded instanceof Error) throw loaded;
      const t1 = performance.now();
      const p = plan(loaded.board, repo.config, new Date());
      await executeEffects(
        loaded,
        p.effects.filter((e) => e.type !== "dispatch"),
        {
          repo,
          supervisor,
          emit: () => {},
          now: new Date(),
        },
      );
      if (i === 0) continue; // the first pass numbers and commits the tasks
      loadMs += t1 - t0;
      totalMs += performance.now() - t0;
    }
    console.log(
      `${String(tasks).padStart(5)} tasks in ${file.padEnd(9)}: ${(totalMs / passes).toFixed(0)} ms per idle pass (board load ${(loadMs / passes).toFixed(0)} ms)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function bench(): Promise<void> {
  for (const n of [10, 50]) await measure(n, "REVIEW.md");
  await measure(10, "TODO.md");
  await measure(1_000, "TODO.md", 3);
}
