import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runShell } from "../../src/agent/run-shell.js";

let dir = "";
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = "";
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

describe("an agent command that leaves a background child holding its output open", () => {
  it("has finished when its process exits, not at its timeout; the child is ended with its group", async () => {
    dir = mkdtempSync(join(tmpdir(), "conveyor-exit-"));
    const pidFile = join(dir, "child.pid");
    const run = await runShell(`sleep 60 & echo $! > ${pidFile}; echo '{"summary":"ok"}'`, {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      timeoutMs: 30_000,
    });
    expect(run.timedOut).toBe(false);
    expect(run.exitCode).toBe(0);
    expect(run.output).toContain('{"summary":"ok"}');
    const child = Number(readFileSync(pidFile, "utf8").trim());
    // Ended with its group (SIGTERM at once, SIGKILL after a grace).
    const end = Date.now() + 5000;
    while (alive(child) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(alive(child)).toBe(false);
  }, 40_000);
});
