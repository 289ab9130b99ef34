/**
 * What one serialized pass over a repository works with: the repository and the installation
 * that reaches it, the reconcile it runs, and what its steps (label checks, comment commands)
 * are given.
 */
import type { ProbotOctokit } from "probot";
import type { PermissionLevel } from "../core/actor-permission.js";
import type { Config } from "../core/config.js";

/** A repository to reconcile and the installation whose token reaches it. */
export interface RepoTarget {
  owner: string;
  repo: string;
  installationId: number;
}

export const repoKey = (t: { owner: string; repo: string }): string => `${t.owner}/${t.repo}`;

/** One reconcile pass over a repository, given an installation-authenticated Octokit. */
export interface ReconcileInput {
  octokit: ProbotOctokit;
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
  octokit: { request: ProbotOctokit["request"] };
  owner: string;
  repo: string;
  /** The repository's config (defaults when missing or invalid). */
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
 * the two; the implementation plans the command against the board and executes its
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
