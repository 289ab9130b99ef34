import type { PermissionLevel } from "../core/actor-permission.js";
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
  loadRepoConfig,
  loadRepoState,
  type ReconcileReport,
  type RepoState,
  reconcileRepo,
} from "../github/reconcile.js";
import type {
  CommandService,
  OpenPass,
  PassConfig,
  ReconcileFn,
  ReconcileInput,
  RepoPass,
} from "./pass-context.js";

/**
 * What the app keeps of a repository between passes: the config per head commit (with the
 * facts the loader keeps) and the ETags of the port's reads, so repeated list reads are free
 * 304s. No client lives here: each pass builds its port over that pass's Octokit.
 */
export interface RepoMemo {
  configCache: ConfigCache;
  etags: EtagCache;
}

/** Port calls that only read (everything else writes). */
const READS = new Set<string>([
  "readDefaultBranch",
  "getBranchSha",
  "getFileText",
  "compareFiles",
  "refState",
  "getRef",
  "getCommitMessage",
  "listTracked",
  "getIssue",
  "labelEvents",
  "listIssueComments",
  "getComment",
  "getPermission",
  "listOpenPulls",
  "getPull",
  "listPullFiles",
  "listReviews",
  "getPulls",
  "listWorkflowRuns",
  "listCheckRuns",
  "requestsSent",
]);

/**
 * The port of one pass over `port`: a person's permission is read once per pass (the label
 * checks, the commands and the scheduling check of the reconcile ask the same question), and
 * the default branch read (config and board, one GraphQL request) is answered again from
 * the pass's first read until the pass writes something.
 */
export function onePassPort(port: GitHubPort): GitHubPort {
  const permissions = new Map<string, ReturnType<GitHubPort["getPermission"]>>();
  let branch: { key: string; read: ReturnType<GitHubPort["readDefaultBranch"]> } | undefined;
  const once = <T>(cache: Map<string, Promise<T>>, key: string, read: () => Promise<T>) => {
    let p = cache.get(key);
    if (!p) {
      p = read();
      cache.set(key, p);
      // A failed read is not kept: the next asker tries again.
      p.catch(() => cache.delete(key));
    }
    return p;
  };
  return new Proxy(port, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== "function") return value;
      const method = value as (...a: unknown[]) => unknown;
      if (key === "getPermission")
        return (login: string) => once(permissions, login, () => target.getPermission(login));
      if (key === "readDefaultBranch")
        return async (...args: Parameters<GitHubPort["readDefaultBranch"]>) => {
          const k = JSON.stringify(args);
          if (branch?.key !== k) {
            const read = target.readDefaultBranch(...args);
            branch = { key: k, read };
            read.catch(() => {
              if (branch?.read === read) branch = undefined;
            });
          }
          // Each caller gets its own copy (the config loader trims what it does not need).
          return structuredClone(await branch.read);
        };
      if (typeof key === "string" && READS.has(key))
        return (...args: unknown[]) => method.apply(target, args);
      return (...args: unknown[]) => {
        // A write may change the default branch or the tracked issues: read them again.
        branch = undefined;
        return method.apply(target, args);
      };
    },
  });
}

/**
 * One pass of the GitHub backend over one repository: the pass's port (`onePassPort` over a
 * port built for this pass), the config read once, and the pass's own load of the board,
 * which its commands plan against and its reconcile then uses (no second load).
 */
export class GitHubPass implements RepoPass {
  readonly port: GitHubPort;
  #config: Promise<PassConfig> | undefined;
  #state: Promise<RepoState> | undefined;
  /** HTTP requests the port had sent when the pass opened (where the port counts them). */
  readonly #sentAtOpen: number | undefined;

  constructor(
    port: GitHubPort,
    readonly owner: string,
    readonly repo: string,
    readonly memo: RepoMemo,
    /**
     * The bot's own result comments count (the app: an agent workflow may publish with the
     * app's token). The Action's `github-actions[bot]` is anyone's workflow: not trusted.
     */
    readonly trustBot = true,
  ) {
    this.port = onePassPort(port);
    this.#sentAtOpen = port.requestsSent?.();
  }

  /** HTTP requests of the whole pass so far (steps included), where the port counts them. */
  requestsSent(): number | undefined {
    const now = this.port.requestsSent?.();
    return now === undefined || this.#sentAtOpen === undefined ? undefined : now - this.#sentAtOpen;
  }

  /** Authors trusted for agent results besides the config's. */
  resultAuthors(botLogin: string): { resultAuthors?: string[] } {
    return this.trustBot ? { resultAuthors: [botLogin] } : {};
  }

