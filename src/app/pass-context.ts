/**
 * What one serialized pass over a repository works with: the repository and the installation
 * that reaches it, the pass the backend opens for it (its port, its config, its permission
 * reads), the reconcile it runs, and what its steps (label checks, comment commands) are given.
 */
import type { PermissionLevel } from "../core/actor-permission.js";
import type { Config } from "../core/config.js";
import type { OctokitLike } from "../github/octokit-transport.js";
import type { GitHubPort } from "../github/port.js";

/** A repository to reconcile and the installation whose token reaches it. */
export interface RepoTarget {
  owner: string;
  repo: string;
  installationId: number;
}

export const repoKey = (t: { owner: string; repo: string }): string => `${t.owner}/${t.repo}`;

/** The repository's config as a pass read it: defaults when missing or invalid. */
export interface PassConfig {
  config: Config;
  /** One line per bad key when `.github/conveyor.yml` is invalid. */
  errors: string[];
}

/**
 * One pass over one repository, opened by the backend for that pass. Its port is the only
 * way to GitHub (the lease included) and is built for this pass over the pass's Octokit:
 * what outlives the pass (the ETag cache, the parsed config) lives in the repository's memo.
 */
export interface RepoPass {
  readonly port: GitHubPort;
  /** The config, read once per pass (the same read the reconcile then uses). */
  config(): Promise<PassConfig>;
  /** The config if this pass read it already (nothing is read). */
  configRead(): Promise<PassConfig> | undefined;
  /** A user's permission on the repository, read once per person per pass. */
  permissionOf(login: string): Promise<PermissionLevel>;
  /**
   * A step changed the repository besides a command's effects (a label removed): what the
   * pass loaded is read again before it is used.
   */
  changed(): void;
}

/** Opens the pass of `target` over the installation's Octokit of that pass. */
export type OpenPass = (octokit: OctokitLike, target: RepoTarget) => RepoPass;

/** One reconcile pass over a repository, through the pass's port. */
export interface ReconcileInput {
  pass: RepoPass;
  owner: string;
  repo: string;
  botLogin: string;
  now: () => Date;
  dryRun: boolean;
  log: (line: string) => void;
  /** For what went wrong (a failed effect): logged at warn level. */
  warn: (line: string) => void;
}

export type ReconcileFn = (input: ReconcileInput) => Promise<unknown>;

/** What a step of a pass (label check, comment command) may use. */
export interface StepContext {
  /** The pass the step runs in; its port is the step's only way to GitHub. */
  pass: RepoPass;
  owner: string;
  repo: string;
  /** The repository's config (defaults when missing or invalid), read once per pass. */
  config: () => Promise<Config>;
  /** A user's permission on the repository, looked up once per pass. */
  permissionOf: (login: string) => Promise<PermissionLevel>;
  log: (line: string) => void;
  /** Log the writes instead of sending them. */
  dryRun: boolean;
  /** The app's bot login (whose markers count). */
  botLogin: () => Promise<string>;
  now: () => Date;
}

/** A comment parsed as a `/conveyor` command, or the reason it is not a valid one. */
export type CommandParse<C> = { ok: true; command: C; text: string } | { ok: false; error: string };

/** What applying an accepted command gives: a reply (e.g. `/conveyor status`), or a refusal. */
export type CommandApplied =
  | { accepted: true; reply?: string }
  | { accepted: false; reason: string };

/**
 * Parses and applies comment commands. The app checks the author's permission between
 * the two; the implementation plans the command against the pass's board and executes its
 * effects (`src/core/commands.ts` + the GitHub executor).
 */
export interface CommandService<C = unknown> {
  /** Undefined when the comment holds no `/conveyor` command at all. */
  parse(body: string): CommandParse<C> | undefined;
  apply(
    ctx: StepContext,
    input: { issue: number; command: C; actor: string },
  ): Promise<CommandApplied>;
}

/** The step context of a pass: the pass's config and permission reads, its port. */
export function stepContext(
  pass: RepoPass,
  target: { owner: string; repo: string },
  options: {
    dryRun: boolean;
    botLogin: () => Promise<string>;
    now: () => Date;
    log: (line: string) => void;
    warn: (line: string) => void;
  },
): StepContext {
  let warned = false;
  return {
    pass,
    owner: target.owner,
    repo: target.repo,
    dryRun: options.dryRun,
    botLogin: options.botLogin,
    now: options.now,
    log: options.log,
    config: async () => {
      const read = await pass.config();
      // An invalid config keeps the safe defaults for permissions (write, no bots).
      if (read.errors.length > 0 && !warned) {
        warned = true;
        options.warn(`${repoKey(target)}: invalid config; permission checks use the defaults`);
      }
      return read.config;
    },
    permissionOf: (login) => pass.permissionOf(login),
  };
}
