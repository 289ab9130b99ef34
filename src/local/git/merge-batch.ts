import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mergeUnreleased } from "../../core/markdown/changelog.js";
import { readJson, writeJsonAtomic } from "../repo/json-file.js";
import { clearStaleIndexLock, git, gitPath, lines } from "./git.js";

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
  failed?: {
    task: string;
    reason: string;
    /** True for a merge conflict; false for anything else (a dirty tree, a lock, a hook). */
    conflict?: boolean;
    /** Files git named (the ones in the way, or in conflict). */
    files?: string[];
  };
}

/**
 * The write-ahead record of the merge under way (`.conveyor/merging.json`), written before
 * `git merge` starts and removed after its commit. A `conveyor run` killed in between finds
 * it at its next start and puts main back where it was before that merge (`recoverMerge`).
 */
export interface MergeJournal {
  task: string;
  sha: string;
  /** HEAD before the merge: what main is put back to when the merge did not commit. */
  preHead: string;
  /** The CHANGELOG.md text the merge was about to write (so an undo knows it as its own). */
  changelog?: { path: string; text: string };
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
async function mergeChangelog(
  root: string,
  path: string,
  theirs: string,
  env: NodeJS.ProcessEnv,
  announce: (text: string) => void,
) {
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
  announce(text);
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
  /** Where the write-ahead record of each merge goes (see `MergeJournal`). */
  journalPath?: string,
): Promise<MergeOutcome> {
  const merged: string[] = [];
  const journal = (j: MergeJournal) => {
    if (journalPath) writeJsonAtomic(journalPath, j);
  };
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
    const preHead = (await git(root, ["rev-parse", "--verify", "HEAD"])).stdout.trim();
    const entry: MergeJournal = { task: item.task, sha: item.sha, preHead };
    journal(entry);
    const r = await git(root, ["merge", "--no-ff", "--no-commit", item.sha], env);
    if (r.code === 0) {
      await keepBaseVersions(root, protectedPaths, env);
      if (changelogPath)
        await mergeChangelog(root, changelogPath, item.sha, env, (text) =>
          journal({ ...entry, changelog: { path: changelogPath, text } }),
        );
      const c = await git(root, ["commit", "-q", "--no-verify", "-m", message], env);
      if (c.code !== 0) {
        await undoMerge(root, entry, env);
        clearJournal(journalPath);
        return { merged, failed: { task: item.task, ...gitFailure(c, "git commit") } };
      }
    } else {
      const conflict = `${r.stdout}\n${r.stderr}`.includes("CONFLICT");
      const conflicts = conflict
        ? lines((await git(root, ["diff", "--name-only", "--diff-filter=U"])).stdout)
        : [];
      await undoMerge(root, entry, env);
      clearJournal(journalPath);
      if (conflict)
        return {
          merged,
          failed: {
            task: item.task,
            reason: `merge conflict${conflicts.length > 0 ? ` in ${conflicts.join(", ")}` : ""}`,
            conflict: true,
            files: conflicts,
          },
        };
      return { merged, failed: { task: item.task, ...gitFailure(r, "git merge") } };
    }
    clearJournal(journalPath);
    merged.push(item.task);
  }
  return { merged };
}

function clearJournal(path: string | undefined): void {
  if (path) rmSync(path, { force: true });
}

/**
 * Why git refused, in one line with the files it named: "Your local changes to the
 * following files would be overwritten by merge: a.txt, b.txt", "Unable to create
 * '…/index.lock': File exists".
 */
export function gitFailure(
  r: { code: number; stdout: string; stderr: string },
  what: string,
): { reason: string; files: string[] } {
  const text = `${r.stderr}\n${r.stdout}`;
  const all = text.split("\n");
  const files = all
    .filter((l) => /^\t\S/.test(l) || /^ {4}\S/.test(l))
    .map((l) => l.trim())
    .filter((l, i, a) => a.indexOf(l) === i);
  const first =
    all
      .map((l) => l.trim())
      .find((l) => l !== "" && !files.includes(l))
      ?.replace(/^(error|fatal): /, "")
      .replace(/:$/, "") ?? `${what} exited ${r.code}`;
  return { reason: files.length > 0 ? `${first}: ${files.join(", ")}` : first, files };
}

export type MergeRecovery =
  | { action: "none" }
  | { action: "finished"; task: string }
  | { action: "undone"; task: string; kept: string[] }
  | { action: "failed"; task: string; reason: string };

/**
 * Puts main back into a whole state after a `conveyor run` was killed inside a merge: when
 * the merge commit was made, the leftovers of the merge (MERGE_HEAD) go and it stands; when
 * it was not, the index and every file the merge wrote go back to the pre-merge head, and
 * files the branch added are removed. A file whose content is neither the pre-merge one nor
 * one the merge could have written is someone's edit: it stays, and is named.
 */
