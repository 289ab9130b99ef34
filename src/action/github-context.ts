/** What the Action needs from the runner's environment, read once. */
export interface GitHubContext {
  owner: string;
  repo: string;
  workspace: string;
  runId: string;
  apiUrl: string;
  /** GITHUB_GRAPHQL_URL, when the runner sets it (else derived from the API URL). */
  graphqlUrl?: string;
  serverUrl: string;
}

export function readGitHubContext(
  env: Record<string, string | undefined>,
  cwd: string,
): GitHubContext | Error {
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? "").split("/");
  if (!owner || !repo)
    return new Error("GITHUB_REPOSITORY is not set (owner/repo): not running in GitHub Actions?");
  return {
    owner,
    repo,
    workspace: env.GITHUB_WORKSPACE || cwd,
    runId: env.GITHUB_RUN_ID ?? "local",
    apiUrl: env.GITHUB_API_URL || "https://api.github.com",
    ...(env.GITHUB_GRAPHQL_URL ? { graphqlUrl: env.GITHUB_GRAPHQL_URL } : {}),
    serverUrl: env.GITHUB_SERVER_URL || serverOf(env.GITHUB_API_URL),
  };
}

/** The web address that goes with an API URL (GHE: `https://host/api/v3` → `https://host`). */
function serverOf(apiUrl: string | undefined): string {
  const ghe = /^(.*)\/api\/v3\/?$/.exec(apiUrl ?? "");
  return ghe ? ghe[1]! : "https://github.com";
}
