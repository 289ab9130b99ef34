import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { applyMaintainerCommand } from "../../src/local/maintainer-command.js";
import { claimPath } from "../../src/local/run-claim.js";
import { takeRunLock } from "../../src/local/run-lock.js";
import { cleanup, makeRepo, openRepo } from "./temp-repo.js";

let dir = "";
afterEach(() => {
  if (dir) cleanup(dir);
  dir = "";
});

describe("one writer per repository", () => {
  it("refuses a maintainer command while a conveyor run holds the repository", async () => {
    dir = makeRepo({ "TODO.md": "# TODO\n\n- [high] A task\n" });
    const repo = await openRepo(dir);
    // A live process holds the run lock, as a `conveyor run` in another terminal would.
    const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)", "run"], {
      stdio: "ignore",
    });
    try {
      mkdirSync(repo.layout.dir, { recursive: true });
      writeFileSync(claimPath(join(repo.layout.dir, "run")), String(other.pid));
      const r = await applyMaintainerCommand(
        repo,
        "T1",
        { kind: "abandon", reason: "not needed" },
        () => {},
      );
      expect(r.accepted).toBe(false);
      expect(r.reply).toContain(`conveyor run (pid ${other.pid}) is working on this repository`);
    } finally {
      other.kill("SIGKILL");
    }
  });

  it("takes the lock over from a dead holder, and releases it", async () => {
    dir = makeRepo({ "TODO.md": "# TODO\n" });
    const repo = await openRepo(dir);
    mkdirSync(repo.layout.dir, { recursive: true });
    writeFileSync(claimPath(join(repo.layout.dir, "run")), "999999999");
    const lock = takeRunLock(repo);
    expect("release" in lock).toBe(true);
    if ("release" in lock) lock.release();
    const again = takeRunLock(repo);
    expect("release" in again).toBe(true);
    if ("release" in again) again.release();
  });
});
