import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/run-cli.js";
import { mergeBatch } from "../../src/local/git/merge-batch.js";
import { cleanup, GIT_ENV, gitSync, makeRepo, openRepo } from "./temp-repo.js";

let dir = "";
afterEach(() => {
  if (dir) cleanup(dir);
  dir = "";
});

async function cli(args: string[], cwd: string) {
  const out = new PassThrough();
  const err = new PassThrough();
  out.resume();
  err.resume();
  return runCli(args, { stdout: out, stderr: err, cwd, env: GIT_ENV });
}

const TODO = [
  "# TODO",
  "",
  "- **T1** [high] First",
  "- **T2** [medium] Second",
  "- **T3** [medium] Third",
  "- **T4** [low] Fourth",
  "- **T5** [low] Fifth",
  "",
].join("\n");

/** A teammate's branch adds a task at the end of TODO.md while main edits its top. */
function divergedTodo(d: string): void {
  gitSync(d, "switch", "-q", "-c", "teammate");
  writeFileSync(join(d, "TODO.md"), `${TODO}- **T6** [low] Added by a teammate\n`);
  gitSync(d, "commit", "-q", "-am", "teammate adds T6");
  gitSync(d, "switch", "-q", "main");
  writeFileSync(join(d, "TODO.md"), TODO.replace("First", "First, reworded"));
  gitSync(d, "commit", "-q", "-am", "main rewords T1");
}

describe("Conveyor and the user's own git", () => {
  it.each([["status"], ["run", "--until-idle"]])(
    "after `conveyor %s`, the user's own git merge of a branch that adds a TODO item keeps it",
    async (...args) => {
      dir = makeRepo({ "TODO.md": TODO, "CHANGELOG.md": "# Changelog\n" });
      divergedTodo(dir);
      await cli(args, dir);
      gitSync(dir, "merge", "-q", "--no-edit", "teammate");
      const merged = readFileSync(join(dir, "TODO.md"), "utf8");
      expect(merged).toContain("- **T6** [low] Added by a teammate");
      expect(merged).toContain("- **T1** [high] First, reworded");
      expect(gitSync(dir, "check-attr", "merge", "--", "TODO.md", "CHANGELOG.md")).toBe(
        "TODO.md: merge: unspecified\nCHANGELOG.md: merge: unspecified",
      );
    },
    60_000,
  );

  it("removes the merge settings older versions wrote, and nothing else", async () => {
    dir = makeRepo({ "TODO.md": TODO });
    const info = join(dir, ".git", "info");
    mkdirSync(info, { recursive: true });
    writeFileSync(
      join(info, "attributes"),
      "*.png binary\n/CHANGELOG.md merge=union\n/TODO.md merge=conveyor-keep\n/docs/REVIEW.md merge=conveyor-keep\n",
    );
    gitSync(dir, "config", "merge.conveyor-keep.driver", "true");
    gitSync(dir, "config", "user.signingkey", "kept");
    await openRepo(dir);
    expect(readFileSync(join(info, "attributes"), "utf8")).toBe("*.png binary\n");
    expect(() => gitSync(dir, "config", "--get", "merge.conveyor-keep.driver")).toThrow();
    expect(gitSync(dir, "config", "--get", "user.signingkey")).toBe("kept");
  });

  it("writes no attributes file where there was none", async () => {
    dir = makeRepo({ "TODO.md": TODO });
    await openRepo(dir);
    const file = join(dir, ".git", "info", "attributes");
    expect(existsSync(file) ? readFileSync(file, "utf8") : "").toBe("");
  });

  it("still keeps the base's board in its own merges (the drivers are set for its git only)", async () => {
    dir = makeRepo({ "a.txt": "a\n", "TODO.md": "# TODO\n", "CHANGELOG.md": "# Changelog\n" });
    const repo = await openRepo(dir);
    gitSync(dir, "switch", "-q", "-c", "T1");
    writeFileSync(join(dir, "a.txt"), "A\n");
    writeFileSync(join(dir, "TODO.md"), "# TODO\n\n- **T99** [critical] Planted by an agent\n");
    gitSync(dir, "commit", "-q", "-am", "T1");
    const sha = gitSync(dir, "rev-parse", "HEAD");
    gitSync(dir, "switch", "-q", "main");
    writeFileSync(join(dir, "TODO.md"), "# TODO\n\n_No tasks._\n");
    gitSync(dir, "commit", "-q", "-am", "board moved on");
    const out = await mergeBatch(
      dir,
      [{ task: "T1", branch: "T1", sha, title: "x" }],
      repo.gitEnv,
      repo.trackingPaths,
      repo.changelogPath,
    );
    expect(out).toEqual({ merged: ["T1"] });
    expect(gitSync(dir, "show", "main:TODO.md")).toBe("# TODO\n\n_No tasks._");
    expect(gitSync(dir, "show", "main:a.txt")).toBe("A");
  });
});
