import type { ProbotOctokit } from "probot";
import { type ConveyorCommand, parseCommand, planCommand } from "../core/commands.js";
import { executeEffects } from "../github/executor.js";
import { OctokitPort } from "../github/octokit-port.js";
import {
  baseUrlOf,
  type EtagCache,
  type GitHubUrls,
  githubUrls,
  type OctokitLike,
} from "../github/octokit-transport.js";
import type { GitHubPort } from "../github/port.js";
import {
  ConfigCache,
  loadRepoState,
  type ReconcileReport,
  reconcileRepo,
} from "../github/reconcile.js";
import type { CommandService, ReconcileFn } from "./pass-context.js";

type Requester = { request: ProbotOctokit["request"] };

/**
 * What the app keeps of a repository between passes: the config per head commit (with the
 * facts the loader keeps) and the ETags of the port's reads, so repeated list reads are free
 * 304s. No client lives here: each pass builds its port over that pass's Octokit.
 */
export interface RepoMemo {
  configCache: ConfigCache;
  etags: EtagCache;
}

export interface GitHubRuntime {
  reconcile: ReconcileFn;
  commands: CommandService<ConveyorCommand>;
}

/**
 * The real backend behind the app: `reconcileRepo` over the Octokit port, and the comment
 * commands (`parseCommand` → `planCommand` against the loaded board → the executor).
 */
export interface GitHubRuntimeOptions {
  onReport?: (report: ReconcileReport) => void;
  /**
   * Where the server's APIs are (GHE: `https://host/api/v3` and `https://host/api/graphql`).
   * Default: derived from each pass's Octokit (`request.endpoint.DEFAULTS.baseUrl`).
   */
  urls?: GitHubUrls;
  /** The port of one pass (default: the Octokit port); tests pass the fake GitHub. */
  portFor?: (octokit: OctokitLike, owner: string, repo: string, memo: RepoMemo) => GitHubPort;
}

export function createGitHubRuntime(options: GitHubRuntimeOptions = {}): GitHubRuntime {
  const portFor =
    options.portFor ??
    ((octokit: OctokitLike, owner: string, repo: string, memo: RepoMemo) =>
      new OctokitPort(octokit, owner, repo, {
        urls: options.urls ?? githubUrls(baseUrlOf(octokit)),
        etags: memo.etags,
      }));
  const memos = new Map<string, RepoMemo>();
  /** The repository's memo, and a port over this pass's Octokit. */
  const handle = (
    octokit: Requester,
    owner: string,
    repo: string,
  ): { port: GitHubPort; memo: RepoMemo } => {
    const key = `${owner}/${repo}`;
    let memo = memos.get(key);
    if (!memo) {
      memo = { configCache: new ConfigCache(), etags: new Map() };
      memos.set(key, memo);
    }
    return { port: portFor(octokit as unknown as OctokitLike, owner, repo, memo), memo };
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
      // A failed effect is a warning, not news: the executor's lines say "failed: …".
      log: (line) => (line.startsWith("failed: ") ? input.warn(line) : input.log(line)),
      configCache: h.memo.configCache,
    });
    (report.failed ? input.warn : input.log)(
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
        configCache: h.memo.configCache,
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
