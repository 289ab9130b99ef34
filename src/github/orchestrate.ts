import { type CommandOutcome, runCommand } from "../app/comment-command.js";
import { runDashboardEdit } from "../app/dashboard-edit.js";
import { createGitHubRuntime } from "../app/github-runtime.js";
import type { StepContext } from "../app/pass-context.js";
import { type Actor, isBot, permissionLevel } from "../core/actor-permission.js";
import { waitingText } from "./format-dashboard.js";
import { httpStatus } from "./http-errors.js";
import { ACTIONS_BOT } from "./interpret-facts.js";
import { ConfigCache, loadRepoConfig } from "./load-repo-config.js";
import { type OctokitLike, OctokitPort } from "./octokit-port.js";
import type { GitHubPort } from "./port.js";
import { type ReconcileReport, reconcileRepo } from "./reconcile.js";

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
  const configCache = new ConfigCache(options.configPath || undefined);
  // The escalation comments offer `/conveyor` commands: run the one that started this run,
  // with the same permission check as the app, before the pass (which then sees its effect).
  let command: CommandOutcome | undefined;
  if (options.command && options.command.actor.login !== botLogin) {
    const ctx = actionStepContext(octokit as OctokitLike, port, configCache, {
      ...options,
      botLogin,
      now,
    });
    const runtime = createGitHubRuntime({ portFor: () => port });
    command = await runCommand(ctx, { kind: "command", ...options.command }, runtime.commands);
  }
  let boxes: ("accepted" | "refused")[] = [];
  if (options.dashboardEdit && options.dashboardEdit.actor.login !== botLogin) {
    const ctx = actionStepContext(octokit as OctokitLike, port, configCache, {
      ...options,
      botLogin,
      now,
    });
    const runtime = createGitHubRuntime({ portFor: () => port });
    boxes = await runDashboardEdit(
      ctx,
      { kind: "dashboard", ...options.dashboardEdit },
      runtime.commands,
    );
  }
  const report = await reconcileRepo({
    port,
    owner: options.owner,
    repo: options.repo,
    botLogin,
    now,
    dryRun: options.dryRun,
    log: options.log,
    configCache,
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

/** What a command needs, over the Action's Octokit (the app builds the same per pass). */
function actionStepContext(
  octokit: OctokitLike,
  port: GitHubPort,
  configCache: ConfigCache,
  options: OrchestrateOptions & { botLogin: string; now: () => Date },
): StepContext {
  const { owner, repo } = options;
  return {
    octokit: octokit as unknown as StepContext["octokit"],
    owner,
    repo,
    dryRun: options.dryRun,
    botLogin: async () => options.botLogin,
    now: options.now,
    log: options.log,
    config: async () => (await loadRepoConfig(port, configCache)).config,
    permissionOf: async (login) => {
      if (isBot({ login })) return "none";
      try {
        const res = await octokit.request(
          "GET /repos/{owner}/{repo}/collaborators/{username}/permission",
          { owner, repo, username: login },
        );
        return permissionLevel(res.data as { permission?: string; role_name?: string });
      } catch (e: unknown) {
        if (httpStatus(e) === 404) return "none";
        throw e;
      }
    },
  };
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