export async function recoverMerge(
  root: string,
  journalPath: string,
  env: NodeJS.ProcessEnv,
  /** Folders whose git processes never hold main's index (the agents' worktrees). */
  ignoreBelow: readonly string[] = [],
): Promise<MergeRecovery> {
  const raw = readJson(journalPath);
  if (raw === undefined) return { action: "none" };
  if (raw instanceof Error || typeof (raw as MergeJournal).preHead !== "string") {
    rmSync(journalPath, { force: true });
    return { action: "none" };
  }
  const entry = raw as MergeJournal;
  if ((await clearStaleIndexLock(root, ignoreBelow)) === "held")
    return {
      action: "failed",
      task: entry.task,
      reason: "a git process holds .git/index.lock; trying again on the next pass",
    };
  const head = (await git(root, ["rev-parse", "--verify", "HEAD"])).stdout.trim();
  if (head !== entry.preHead) {
    await forgetMergeState(root);
    rmSync(journalPath, { force: true });
    return { action: "finished", task: entry.task };
  }
  const kept = await undoMerge(root, entry, env);
  if (kept instanceof Error) return { action: "failed", task: entry.task, reason: kept.message };
  rmSync(journalPath, { force: true });
  return { action: "undone", task: entry.task, kept };
}

/** Removes MERGE_HEAD and its companions: the merge is over (committed, or undone). */
async function forgetMergeState(root: string): Promise<void> {
  for (const name of ["MERGE_HEAD", "MERGE_MSG", "MERGE_MODE", "AUTO_MERGE"])
    rmSync(await gitPath(root, name), { force: true });
}

/**
 * Puts the index and the files the merge of `entry` may have written back to `preHead`.
 * Before `git merge` starts, git refuses when any of those files has local changes, so each
 * such file held the pre-merge content; what it holds now is the merge's unless it is none
 * of the merge's versions (the branch's, the merged result's, the staged one's).
 */
async function undoMerge(
  root: string,
  entry: MergeJournal,
  env: NodeJS.ProcessEnv,
): Promise<string[] | Error> {
  const { preHead, sha } = entry;
  // A merge git knows it is in (MERGE_HEAD written, conflicts staged): git undoes its own.
  if (existsSync(await gitPath(root, "MERGE_HEAD"))) await git(root, ["merge", "--abort"], env);
  const changed = lines(
    (await git(root, ["diff", "--name-only", "--no-renames", preHead, sha])).stdout,
  );
  const paths = [...new Set([...changed, ...(entry.changelog ? [entry.changelog.path] : [])])];
  const tree = (
    await git(root, ["merge-tree", "--write-tree", "--no-messages", preHead, sha], env)
  ).stdout
    .split("\n")[0]
    ?.trim();
  const blob = async (rev: string | undefined, path: string) => {
    if (!rev) return undefined;
    const r = await git(root, ["rev-parse", "--verify", "--quiet", `${rev}:${path}`]);
    return r.code === 0 ? r.stdout.trim() : undefined;
  };
  const kept: string[] = [];
  const restore: string[] = [];
  const remove: string[] = [];
  for (const path of paths) {
    const before = await blob(preHead, path);
    const file = join(root, path);
    if (!existsSync(file)) {
      if (before !== undefined) restore.push(path);
      continue;
    }
    const now = (await git(root, ["hash-object", "--", path])).stdout.trim();
    if (now === before) continue;
    const staged = lines((await git(root, ["ls-files", "-s", "--", path])).stdout).map(
      (l) => l.split(/\s+/)[1],
    );
    const theirs = new Set([await blob(sha, path), await blob(tree, path), ...staged]);
    const ownChangelog =
      entry.changelog?.path === path && readFileSync(file, "utf8") === entry.changelog.text;
    if (theirs.has(now) || ownChangelog) (before === undefined ? remove : restore).push(path);
    else kept.push(path);
  }
  const mine = [...restore, ...remove];
  if (mine.length > 0) {
    const reset = await git(root, ["reset", "-q", preHead, "--", ...mine], env);
    if (reset.code !== 0 && reset.code !== 1)
      return new Error(
        `could not undo the merge of ${entry.task}: ${gitFailure(reset, "git reset").reason}`,
      );
  }
  if (restore.length > 0) {
    const r = await git(root, ["checkout", preHead, "--", ...restore], env);
    if (r.code !== 0)
      return new Error(
        `could not undo the merge of ${entry.task}: ${gitFailure(r, "git checkout").reason}`,
      );
  }
  for (const path of remove) rmSync(join(root, path), { force: true });
  await forgetMergeState(root);
  return kept;
}
