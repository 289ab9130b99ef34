import { type BranchHead, type GitHubPort, isGitHubError } from "./port.js";

export interface CommitFilesInput {
  branch: string;
  message: string;
  /** Paths whose current text `compute` needs (read at the branch head before each try). */
  read: string[];
  /** New text per path from the current one (`undefined`: the file does not exist). */
  compute: (current: Record<string, string | undefined>) => Record<string, string>;
  /** Tries when the branch moved under us (the ref update answered 422/409). */
  attempts?: number;
  /** The head as read earlier in the pass: the first try builds on it without a read. */
  knownHead?: BranchHead;
}

export type CommitFilesOutcome =
  | { committed: string; parent: string; tree: string; files: string[] }
  | { unchanged: true };

/**
 * Writes files to a branch as ONE commit through the git data API (tree, commit, ref
 * update without force). A ref update that loses a race is retried after a fresh read; a
 * result identical to the head's tree writes nothing.
 */
export async function commitFiles(
  port: GitHubPort,
  input: CommitFilesInput,
): Promise<CommitFilesOutcome> {
  const attempts = input.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    const known = attempt === 1 ? input.knownHead : undefined;
    const branchHead = known ?? (await port.getBranchHead(input.branch));
    if (!branchHead) throw new Error(`branch ${input.branch} does not exist`);
    const head = branchHead.sha;
    const current: Record<string, string | undefined> = {};
    for (const path of input.read) current[path] = await port.getFileText(path, head);
    const next = input.compute(current);
    const changed = Object.entries(next).filter(([path, text]) =>
      input.read.includes(path) ? current[path] !== text : true,
    );
    if (changed.length === 0) return { unchanged: true };
    const baseTree = branchHead.tree;
    const tree = await port.createTree(
      baseTree,
      changed.map(([path, content]) => ({ path, content })),
    );
    if (tree === baseTree) return { unchanged: true };
    const commit = await port.createCommit(input.message, tree, [head]);
    try {
      await port.updateRef(`heads/${input.branch}`, commit, false);
      return { committed: commit, parent: head, tree, files: changed.map(([path]) => path) };
    } catch (e: unknown) {
      const raced = isGitHubError(e, 422) || isGitHubError(e, 409);
      if (!raced || attempt >= attempts) throw e;
    }
  }
}
