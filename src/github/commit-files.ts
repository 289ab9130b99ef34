import { type GitHubPort, isGitHubError } from "./port.js";

export interface CommitFilesInput {
  branch: string;
  message: string;
  /** Paths whose current text `compute` needs (read at the branch head before each try). */
  read: string[];
  /** New text per path from the current one (`undefined`: the file does not exist). */
  compute: (current: Record<string, string | undefined>) => Record<string, string>;
  /** Tries when the branch moved under us (the commit answered 409). */
  attempts?: number;
  /**
   * The branch's head as known earlier in the pass (read, or the commit a merge or an
   * earlier write of this pass made): the first try builds on it without a read.
   */
  knownHead?: string;
}

export type CommitFilesOutcome =
  | { committed: string; parent: string; files: string[] }
  | { unchanged: true };

/**
 * Writes files to a branch as ONE commit in one request (`commitOnBranch`, pinned to the
 * head it read). A commit that loses a race (the branch moved: 409) is retried after a
 * fresh read of the branch and of the files; files identical to what was read write
 * nothing (the first try reads only `read`: the mirror knows from its digest whether its
 * files changed).
 */
export async function commitFiles(
  port: GitHubPort,
  input: CommitFilesInput,
): Promise<CommitFilesOutcome> {
  const attempts = input.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    const known = attempt === 1 ? input.knownHead : undefined;
    const head = known ?? (await port.getBranchSha(input.branch));
    if (!head) throw new Error(`branch ${input.branch} does not exist`);
    const current: Record<string, string | undefined> = {};
    for (const path of input.read) current[path] = await port.getFileText(path, head);
    const next = input.compute(current);
    // After a lost race, what is there now is read too: the winner may have written the same.
    if (attempt > 1)
      for (const path of Object.keys(next))
        if (!(path in current)) current[path] = await port.getFileText(path, head);
    const changed = Object.entries(next).filter(([path, text]) =>
      path in current ? current[path] !== text : true,
    );
    if (changed.length === 0) return { unchanged: true };
    try {
      const commit = await port.commitOnBranch(
        input.branch,
        head,
        input.message,
        changed.map(([path, content]) => ({ path, content })),
      );
      return { committed: commit, parent: head, files: changed.map(([path]) => path) };
    } catch (e: unknown) {
      if (!isGitHubError(e, 409) || attempt >= attempts) throw e;
    }
  }
}
