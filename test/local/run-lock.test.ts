import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { CLI_BUNDLE_ENV, defaultLauncher } from "../../src/local/agents/agent-launcher.js";
import { claimPath } from "../../src/local/agents/run-claim.js";
import { applyMaintainerCommand } from "../../src/local/run/maintainer-command.js";
import { startTimeOf, takeRunLock } from "../../src/local/run/run-lock.js";
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

describe("the run lock's take-over", () => {
  it("does not take a reused pid for a live holder (its start time differs)", async () => {
    dir = makeRepo({ "TODO.md": "# TODO\n" });
    const repo = await openRepo(dir);
    mkdirSync(repo.layout.dir, { recursive: true });
    // A live process with the pid the dead holder had, but started at another time.
    const other = spawn("sleep", ["60"], { stdio: "ignore" });
    try {
      const start = startTimeOf(other.pid!);
      expect(start).toBeDefined();
      writeFileSync(claimPath(join(repo.layout.dir, "run")), `${other.pid} ${Number(start) - 1}\n`);
      const lock = takeRunLock(repo);
      expect("release" in lock).toBe(true);
      if ("release" in lock) lock.release();
      // The same pid and start time is the live holder it says.
      writeFileSync(claimPath(join(repo.layout.dir, "run")), `${other.pid} ${start}\n`);
      expect(takeRunLock(repo)).toEqual({ heldBy: other.pid });
    } finally {
      other.kill("SIGKILL");
    }
  });

  it("of a stale lock is atomic: of processes racing for it, exactly one gets it", async () => {
    dir = makeRepo({ "TODO.md": "# TODO\n" });
    const repo = await openRepo(dir);
    mkdirSync(repo.layout.dir, { recursive: true });
    const go = join(dir, ".git", "go");
    const script = join(dir, ".git", "race.mts");
    const lockModule = pathToFileURL(join(process.cwd(), "src/local/run/run-lock.ts")).href;
    writeFileSync(
      script,
      [
        `import { existsSync } from "node:fs";`,
        `import { takeRunLock } from ${JSON.stringify(lockModule)};`,
        `const repo = { layout: { dir: ${JSON.stringify(repo.layout.dir)} } } as never;`,
        `while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 2));`,
        `const lock = takeRunLock(repo);`,
        `process.stdout.write("release" in lock ? "got" : "held");`,
        `while (!existsSync(${JSON.stringify(go)} + ".stop")) await new Promise((r) => setTimeout(r, 5));`,
        `if ("release" in lock) lock.release();`,
      ].join("\n"),
    );
    // The launcher from the sources, not the test run's bundle: its first two args are
    // `--import <tsx loader>`, which runs the TypeScript script below.
    const bundle = process.env[CLI_BUNDLE_ENV];
    delete process.env[CLI_BUNDLE_ENV];
    const launcher = defaultLauncher();
    if (bundle) process.env[CLI_BUNDLE_ENV] = bundle;
    const loader = launcher.args.slice(0, 2);
    for (let trial = 0; trial < 3; trial++) {
      rmSync(go, { force: true });
      rmSync(`${go}.stop`, { force: true });
      writeFileSync(claimPath(join(repo.layout.dir, "run")), "999999999 12345\n");
      const racers = Array.from({ length: 5 }, () =>
        spawn(process.execPath, [...loader, script], { stdio: ["ignore", "pipe", "inherit"] }),
      );
      const outputs = racers.map(
        (c) =>
          new Promise<string>((resolve) => {
            let out = "";
            c.stdout!.on("data", (d: Buffer) => {
              out += d.toString();
              resolve(out);
            });
            c.once("exit", () => resolve(out));
          }),
      );
      // Every racer is loaded and polling before the start.
      await new Promise((r) => setTimeout(r, 4000));
      writeFileSync(go, "");
      // Each answers while the winner still holds the lock: no one may get it beside it.
      const results = await Promise.all(outputs);
      writeFileSync(`${go}.stop`, "");
      await Promise.all(racers.map((c) => (c.exitCode === null ? once(c, "exit") : undefined)));
      expect(
        results.filter((r) => r === "got"),
        `trial ${trial}: ${results}`,
      ).toHaveLength(1);
      expect(results.filter((r) => r === "held")).toHaveLength(4);
    }
  }, 120_000);
});
