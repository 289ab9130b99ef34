import { existsSync, mkdirSync } from "node:fs";
import { type RepoLayout, worktreePath } from "../repo/repo-layout.js";
import { git, gitOk } from "./git.js";

export interface Worktree {
  path: string;
  branch: string;
  /** Commit the branch was created from (set only when this call created the branch). */
  forkSha?: string;
}

/**
 * The worktree `.worktrees/<task>` on branch `<task>`: reused when it is already there on
 * that branch, created (with the branch, from the base) otherwise. A worktree at that path
 * on another branch is an error that says how to fix it.
 */
export async function ensureWorktree(
  layout: RepoLayout,
  task: string,
  base: string,
): Promise<Worktree | Error> {
  const path = worktreePath(layout, task);
  const branch = task;
  const listed = await listWorktrees(layout.root);
  const here = listed.find((w) => w.path === path);
  if (here) {
    if (here.branch === branch) return { path, branch };
    return new Error(
      `${path} is a worktree of branch '${here.branch ?? "(detached)"}', not '${branch}'. Fix: git worktree remove --force ${path}`,
    );
  }
  if (existsSync(path))
    return new Error(
      `${path} exists but is not a git worktree. Fix: move it away, or rm -r ${path}`,
    );
  const elsewhere = listed.find((w) => w.branch === branch);
  if (elsewhere)
    return new Error(
      `branch '${branch}' is checked out in ${elsewhere.path}. Fix: git worktree remove ${elsewhere.path}`,
    );
  mkdirSync(layout.worktreesDir, { recursive: true });
  await git(layout.root, ["worktree", "prune"]);
  const exists =
    (await git(layout.root, ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`])).code ===
    0;
  if (exists) {
    await gitOk(layout.root, ["worktree", "add", path, branch]);
    return { path, branch };
  }
  const forkSha = await gitOk(layout.root, ["rev-parse", `${base}^{commit}`]);
  await gitOk(layout.root, ["worktree", "add", "-b", branch, path, forkSha]);
  return { path, branch, forkSha };
}

/**
 * Removes the task's worktree and its branch (after the merge). An abandoned task keeps its
 * branch, so the work is still there if someone wants it.
 */
export async function removeWorktree(
  layout: RepoLayout,
  task: string,
  options: { keepBranch?: boolean } = {},
): Promise<void> {
  const path = worktreePath(layout, task);
  await git(layout.root, ["worktree", "remove", "--force", path]);
  await git(layout.root, ["worktree", "prune"]);
  if (!options.keepBranch) await git(layout.root, ["branch", "-D", task]);
}

interface ListedWorktree {
  path: string;
  branch?: string;
}

async function listWorktrees(root: string): Promise<ListedWorktree[]> {
  const out = await git(root, ["worktree", "list", "--porcelain"]);
  const list: ListedWorktree[] = [];
  let current: ListedWorktree | undefined;
  for (const line of out.stdout.split("\n")) {
    if (line.startsWith("worktree ")) {
      current = { path: line.slice("worktree ".length) };
      list.push(current);
    } else if (line.startsWith("branch refs/heads/") && current) {
      current.branch = line.slice("branch refs/heads/".length);
    }
  }
  return list;
}
