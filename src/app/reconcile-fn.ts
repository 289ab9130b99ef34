import type { ProbotOctokit } from "probot";

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
