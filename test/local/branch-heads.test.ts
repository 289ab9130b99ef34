import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { branchHeads, branchPr, mergeConflicts } from "../../src/local/git/branch-pr.js";
import { cleanup, gitSync, makeRepo } from "./temp-repo.js";

let dir = "";
afterEach(() => {
  if (dir) cleanup(dir);
  dir = "";
});

function commitOn(name: string, files: Record<string, string>, create = true): string {
  gitSync(dir, "switch", "-q", ...(create ? ["-c", name] : [name]));
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  gitSync(dir, "commit", "-q", "-am", `work on ${name}`);
  const sha = gitSync(dir, "rev-parse", "HEAD");
  gitSync(dir, "switch", "-q", "main");
  return sha;
}

describe("branches read for a whole board at once", () => {
  it("give the same answer as one task at a time, and a new one once the base moves", async () => {
    dir = makeRepo({ "a.txt": "one\n", "b.txt": "b\n" });
    commitOn("T1", { "a.txt": "from T1\n" });
    const input = { root: dir, base: "main", branch: "T1", shared: [] as string[] };
    const heads = await branchHeads(dir);
    expect(heads?.has("T1")).toBe(true);
    expect(heads?.has("T2")).toBe(false);
    const alone = await branchPr(input);
    expect(await branchPr({ ...input, heads: heads! })).toEqual(alone);
    expect(alone?.mergeable).toBe(true);
    // A task without a branch has no PR, with or without the heads.
    expect(await branchPr({ ...input, branch: "T2", heads: heads! })).toBeUndefined();

    // main moves and now conflicts: the remembered answer is not reused.
    commitOn("main", { "a.txt": "from main\n" }, false);
    const moved = await branchPr({ ...input, heads: (await branchHeads(dir))! });
    expect(moved?.mergeable).toBe(false);
    expect(await mergeConflicts(dir, "main", "T1")).toEqual(["a.txt"]);
  });
});
