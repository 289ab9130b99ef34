import type { PullRequest } from "../../core/board.js";
import { git, lines } from "./git.js";

/**
 * The "pull request" of a local task is its branch. It exists once the branch has commits
 * past the point it was forked from; it is merged once its head is an ancestor of the base.
 * Files that every task touches and that merge without conflict (the tracking files, and
 * CHANGELOG.md, merged with git's union driver) are left out of `changedFiles`, so they
 * never keep two tasks from merging as one batch.
 */
export interface BranchPrInput {
  root: string;
  base: string;
  branch: string;
  /** Commit the branch was created from, when known. */
  forkSha?: string;
  /** Base commit the tester merged in (for `baseDrift`). */
  testedBaseSha?: string;
  /** Paths left out of changed files and drift. */
  shared: readonly string[];
  /** Environment of Conveyor's git (carries the merge drivers of its merges). */
  env?: NodeJS.ProcessEnv;
  /**
   * Every branch head (`branchHeads`), read once for a whole board: a task without a branch
   * then costs no git call, and one with a branch is answered from the cache while neither
   * its head nor the base moved.
   */
  heads?: ReadonlyMap<string, string>;
}

/** Every local branch and its head commit, with one `git for-each-ref`. */
export async function branchHeads(
  root: string,
  env?: NodeJS.ProcessEnv,
): Promise<Map<string, string> | undefined> {
  const r = await git(
    root,
    ["for-each-ref", "--format=%(objectname) %(refname)", "refs/heads/"],
    env,
  );
  if (r.code !== 0) return undefined;
  const heads = new Map<string, string>();
  for (const line of lines(r.stdout)) {
    const at = line.indexOf(" ");
    const ref = line.slice(at + 1);
    if (ref.startsWith("refs/heads/"))
      heads.set(ref.slice("refs/heads/".length), line.slice(0, at));
  }
  return heads;
}

/**
 * What a branch is made of depends only on commits, which never change: the answer for the
 * same head, base head and inputs is kept (bounded), so an idle pass asks git nothing again.
 */
const cache = new Map<string, PullRequest | undefined>();
const CACHE_MAX = 5_000;

export async function branchPr(input: BranchPrInput): Promise<PullRequest | undefined> {
  const { heads } = input;
  if (!heads) return readBranchPr(input);
  const headSha = heads.get(input.branch);
  const baseSha = heads.get(input.base);
  if (headSha === undefined) return undefined;
  if (baseSha === undefined) return readBranchPr(input, headSha);
  const key = [
    input.root,
    input.branch,
    headSha,
    baseSha,
    input.forkSha ?? "",
    input.testedBaseSha ?? "",
    input.shared.join("\0"),
  ].join("\n");
  if (cache.has(key)) return clonePr(cache.get(key));
  const pr = await readBranchPr(input, headSha);
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(key, clonePr(pr));
  return pr;
}

const clonePr = (pr: PullRequest | undefined): PullRequest | undefined =>
  pr && {
    ...pr,
    changedFiles: [...pr.changedFiles],
    ...(pr.baseDrift ? { baseDrift: [...pr.baseDrift] } : {}),
  };

async function readBranchPr(
  input: BranchPrInput,
  knownHead?: string,
): Promise<PullRequest | undefined> {
  const { root, base, branch } = input;
  let headSha = knownHead;
  if (headSha === undefined) {
    const head = await git(root, [
      "rev-parse",
      "--verify",
      "--quiet",
      `refs/heads/${branch}^{commit}`,
    ]);
    if (head.code !== 0) return undefined;
    headSha = head.stdout.trim();
  }
  if (input.forkSha !== undefined && headSha === input.forkSha) return undefined;
  if (input.forkSha === undefined) {
    const ahead = await git(root, ["rev-list", "--count", `${base}..${headSha}`]);
    if (ahead.code !== 0 || ahead.stdout.trim() === "0") return undefined;
  }
  const keep = (files: string[]) => files.filter((f) => !input.shared.includes(f));
  const merged = (await git(root, ["merge-base", "--is-ancestor", headSha, base])).code === 0;
  // No `number`: a local branch is not a pull request (the core names it by its branch).
  const pr: PullRequest = {
    headSha,
    branch,
    changedFiles: [],
    merged,
    mergeable: true,
  };
  if (merged) return pr;
  const diff = await git(root, ["diff", "--name-only", `${base}...${headSha}`]);
  pr.changedFiles = keep(lines(diff.stdout));
  pr.mergeable = await canMerge(root, base, headSha, input.env);
  if (input.testedBaseSha) {
    const drift = await git(root, ["diff", "--name-only", input.testedBaseSha, base]);
    if (drift.code === 0) pr.baseDrift = keep(lines(drift.stdout));
  }
  return pr;
}

/** True when `head` merges into `base` without conflicts (`git merge-tree --write-tree`). */
export async function canMerge(
  root: string,
  base: string,
  head: string,
  env?: NodeJS.ProcessEnv,
): Promise<boolean> {
  return (await mergeConflicts(root, base, head, env)).length === 0;
}

/**
 * The files in conflict when `head` is merged into `base` (`git merge-tree --write-tree
 * --name-only`), [] when it merges cleanly. A merge-tree that fails for another reason (a
 * commit that is not there) is a conflict of unknown files: ["(unknown files)"].
 */
export async function mergeConflicts(
  root: string,
  base: string,
  head: string,
  env?: NodeJS.ProcessEnv,
): Promise<string[]> {
  const r = await git(
    root,
    ["merge-tree", "--write-tree", "--name-only", "--no-messages", base, head],
    env,
  );
  if (r.code === 0) return [];
  if (r.code !== 1) return [UNKNOWN_FILES];
  const files = [...new Set(lines(r.stdout).slice(1))];
  return files.length > 0 ? files : [UNKNOWN_FILES];
}

const UNKNOWN_FILES = "(unknown files)";
