/** What the Action needs from the runner's environment, read once. */
export interface GitHubContext {
  owner: string;
  repo: string;
  workspace: string;
  runId: string;
  apiUrl: string;
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
    apiUrl: env.GITHUB_API_URL ?? "https://api.github.com",
    serverUrl: env.GITHUB_SERVER_URL ?? "https://github.com",
  };
}
