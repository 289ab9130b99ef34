import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ensureWorktree, removeWorktree } from "../../src/local/git/worktrees.js";
import { repoLayout } from "../../src/local/repo/repo-layout.js";
import { cleanup, gitSync, makeRepo } from "./temp-repo.js";

let dir = "";
afterEach(() => {
  if (dir) cleanup(dir);
  dir = "";
});

describe("worktrees at .worktrees/<task-id>", () => {
  it("creates the worktree and its branch, reuses it, and removes both", async () => {
    dir = makeRepo({ "a.txt": "a\n" });
    const layout = repoLayout(dir);
    const first = await ensureWorktree(layout, "T1", "main");
    if (first instanceof Error) throw first;
    expect(first).toEqual({
      path: join(dir, ".worktrees", "T1"),
      branch: "T1",
      forkSha: gitSync(dir, "rev-parse", "main"),
    });
    expect(gitSync(first.path, "branch", "--show-current")).toBe("T1");
    const again = await ensureWorktree(layout, "T1", "main");
    expect(again).toEqual({ path: first.path, branch: "T1" });
    await removeWorktree(layout, "T1");
    expect(existsSync(first.path)).toBe(false);
    expect(gitSync(dir, "branch", "--list", "T1")).toBe("");
  });

  it("a worktree there for another branch is an error that prints the fix", async () => {
    dir = makeRepo({ "a.txt": "a\n" });
    gitSync(dir, "worktree", "add", "-q", "-b", "other", join(dir, ".worktrees", "T2"));
    const out = await ensureWorktree(repoLayout(dir), "T2", "main");
    expect(out).toBeInstanceOf(Error);
    expect((out as Error).message).toBe(
      `${join(dir, ".worktrees", "T2")} is a worktree of branch 'other', not 'T2'. Fix: git worktree remove --force ${join(dir, ".worktrees", "T2")}`,
    );
  });
});
