import { waitingText } from "./format-dashboard.js";
import { ACTIONS_BOT } from "./load-board.js";
import { ConfigCache } from "./load-repo-config.js";
import { type OctokitLike, OctokitPort } from "./octokit-port.js";
import { type ReconcileReport, reconcileRepo } from "./reconcile.js";

/**
 * `mode: orchestrate` of the Action: one reconcile pass per workflow event. The workflow's
 * `concurrency` group makes the passes of a repository run one at a time.
 */
export interface OrchestrateOptions {
  /** Authenticated Octokit (from @octokit/rest) for the repository. */
  octokit: unknown;
  owner: string;
  repo: string;
  configPath: string;
  dryRun: boolean;
  log: (line: string) => void;
  /** Login the orchestrator writes as; default `github-actions[bot]` (the workflow token). */
  botLogin?: string;
  now?: () => Date;
}

export async function runOrchestrate(options: OrchestrateOptions): Promise<{ summary: string }> {
  const octokit = options.octokit as Partial<OctokitLike> | null;
  if (!octokit || typeof octokit.request !== "function")
    throw new Error("runOrchestrate needs an authenticated Octokit (with a request method)");
  const port = new OctokitPort(octokit as OctokitLike, options.owner, options.repo);
  const report = await reconcileRepo({
    port,
    owner: options.owner,
    repo: options.repo,
    botLogin: options.botLogin ?? ACTIONS_BOT,
    now: options.now ?? (() => new Date()),
    dryRun: options.dryRun,
    log: options.log,
    configCache: new ConfigCache(options.configPath || undefined),
  });
  return { summary: summarize(report, options.dryRun) };
}

/** The job summary of one pass (markdown). */
export function summarize(report: ReconcileReport, dryRun: boolean): string {
  const lines = [`### Conveyor ${dryRun ? "dry run" : "pass"} on ${report.repo}`, ""];
  if (report.configErrors.length > 0)
    lines.push(
      "**The configuration is invalid:**",
      ...report.configErrors.map((e) => `- ${e}`),
      "",
    );
  const p = report.plan;
  lines.push(
    `Agents ${p.slots.used}/${p.slots.capacity} · in flight ${p.inFlight.used}/${p.inFlight.capacity} · ${report.requests} GitHub requests`,
    "",
  );
  if (report.applied.length === 0) lines.push("Nothing to do.");
  else lines.push(dryRun ? "Would do:" : "Done:", ...report.applied.map((a) => `- ${a}`));
  if (report.failed)
    lines.push(
      "",
      `**Stopped at** ${report.failed.effect}: ${report.failed.error} (the next pass plans again)`,
    );
  if (p.waiting.length > 0)
    lines.push("", "Waiting:", ...p.waiting.map((w) => `- #${w.task}: ${waitingText(w)}`));
  return lines.join("\n");
}
