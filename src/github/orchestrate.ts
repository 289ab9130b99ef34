import { type CommandOutcome, runCommand } from "../app/comment-command.js";
import { runDashboardEdit } from "../app/dashboard-edit.js";
import { createGitHubRuntime, reconcilePass } from "../app/github-runtime.js";
import { stepContext } from "../app/pass-context.js";
import type { Actor } from "../core/actor-permission.js";
import { waitingText } from "./format-dashboard.js";
import { ACTIONS_BOT } from "./interpret-facts.js";
import { ConfigCache } from "./load-repo-config.js";
import { type OctokitLike, OctokitPort } from "./octokit-port.js";
import type { GitHubPort } from "./port.js";
import type { ReconcileReport } from "./reconcile.js";

/** A `/conveyor` comment the workflow run was started for (`issue_comment.created`). */
export interface CommentCommand {
  issue: number;
  commentId: number;
  body: string;
  actor: Actor;
}

/** Boxes ticked on the dashboard (`issues.edited`): the body before and after, and who. */
export interface DashboardEdit {
  issue: number;
  before: string;
  after: string;
  actor: Actor;
}

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
  /** The command of the comment that started this run, run before the pass (as the app does). */
  command?: CommentCommand;
  /** The port to GitHub (default: over `octokit`); tests pass the fake GitHub. */
  port?: GitHubPort;
  /** Boxes ticked on the dashboard by the edit that started this run, run before the pass. */
  dashboardEdit?: DashboardEdit;
}

export async function runOrchestrate(
  options: OrchestrateOptions,
): Promise<{ summary: string; command?: CommandOutcome }> {
  const octokit = options.octokit as Partial<OctokitLike> | null;
  if (!octokit || typeof octokit.request !== "function")
    throw new Error("runOrchestrate needs an authenticated Octokit (with a request method)");
  const port = options.port ?? new OctokitPort(octokit as OctokitLike, options.owner, options.repo);
  const botLogin = options.botLogin ?? ACTIONS_BOT;
  const now = options.now ?? (() => new Date());
  // One pass: its port reads a person's permission once and the config once, and the
  // command is planned against the same load the pass then plans on.
  const runtime = createGitHubRuntime();
  const pass = runtime.over(
    port,
    { configCache: new ConfigCache(options.configPath || undefined) },
    // `github-actions[bot]` writes for any workflow: its result comments are not trusted.
    false,
  );
  const ctx = stepContext(pass, options, {
    dryRun: options.dryRun,
    botLogin: async () => botLogin,
    now,
    log: options.log,
    warn: options.log,
  });
  // The escalation comments offer `/conveyor` commands: run the one that started this run,
  // with the same permission check as the app, before the pass (which then sees its effect).
  let command: CommandOutcome | undefined;
  if (options.command && options.command.actor.login !== botLogin)
    command = await runCommand(ctx, { kind: "command", ...options.command }, runtime.commands);
  let boxes: ("accepted" | "refused")[] = [];
  if (options.dashboardEdit && options.dashboardEdit.actor.login !== botLogin)
    boxes = await runDashboardEdit(
      ctx,
      { kind: "dashboard", ...options.dashboardEdit },
      runtime.commands,
    );
  const report = await reconcilePass(pass, {
    owner: options.owner,
    repo: options.repo,
    botLogin,
    now,
    dryRun: options.dryRun,
    log: options.log,
  });
  const summary = [
    summarize(report, options.dryRun),
    ...(boxes.length > 0 ? [`Dashboard boxes: ${boxes.join(", ")}`] : []),
  ].join("\n\n");
  return command
    ? {
        summary: `${summary}\n\nCommand of comment ${options.command!.commentId}: ${command}`,
        command,
      }
    : { summary };
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
