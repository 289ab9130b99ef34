import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { conflictFeedback, DEFAULT_PROMPTS } from "../../src/agent/prompts.js";
import { runLocal } from "../../src/local/run/run-local.js";
import { cleanup, GIT_ENV, gitSync, makeRepo, openRepo } from "./temp-repo.js";

let dir = "";
afterEach(() => {
  if (dir) cleanup(dir);
  dir = "";
});

describe("a merge conflict sends the task back with what to do", () => {
  it("the retry's prompt names the files and says to merge the base in on the task branch", async () => {
    dir = makeRepo({
      "TODO.md": "# TODO\n\n- [high] Write a one way\n- [high] Write a another way\n",
      "a.txt": "base\n",
    });
    const prompts = join(dir, ".git", "prompts");
    mkdirSync(prompts);
    // Every run saves its prompt; task runs write their own a.txt (the two tasks conflict).
    const agent = `p=${prompts}/$$.txt; cat > $p; grep -q Role..task $p && echo $$ > a.txt; echo '{\\"summary\\":\\"ok\\",\\"verdict\\":\\"approve\\"}'`;
    mkdirSync(join(dir, ".github"), { recursive: true });
    writeFileSync(
      join(dir, ".github", "conveyor.yml"),
      `tests:\n  fallback: "true"\nmerge:\n  batchWindowSeconds: 0\nagent:\n  runner: command\n  command: "${agent}"\n`,
    );
    gitSync(dir, "add", ".github/conveyor.yml");
    gitSync(dir, "commit", "-q", "-m", "config");
    const repo = await openRepo(dir);
    const env = { ...GIT_ENV, CONVEYOR_SANDBOX: "off" };
    await runLocal({ repo, env, emit: () => {}, untilIdle: true, intervalMs: 100 });

    const texts = readdirSync(prompts).map((f) => readFileSync(join(prompts, f), "utf8"));
    const retry = texts.find((t) => t.includes("Merge conflict:"));
    expect(retry, "a task run was sent back for the conflict").toBeDefined();
    const branch = /Stay on `(T\d)`/.exec(retry!)?.[1];
    expect(branch).toMatch(/^T[12]$/);
    expect(retry).toContain(`merging \`${branch}\` into \`main\` conflicts, in \`a.txt\``);
    expect(retry).toContain("git merge main");
    expect(retry).toContain("git commit --no-edit");
    expect(retry).not.toMatch(/PR #0|PR branch/);
  }, 240_000);

  it("the conflict instructions allow the one merge commit the task prompt otherwise forbids", () => {
    const text = conflictFeedback({ branch: "T3", baseBranch: "main", files: ["src/a.ts"] });
    // The task prompt forbids commits and branch switches…
    expect(DEFAULT_PROMPTS.task).toMatch(/Do not commit, push, switch branches/);
    // …so the conflict part stays on the branch and names the commit as the exception.
    expect(text).toMatch(/Stay on `T3` \(you are on it; do not switch branches\)/);
    expect(text).toMatch(/only commit you make yourself/);
    expect(text).not.toMatch(/checkout|switch to|rebase/);
  });
});