  config(): Promise<PassConfig> {
    this.#config ??= loadRepoConfig(this.port, this.memo.configCache).then((r) => ({
      config: r.config,
      errors: r.errors,
    }));
    this.#config.catch(() => {
      this.#config = undefined;
    });
    return this.#config;
  }

  configRead(): Promise<PassConfig> | undefined {
    return this.#config;
  }

  permissionOf(login: string): Promise<PermissionLevel> {
    return this.port.getPermission(login);
  }

  changed(): void {
    this.#state = undefined;
  }

  /** The pass's load of config and board, once (until `changed`). */
  state(options: { botLogin: string; now: () => Date; dryRun: boolean; log: (l: string) => void }) {
    if (!this.#state) {
      const state = loadRepoState({
        port: this.port,
        owner: this.owner,
        repo: this.repo,
        botLogin: options.botLogin,
        ...this.resultAuthors(options.botLogin),
        now: options.now,
        dryRun: options.dryRun,
        log: options.log,
        configCache: this.memo.configCache,
      });
      this.#state = state;
      state.catch(() => {
        if (this.#state === state) this.#state = undefined;
      });
    }
    return this.#state;
  }

  /** The state loaded by a step of this pass, if it is still what GitHub shows. */
  loaded(): Promise<RepoState> | undefined {
    return this.#state;
  }
}

/**
 * One reconcile over the pass: against the board its commands already loaded (and changed
 * through the executor, which keeps it up to date), or a load of its own.
 */
export async function reconcilePass(
  pass: GitHubPass,
  input: Omit<ReconcileInput, "pass" | "warn">,
): Promise<ReconcileReport> {
  const loaded = pass.loaded();
  const state = loaded ? await loaded.catch(() => undefined) : undefined;
  // The config of the pass is the reconcile's own read (the same request, answered once).
  if (!state) await pass.config();
  const report = await reconcileRepo({
    port: pass.port,
    owner: input.owner,
    repo: input.repo,
    botLogin: input.botLogin,
    ...pass.resultAuthors(input.botLogin),
    now: input.now,
    dryRun: input.dryRun,
    log: input.log,
    configCache: pass.memo.configCache,
    ...(state ? { state } : {}),
  });
  // What the pass cost, its steps and its config read included.
  return { ...report, requests: pass.requestsSent() ?? report.requests };
}

export interface GitHubRuntime {
  /** Opens the pass of a repository over the installation's Octokit of that pass. */
  open: OpenPass;
  /** A pass over a port built by the caller (the Action: one pass per workflow run). */
  over(port: GitHubPort, memo?: Partial<RepoMemo>, trustBot?: boolean): GitHubPass;
  reconcile: ReconcileFn;
  commands: CommandService<ConveyorCommand>;
}

/**
 * The real backend behind the app: `reconcileRepo` over the Octokit port, and the comment
 * commands (`parseCommand` → `planCommand` against the pass's board → the executor).
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
  const memoOf = (owner: string, repo: string): RepoMemo => {
    const key = `${owner}/${repo}`;
    let memo = memos.get(key);
    if (!memo) {
      memo = { configCache: new ConfigCache(), etags: new Map() };
      memos.set(key, memo);
    }
    return memo;
  };
  const open: OpenPass = (octokit, { owner, repo }) => {
    const memo = memoOf(owner, repo);
    return new GitHubPass(portFor(octokit, owner, repo, memo), owner, repo, memo);
  };
  const over = (port: GitHubPort, memo: Partial<RepoMemo> = {}, trustBot = true) =>
    new GitHubPass(
      port,
      port.owner,
      port.repo,
      { configCache: memo.configCache ?? new ConfigCache(), etags: memo.etags ?? new Map() },
      trustBot,
    );
  /** A pass this runtime opened, or one over the port of a pass opened elsewhere. */
  const ours = (pass: RepoPass, owner: string, repo: string): GitHubPass =>
    pass instanceof GitHubPass ? pass : new GitHubPass(pass.port, owner, repo, memoOf(owner, repo));

  const reconcile: ReconcileFn = async (input) => {
    const report = await reconcilePass(ours(input.pass, input.owner, input.repo), {
      ...input,
      // A failed effect is a warning, not news: the executor's lines say "failed: …".
      log: (line) => (line.startsWith("failed: ") ? input.warn(line) : input.log(line)),
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
      const pass = ours(ctx.pass, ctx.owner, ctx.repo);
      const now = ctx.now();
      // Planned against the pass's own load, which the reconcile after the steps uses too.
      const state = await pass.state({
        botLogin: await ctx.botLogin(),
        now: ctx.now,
        dryRun: ctx.dryRun,
        log: ctx.log,
      });
      const board = state.snapshot.board;
      // A command on the task's PR means the task.
      const taskId =
        board.tasks.find((t) => t.id === String(issue) || t.pr?.number === issue)?.id ??
        String(issue);
      const outcome = planCommand(board, taskId, command, state.config, now);
      if (!outcome.accepted) return { accepted: false, reason: outcome.reply };
      const execution = await executeEffects(pass.port, state.snapshot, outcome.effects, {
        dryRun: ctx.dryRun,
        log: ctx.log,
        config: state.config,
        now,
      });
      // The executor keeps the loaded board up to date with what it did; after a failure
      // or a commit (the default branch moved) the pass reads again instead.
      if (execution.failed || execution.commits.length > 0) pass.changed();
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

  return { open, over, reconcile, commands };
}
