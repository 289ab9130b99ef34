/**
 * `mode: orchestrate` of the Action: one reconcile pass per workflow event.
 * Placeholder until the GitHub runtime lands (issue 5); the Action entry already routes here.
 */
export interface OrchestrateOptions {
  /** Authenticated Octokit (from @octokit/rest) for the repository. */
  octokit: unknown;
  owner: string;
  repo: string;
  configPath: string;
  dryRun: boolean;
  log: (line: string) => void;
}

export async function runOrchestrate(_options: OrchestrateOptions): Promise<{ summary: string }> {
  throw new Error("mode: orchestrate is not available yet");
}
