import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mergeUnreleased } from "../core/markdown/changelog.js";
import { git } from "./git.js";

export interface MergeItem {
  task: string;
  branch: string;
  /** The head that was tested: the merge is pinned to it. */
  sha: string;
  title: string;
}

export interface MergeOutcome {
  merged: string[];
  /** The first item that did not merge (the rest of the batch was not tried). */
  failed?: { task: string; reason: string };
}

/**
 * The board is Conveyor's to write: whatever a branch did to the tracking files, the merge
 * keeps the base's version (a file the base does not have is dropped). A file the merge left
 * as it was is not touched at all: its copy in the work tree may hold what is not committed
 * yet (a task typed in by hand, the board of a run killed before its commit).
 */
async function keepBaseVersions(root: string, paths: readonly string[], env: NodeJS.ProcessEnv) {
  for (const path of paths) {
    const changed = await git(root, ["diff", "--cached", "--quiet", "HEAD", "--", path]);
    if (changed.code === 0) continue;
    const onBase = await git(root, ["cat-file", "-e", `HEAD:${path}`]);
    if (onBase.code === 0) await git(root, ["checkout", "HEAD", "--", path], env);
    else await git(root, ["rm", "-q", "-f", "--ignore-unmatch", "--", path], env);
  }
}

/**
 * Every task adds its own Unreleased entry; git's union driver keeps every line but may
 * file an entry under another branch's heading. The merge commit carries the section
 * rebuilt from both sides (the core's `mergeUnreleased`).
 */
async function mergeChangelog(root: string, path: string, theirs: string, env: NodeJS.ProcessEnv) {
  const changed = await git(root, ["diff", "--cached", "--quiet", "HEAD", "--", path]);
  if (changed.code === 0) return;
  let merged: string;
  try {
    merged = readFileSync(join(root, path), "utf8");
  } catch {
    return;
  }
  const show = async (rev: string) => (await git(root, ["show", `${rev}:${path}`])).stdout;
  const base = (await git(root, ["merge-base", "HEAD", theirs])).stdout.trim();
  const text = mergeUnreleased(
    merged,
    base ? await show(base) : "",
    await show("HEAD"),
    await show(theirs),
  );
  if (text === merged) return;
  writeFileSync(join(root, path), text);
  await git(root, ["add", "--", path], env);
}

/**
 * Merges a batch into the base branch checked out at `root`, one `git merge --no-ff` at a
 * time, each pinned to its tested SHA. A conflict aborts that merge and stops the batch:
 * what merged stays merged, the rest goes on serially in later passes.
 */
export async function mergeBatch(
  root: string,
  items: readonly MergeItem[],
  env: NodeJS.ProcessEnv,
  /** Files a branch may never change on the base (the tracking files: the board). */
  protectedPaths: readonly string[] = [],
  /** CHANGELOG.md: its Unreleased section is rebuilt from both sides after each merge. */
  changelogPath?: string,
): Promise<MergeOutcome> {
  const merged: string[] = [];
  for (const item of items) {
    const head = await git(root, ["rev-parse", "--verify", "--quiet", `refs/heads/${item.branch}`]);
    if (head.code !== 0)
      return { merged, failed: { task: item.task, reason: `branch ${item.branch} is gone` } };
    if (head.stdout.trim() !== item.sha)
      return {
        merged,
        failed: {
          task: item.task,
          reason: `branch ${item.branch} moved to ${head.stdout.trim().slice(0, 7)} after it was tested at ${item.sha.slice(0, 7)}`,
        },
      };
    const message = `Merge ${item.task}: ${item.title.replace(/\s+/g, " ").trim()}`;
    const r = await git(root, ["merge", "--no-ff", "--no-commit", item.sha], env);
    if (r.code === 0) {
      await keepBaseVersions(root, protectedPaths, env);
      if (changelogPath) await mergeChangelog(root, changelogPath, item.sha, env);
      const c = await git(root, ["commit", "-q", "--no-verify", "-m", message], env);
      if (c.code !== 0) {
        await git(root, ["merge", "--abort"], env);
        return {
          merged,
          failed: { task: item.task, reason: c.stderr.trim().split("\n")[0] ?? "commit failed" },
        };
      }
    } else {
      await git(root, ["merge", "--abort"], env);
      const conflicts = await git(root, ["diff", "--name-only", "--diff-filter=U"]);
      const why = `${r.stdout}\n${r.stderr}`.includes("CONFLICT")
        ? `merge conflict${conflicts.stdout.trim() ? ` in ${conflicts.stdout.trim()}` : ""}`
        : (r.stderr.trim().split("\n")[0] ?? `git merge exited ${r.code}`);
      return { merged, failed: { task: item.task, reason: why } };
    }
    merged.push(item.task);
  }
  return { merged };
}
