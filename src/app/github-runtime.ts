import type { ProbotOctokit } from "probot";
import { type ConveyorCommand, parseCommand, planCommand } from "../core/commands.js";
import { executeEffects } from "../github/executor.js";
import { type OctokitLike, OctokitPort } from "../github/octokit-port.js";
import type { GitHubPort } from "../github/port.js";
import {
  ConfigCache,
  loadRepoState,
  type ReconcileReport,
  reconcileRepo,
} from "../github/reconcile.js";
import type { CommandService } from "./command-service.js";
import type { ReconcileFn } from "./reconcile-fn.js";

type Requester = { request: ProbotOctokit["request"] };

interface RepoHandle {
  port: GitHubPort;
  configCache: ConfigCache;
  /** The port talks through this; each pass points it at that pass's Octokit. */
  octokit: { current: Requester | undefined };
}

export interface GitHubRuntime {
  reconcile: ReconcileFn;
  commands: CommandService<ConveyorCommand>;
}

/**
 * The real backend behind the app: `reconcileRepo` over the Octokit port, and the comment
 * commands (`parseCommand` → `planCommand` against the loaded board → the executor). One
 * port and one config cache per repository live as long as the process, so the port's ETag
 * cache turns repeated list reads into free 304s and the config is read once per push.
 */
export interface GitHubRuntimeOptions {
  onReport?: (report: ReconcileReport) => void;
  /** The port of a repository (default: the Octokit port); tests pass the fake GitHub. */
  portFor?: (octokit: OctokitLike, owner: string, repo: string) => GitHubPort;
}

export function createGitHubRuntime(options: GitHubRuntimeOptions = {}): GitHubRuntime {
  const portFor =
    options.portFor ??
    ((octokit: OctokitLike, owner: string, repo: string) => new OctokitPort(octokit, owner, repo));
  const repos = new Map<string, RepoHandle>();
  const handle = (octokit: Requester, owner: string, repo: string): RepoHandle => {
    const key = `${owner}/${repo}`;
    let h = repos.get(key);
    if (!h) {
      const holder: RepoHandle["octokit"] = { current: undefined };
      const client: OctokitLike = {
        request: ((...args: Parameters<ProbotOctokit["request"]>) => {
          if (!holder.current) throw new Error(`no Octokit for ${key}`);
          return holder.current.request(...args);
        }) as unknown as OctokitLike["request"],
      };
      h = { port: portFor(client, owner, repo), configCache: new ConfigCache(), octokit: holder };
      repos.set(key, h);
    }
    h.octokit.current = octokit;
    return h;
  };

  const reconcile: ReconcileFn = async (input) => {
    const h = handle(input.octokit, input.owner, input.repo);
    const report = await reconcileRepo({
      port: h.port,
      owner: input.owner,
      repo: input.repo,
      botLogin: input.botLogin,
      // An agent workflow may publish with the app's own token.
      resultAuthors: [input.botLogin],
      now: input.now,
      dryRun: input.dryRun,
      log: input.log,
      configCache: h.configCache,
    });
    input.log(
      `pass: ${report.applied.length} effect(s) applied, ${report.plan.waiting.length} waiting, ${report.requests} request(s)${report.failed ? `; stopped at "${report.failed.effect}": ${report.failed.error}` : ""}`,
    );
    options.onReport?.(report);
    return report;
  };

  const commands: CommandService<ConveyorCommand> = {
    parse(body) {
      const parsed = parseCommand(body);
      if (parsed === null) return undefined;
      if ("error" in parsed) return { ok: false, error: parsed.error };
      return { ok: true, command: parsed, text: `/conveyor ${parsed.kind}` };
    },
    async apply(ctx, { issue, command }) {
      const h = handle(ctx.octokit, ctx.owner, ctx.repo);
      const now = ctx.now();
      const botLogin = await ctx.botLogin();
      const state = await loadRepoState({
        port: h.port,
        owner: ctx.owner,
        repo: ctx.repo,
        botLogin,
        resultAuthors: [botLogin],
        now: ctx.now,
        dryRun: ctx.dryRun,
        log: ctx.log,
        configCache: h.configCache,
      });
      const board = state.snapshot.board;
      // A command on the task's PR means the task.
      const taskId =
        board.tasks.find((t) => t.id === String(issue) || t.pr?.number === issue)?.id ??
        String(issue);
      const outcome = planCommand(board, taskId, command, state.config, now);
      if (!outcome.accepted) return { accepted: false, reason: outcome.reply };
      const execution = await executeEffects(h.port, state.snapshot, outcome.effects, {
        dryRun: ctx.dryRun,
        log: ctx.log,
        config: state.config,
        now,
      });
      if (execution.failed)
        return {
          accepted: false,
          reason: `applying it failed at "${execution.failed.effect}" (${execution.failed.error}); please try again`,
        };
      return command.kind === "status"
        ? { accepted: true, reply: outcome.reply }
        : { accepted: true };
    },
  };

  return { reconcile, commands };
}
