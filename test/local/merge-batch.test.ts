import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { branchPr, canMerge } from "../../src/local/git/branch-pr.js";
import { mergeBatch } from "../../src/local/git/merge-batch.js";
import { cleanup, GIT_ENV, gitSync, makeRepo, openRepo } from "./temp-repo.js";

let dir = "";
afterEach(() => {
  if (dir) cleanup(dir);
  dir = "";
});

/** Branch `name` from main with one commit writing `files`; returns its head. */
function branch(name: string, files: Record<string, string>): string {
  gitSync(dir, "switch", "-q", "-c", name, "main");
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  gitSync(dir, "commit", "-q", "-am", `work on ${name}`);
  const sha = gitSync(dir, "rev-parse", "HEAD");
  gitSync(dir, "switch", "-q", "main");
  return sha;
}

describe("merges into the base branch", () => {
  it("merges a batch one --no-ff merge at a time", async () => {
    dir = makeRepo({ "a.txt": "a\n", "b.txt": "b\n" });
    const a = branch("T1", { "a.txt": "A\n" });
    const b = branch("T2", { "b.txt": "B\n" });
    const out = await mergeBatch(
      dir,
      [
        { task: "T1", branch: "T1", sha: a, title: "First" },
        { task: "T2", branch: "T2", sha: b, title: "Second" },
      ],
      GIT_ENV,
    );
    expect(out).toEqual({ merged: ["T1", "T2"] });
    expect(
      gitSync(dir, "log", "--first-parent", "--format=%s %p", "main").split("\n"),
    ).toHaveLength(3);
    expect(gitSync(dir, "log", "-1", "--format=%s", "main")).toBe("Merge T2: Second");
  });

  it("a conflict aborts that merge and falls back to serial: the rest waits for the next pass", async () => {
    dir = makeRepo({ "a.txt": "one\n" });
    const fork = gitSync(dir, "rev-parse", "main");
    const a = branch("T1", { "a.txt": "from T1\n" });
    const b = branch("T2", { "a.txt": "from T2\n" });
    expect(await canMerge(dir, "main", b)).toBe(true);
    const out = await mergeBatch(
      dir,
      [
        { task: "T1", branch: "T1", sha: a, title: "First" },
        { task: "T2", branch: "T2", sha: b, title: "Second" },
      ],
      GIT_ENV,
    );
    expect(out).toEqual({
      merged: ["T1"],
      failed: { task: "T2", reason: "merge conflict in a.txt", conflict: true, files: ["a.txt"] },
    });
    expect(existsSync(join(dir, ".git", "MERGE_HEAD"))).toBe(false);
    expect(gitSync(dir, "status", "--porcelain")).toBe("");
    // The next pass observes the conflict, and the core sends T2 back to a task agent.
    const pr = await branchPr({ root: dir, base: "main", branch: "T2", shared: [] });
    expect(pr).toMatchObject({
      headSha: b,
      merged: false,
      mergeable: false,
      changedFiles: ["a.txt"],
    });
    const merged = await branchPr({
      root: dir,
      base: "main",
      branch: "T1",
      forkSha: fork,
      shared: [],
    });
    expect(merged).toMatchObject({ merged: true });
  });

  it("never lets a branch change the board: the tracking files keep the base's version", async () => {
    dir = makeRepo({ "a.txt": "a\n", "TODO.md": "# TODO\n" });
    const repo = await openRepo(dir); // its git environment carries the merge drivers
    const sha = branch("T1", {
      "a.txt": "A\n",
      "TODO.md": "# TODO\n\n- **T99** [critical] Planted by an agent\n",
    });
    writeFileSync(join(dir, "TODO.md"), "# TODO\n\n_No tasks._\n");
    gitSync(dir, "commit", "-q", "-am", "board moved on");
    expect(await canMerge(dir, "main", sha, repo.gitEnv)).toBe(true);
    const out = await mergeBatch(
      dir,
      [{ task: "T1", branch: "T1", sha, title: "x" }],
      repo.gitEnv,
      ["TODO.md", "REVIEW.md"],
    );
    expect(out).toEqual({ merged: ["T1"] });
    expect(gitSync(dir, "show", "main:TODO.md")).toBe("# TODO\n\n_No tasks._");
    expect(gitSync(dir, "show", "main:a.txt")).toBe("A");
    expect(
      gitSync(dir, "log", "-1", "--format=%s%n%p", "main").split("\n")[1]!.split(" "),
    ).toHaveLength(2);
  });

  it("leaves a tracking file the merge did not change as it is in the work tree (an edit not committed yet)", async () => {
    dir = makeRepo({ "a.txt": "a\n", "TODO.md": "# TODO\n" });
    await openRepo(dir);
    const sha = branch("T1", { "a.txt": "A\n" });
    const typed = "# TODO\n\n- Typed while the merge ran\n";
    writeFileSync(join(dir, "TODO.md"), typed);
    const out = await mergeBatch(dir, [{ task: "T1", branch: "T1", sha, title: "x" }], GIT_ENV, [
      "TODO.md",
    ]);
    expect(out).toEqual({ merged: ["T1"] });
    expect(readFileSync(join(dir, "TODO.md"), "utf8")).toBe(typed);
    expect(gitSync(dir, "show", "main:TODO.md")).toBe("# TODO");
  });

  it("refuses a branch that moved after it was tested", async () => {
    dir = makeRepo({ "a.txt": "one\n" });
    const tested = branch("T1", { "a.txt": "two\n" });
    gitSync(dir, "switch", "-q", "T1");
    writeFileSync(join(dir, "a.txt"), "three\n");
    gitSync(dir, "commit", "-q", "-am", "later");
    gitSync(dir, "switch", "-q", "main");
    const out = await mergeBatch(
      dir,
      [{ task: "T1", branch: "T1", sha: tested, title: "x" }],
      GIT_ENV,
    );
    expect(out.merged).toEqual([]);
    expect(out.failed?.reason).toMatch(/^branch T1 moved to [0-9a-f]{7} after it was tested at/);
  });
});
