import type { AgentResult } from "../../src/core/board.js";
import type { FakeGitHub, FakeRun } from "../support/fake-github/index.js";

/** How the simulated agent of a run behaves; default: does its job well. */
export type Behaviour = (run: FakeRun) => Partial<AgentResult> | "silent";

/**
 * Plays the agent Action against the fake GitHub: picks queued runs up, does the role's
 * work (the task agent opens a PR changing the issue's files) and publishes the result
 * comment the way the agent Action does.
 */
export class AgentSim {
  /** Files each task changes (issue number → paths). */
  readonly files = new Map<number, string[]>();
  /** The head each PR's last passing test run judged: what its merge must be pinned to. */
  readonly testedHeads = new Map<number, string>();
  behaviour: Behaviour = () => ({});
  /** The identity the agent workflow publishes results as. */
  author = "github-actions[bot]";
  /** Quiet mode (`comments: sticky`): results go into the task's one result comment. */
  sticky = false;
  /** Highest number of runs in progress at once. */
  maxRunning = 0;

  constructor(private readonly gh: FakeGitHub) {}

  /** Runs not completed yet (including cancelled ones still winding down). */
  active(): FakeRun[] {
    return this.gh.runs.filter((r) => r.status !== "completed");
  }

  /** Runs not completed and not asked to cancel: the agents Conveyor counts as working. */
  working(): FakeRun[] {
    return this.active().filter((r) => !r.cancelRequested);
  }

  /** Starts every queued run. */
  startAll(): void {
    for (const r of this.gh.runs) if (r.status === "queued") this.gh.startRun(r.id);
    this.maxRunning = Math.max(this.maxRunning, this.active().length);
  }

  /** Finishes every running run (or the first `limit`), publishing results. */
  finish(limit = Number.POSITIVE_INFINITY): number {
    let n = 0;
    for (const r of this.gh.runs) {
      if (r.status !== "in_progress" || n >= limit) continue;
      n++;
      const extra = this.behaviour(r);
      if (extra === "silent") {
        this.gh.completeRun(r.id, "failure");
        continue;
      }
      const result = { ...this.work(r), ...extra };
      if (this.sticky) this.gh.publishStickyResult(Number(r.inputs.issue), result, this.author);
      else this.gh.publishResult(Number(r.inputs.issue), result, this.author);
    }
    return n;
  }

  private work(run: FakeRun): AgentResult {
    const issue = Number(run.inputs.issue);
    const cid = run.inputs["correlation-id"]!;
    // As the real agent publishes it (src/agent/role-session.ts): with when the run finished.
    const base = {
      correlationId: cid,
      outcome: "ok" as const,
      tokens: 1000,
      costUsd: 0.1,
      finishedAt: this.gh.now().toISOString(),
    };
    const mode = run.inputs.mode;
    if (mode === "task") {
      const branch = `conveyor/${issue}-task`;
      const pr = this.gh.openPull({
        branch,
        title: `Fix #${issue}`,
        body: `Closes #${issue}`, // as the task role writes it
        files: this.files.get(issue) ?? [`src/t${issue}.ts`],
      });
      const headSha = this.gh.pull(pr).headSha;
      return { ...base, role: "task", pr, branch, headSha, summary: `implemented #${issue}` };
    }
    const pr = Number(run.inputs.pr);
    const headSha = this.gh.pull(pr).headSha;
    if (mode === "review")
      return { ...base, role: "reviewer", verdict: "approve", headSha, summary: "looks right" };
    const baseSha = this.gh.refs.get(`heads/${this.gh.defaultBranch}`)!;
    this.testedHeads.set(pr, headSha);
    return {
      ...base,
      role: "tester",
      passed: true,
      headSha,
      baseSha,
      summary: "targeted tests pass",
    };
  }
}
