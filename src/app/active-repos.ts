import type { ProbotOctokit } from "probot";
import { defaultConfig } from "../core/config.js";

/** Labels that mean "work in flight" (the defaults; repositories that rename them are found by their events). */
export function inFlightLabels(): string[] {
  const l = defaultConfig().labels;
  return [l.todo, l.inProgress, l.review, l.testing, l.mergeQueue, l.escalated];
}

/** The issue search query of one account's open issues and PRs carrying a Conveyor label. */
export function activeReposQuery(
  account: string,
  labels: readonly string[],
  organization = false,
): string {
  const owner = organization ? `org:${account}` : `user:${account}`;
  return `is:open ${owner} label:${labels.map((l) => JSON.stringify(l)).join(",")}`;
}

const MAX_SEARCH_PAGES = 3;

/**
 * Names of the installation's repositories with work in flight, in two small reads: the
 * installation's repositories (paginated) and one issue search over the account (labels
 * OR-ed, at most three pages). Only repositories of the installation are returned.
 */
export async function findActiveRepos(
  octokit: ProbotOctokit,
  account: { login: string; type?: string },
  labels: readonly string[] = inFlightLabels(),
): Promise<string[]> {
  const installed = new Set(
    (await octokit.paginate("GET /installation/repositories", { per_page: 100 })).map(
      (r) => r.name,
    ),
  );
  if (installed.size === 0) return [];
  let pages = 0;
  const items = await octokit.paginate(
    "GET /search/issues",
    { q: activeReposQuery(account.login, labels, account.type === "Organization"), per_page: 100 },
    (response, done) => {
      pages++;
      if (pages >= MAX_SEARCH_PAGES) done();
      return response.data;
    },
  );
  const found = new Set<string>();
  for (const item of items) {
    const name = item.repository_url.split("/").pop();
    if (name !== undefined && installed.has(name)) found.add(name);
  }
  return [...found].sort();
}
