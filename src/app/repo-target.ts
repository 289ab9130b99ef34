/** A repository to reconcile and the installation whose token reaches it. */
export interface RepoTarget {
  owner: string;
  repo: string;
  installationId: number;
}

export const repoKey = (t: { owner: string; repo: string }): string => `${t.owner}/${t.repo}`;
