import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runShell } from "../../src/agent/run-shell.js";
import { scrubEnv } from "../../src/agent/scrub-env.js";
import {
  pidNamespaceAsRoot,
  pidNamespaceWithSudo,
  shellSandbox,
} from "../../src/agent/shell-sandbox.js";

/**
 * A prompt-injected command must not read the environment of the agent's process (which
 * holds the Action's inputs: the API key and the token) through /proc. The sandbox is probed
 * as the Action probes it: these tests run where the machine allows one (Linux, root or
 * passwordless sudo), as on the CI machines of this project and GitHub's runners.
 */
const sandbox = shellSandbox();
const SECRET = "sk-ant-test-this-must-not-leak";
const env = () => scrubEnv(process.env);

describe("the agent's shell commands and the agent's environment", () => {
  it.skipIf(!sandbox)(
    "inside the sandbox, another process's /proc entry is not there to read",
    async () => {
      // A process holding the secret in its environment, as the agent Action's process does.
      const holder = spawn("sleep", ["30"], {
        env: { ...process.env, "INPUT_ANTHROPIC-API-KEY": SECRET },
        stdio: "ignore",
      });
      try {
        const read = `cat /proc/${holder.pid}/environ | tr '\\0' '\\n'`;
        const run = await runShell(`${read}; echo "me=$$"`, {
          cwd: process.cwd(),
          env: env(),
          timeoutMs: 10_000,
          sandbox,
        });
        expect(run.output).not.toContain(SECRET);
        expect(run.output).toContain("me=1");
        // Without it (the control), the same command reads the secret: the test can fail.
        const plain = await runShell(read, { cwd: process.cwd(), env: env(), timeoutMs: 10_000 });
        expect(plain.output).toContain(SECRET);
      } finally {
        holder.kill("SIGKILL");
      }
    },
  );

  it.skipIf(!sandbox)(
    "commands still work in the workspace, with the scrubbed environment",
    async () => {
      const run = await runShell('pwd; echo "$HOME"; git --version', {
        cwd: process.cwd(),
        env: { ...env(), HOME: "/tmp/home-probe" },
        timeoutMs: 10_000,
        sandbox,
      });
      expect(run.exitCode).toBe(0);
      expect(run.output).toContain(process.cwd());
      expect(run.output).toContain("/tmp/home-probe");
    },
  );

  it.skipIf(!sandbox)("a command over its timeout is killed inside the sandbox too", async () => {
    const run = await runShell("sleep 30", {
      cwd: process.cwd(),
      env: env(),
      timeoutMs: 300,
      sandbox,
    });
    expect(run.timedOut).toBe(true);
  });

  it.skipIf(!sandbox || process.getuid?.() !== 0)(
    "the sudo form runs: unshare, setpriv back to the user, only the scrubbed environment",
    async () => {
      // A stand-in for `sudo -n --` (not installed here; GitHub's runners have it).
      const bin = mkdtempSync(join(tmpdir(), "fake-sudo-"));
      writeFileSync(
        join(bin, "sudo"),
        '#!/bin/sh\n[ "$1" = "-n" ] && shift\n[ "$1" = "--" ] && shift\nexec "$@"\n',
      );
      chmodSync(join(bin, "sudo"), 0o755);
      try {
        const viaSudo = pidNamespaceWithSudo(process.getuid?.() ?? 0, process.getgid?.() ?? 0);
        const run = await runShell('echo "me=$$ ci=$CI secret=${SECRET_PROBE:-none}"; id -u', {
          cwd: process.cwd(),
          env: { PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`, CI: "true" },
          timeoutMs: 10_000,
          sandbox: viaSudo,
        });
        expect(run.exitCode).toBe(0);
        expect(run.output).toContain("me=1 ci=true secret=none");
        expect(run.output).toContain(String(process.getuid?.() ?? 0));
      } finally {
        rmSync(bin, { recursive: true, force: true });
      }
    },
  );

  it("CONVEYOR_SANDBOX=off runs commands as before", () => {
    expect(shellSandbox("off")).toBeNull();
  });

  it("the sudo form hands the scrubbed environment over, and only it", () => {
    const {
      file,
      args,
      env: outer,
    } = pidNamespaceWithSudo(1001, 121).wrap("make test", {
      PATH: "/usr/bin",
      CI: "true",
    });
    expect(file).toBe("sudo");
    expect(args.slice(0, 3)).toEqual(["-n", "--", "unshare"]);
    expect(args).toContain("--reuid=1001");
    const envAt = args.indexOf("/usr/bin/env");
    expect(args.slice(envAt, envAt + 4)).toEqual([
      "/usr/bin/env",
      "-i",
      "PATH=/usr/bin",
      "CI=true",
    ]);
    expect(args.slice(-3)).toEqual(["/bin/sh", "-c", "make test"]);
    expect(outer).toEqual({ PATH: "/usr/bin" });
    expect(pidNamespaceAsRoot().wrap("x", { A: "1" }).env).toEqual({ A: "1" });
  });
});
