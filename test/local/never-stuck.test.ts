import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/run-cli.js";
import { readRunRecords } from "../../src/local/agents/run-record.js";
import { clearStaleIndexLock } from "../../src/local/git/git.js";
import type { LocalEvent } from "../../src/local/run/local-events.js";
import { runLocal } from "../../src/local/run/run-local.js";
import { cleanup, GIT_ENV, gitSync, makeRepo, openRepo } from "./temp-repo.js";

let dir = "";
let holder: ChildProcess | undefined;
afterEach(() => {
  holder?.kill("SIGKILL");
  holder = undefined;
  if (dir) cleanup(dir);
  dir = "";
});

/** An agent command that approves and writes `file` on its branch (every role alike). */
const approving = (file: string) =>
  `cat > /dev/null; echo done >> ${file}; echo '{\\"summary\\":\\"ok\\",\\"verdict\\":\\"approve\\"}'`;

const config = (command: string, extra = "") =>
  `tests:\n  fallback: "true"\nagent:\n  runner: command\n  command: "${command}"\nmerge:\n  batchWindowSeconds: 0\n${extra}`;

/** A process that keeps `path` open, as a git at work holds its lock file. */
async function holdOpen(path: string): Promise<ChildProcess> {
  const child = spawn("sh", ["-c", `exec 3<"${path}"; echo ready; exec sleep 60`], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
  return child;
}

describe("a merge that fails for another reason than a conflict", () => {
  it("is retried a bounded number of times, then escalated with the reason and the files; --until-idle returns, blocked", async () => {
    dir = makeRepo({
      ".github/conveyor.yml": config(approving("w.txt"), "  baseModifiedRetries: 2\n"),
      "TODO.md": "# TODO\n\n- [high] Write w.txt\n",
    });
    // The user's own untracked w.txt: git refuses to overwrite it, every time.
    writeFileSync(join(dir, "w.txt"), "the user's file\n");
    const repo = await openRepo(dir);
    const events: LocalEvent[] = [];
    const result = await runLocal({
      repo,
      env: GIT_ENV,
      emit: (e) => events.push(e),
      untilIdle: true,
      intervalMs: 50,
      signal: AbortSignal.timeout(90_000),
    });
    expect(result.reason).toBe("idle");
    const task = result.last!.board.tasks[0]!;
    expect(task.stage).toBe("merge-queue");
    expect(task.memory.escalation?.reason).toMatch(
      /^merge failed 3 times: .*untracked working tree files would be overwritten by merge.*: w\.txt/,
    );
    const failures = events.filter((e) => e.kind === "merge").map((e) => e.text);
    expect(failures).toEqual([
      expect.stringMatching(/^T1: merge failed: .*w\.txt; retry 1 of 2$/),
      expect.stringMatching(/^T1: merge failed: .*w\.txt; retry 2 of 2$/),
    ]);
    expect(events.filter((e) => e.kind === "escalate").map((e) => e.text)).toEqual([
      expect.stringMatching(/^T1: ESCALATED — merge failed 3 times: .*w\.txt/),
    ]);
    expect(result.blocked).toMatch(/^only escalated tasks are left: T1 \(merge failed 3 times/);
    // The same four choices as on GitHub, as local commands.
    for (const choice of [
      "conveyor retry",
      "re-scope",
      "conveyor deprioritize",
      "conveyor abandon",
    ])
      expect(result.blocked).toContain(choice);
    // Nothing of the user's was touched, main has no merge.
    expect(readFileSync(join(dir, "w.txt"), "utf8")).toBe("the user's file\n");
    expect(gitSync(dir, "log", "--merges", "--format=%s", "main")).toBe("");
  }, 120_000);
});

describe("a tracking-file commit that fails", () => {
  it("stops the run with git's reason, and no agent starts on the uncommitted transition", async () => {
    dir = makeRepo({
      ".github/conveyor.yml": config(approving("w.txt")),
      "TODO.md": "# TODO\n\n- [high] One\n",
    });
    const repo = await openRepo(dir);
    // A git process at work holds the index lock for the whole run.
    const lock = join(dir, ".git", "index.lock");
    writeFileSync(lock, "");
    holder = await holdOpen(lock);
    const result = await runLocal({
      repo,
      env: GIT_ENV,
      emit: () => {},
      untilIdle: true,
      intervalMs: 50,
      signal: AbortSignal.timeout(60_000),
    });
    expect(result.reason).toBe("error");
    expect(result.message).toMatch(
      /^could not commit the tracking files \(Unable to create '.*index\.lock': File exists/,
    );
    expect(result.message).not.toContain("\n");
    expect(readRunRecords(repo.layout)).toEqual([]);
    expect(existsSync(lock)).toBe(true);
  }, 60_000);

  it("through the CLI: one line on stderr, exit 1", async () => {
    dir = makeRepo({
      ".github/conveyor.yml": config(approving("w.txt")),
      "TODO.md": "# TODO\n\n- [high] One\n",
    });
    const lock = join(dir, ".git", "index.lock");
    writeFileSync(lock, "");
    holder = await holdOpen(lock);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let err = "";
    stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    stdout.resume();
    const code = await runCli(["run", "--until-idle", "--plain", "--interval", "0.05"], {
      stdout,
      stderr,
      cwd: dir,
      env: GIT_ENV,
    });
    expect(code).toBe(1);
    expect(err).toMatch(/^conveyor run: could not commit the tracking files \(.*\n$/);
  }, 60_000);
});

describe("a stale .git/index.lock", () => {
  it("is removed when no process holds it, and kept while one does", async () => {
    dir = makeRepo({ "a.txt": "a\n" });
    const lock = join(dir, ".git", "index.lock");
    expect(await clearStaleIndexLock(dir)).toBeUndefined();
    writeFileSync(lock, "");
    holder = await holdOpen(lock);
    expect(await clearStaleIndexLock(dir)).toBe("held");
    expect(existsSync(lock)).toBe(true);
    holder.kill("SIGKILL");
    await new Promise((r) => holder!.once("exit", r));
    expect(await clearStaleIndexLock(dir)).toBe("removed");
    expect(existsSync(lock)).toBe(false);
  });

  it("left by a killed git does not stop conveyor run: it is removed and the task goes through", async () => {
    dir = makeRepo({
      ".github/conveyor.yml": config(approving("w.txt")),
      "TODO.md": "# TODO\n\n- [high] One\n",
    });
    mkdirSync(join(dir, ".git"), { recursive: true });
    writeFileSync(join(dir, ".git", "index.lock"), "");
    const repo = await openRepo(dir);
    const events: LocalEvent[] = [];
    const result = await runLocal({
      repo,
      env: GIT_ENV,
      emit: (e) => events.push(e),
      untilIdle: true,
      intervalMs: 50,
      signal: AbortSignal.timeout(90_000),
    });
    expect(result.reason).toBe("idle");
    expect(result.blocked).toBeUndefined();
    expect(result.last!.board.tasks.map((t) => t.stage)).toEqual(["done"]);
    expect(events.map((e) => e.text)).toContain(
      "removed a stale .git/index.lock (no git process held it)",
    );
  }, 120_000);
});
