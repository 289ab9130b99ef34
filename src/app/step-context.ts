import type { ProbotOctokit } from "probot";
import type { Config } from "../core/config.js";
import type { PermissionLevel } from "./actor-permission.js";

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
