import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { runShell } from "../../src/agent/run-shell.js";
import { hostAllowed } from "../../src/agent/sandbox-proxy.js";
import { scrubEnv } from "../../src/agent/scrub-env.js";
import {
  SandboxUnavailableError,
  type ShellSandbox,
  sandboxAvailable,
  shellSandbox,
} from "../../src/agent/shell-sandbox.js";

/**
 * The attacks of the red-team pass, run for real against the sandbox the agent's commands,
 * the tester's test commands and external agent commands run in: read the agent's
 * environment through /proc (after `umount /proc`), gain privileges (`sudo -n`), write
 * outside the workspace (the main repository's `.conveyor/`, `.git/hooks`), read the home's
 * secrets, reach the network. They need Linux with bubblewrap (CI installs it); elsewhere
 * they are skipped, and the last block checks that the Action then refuses to run.
 */
const can = sandboxAvailable();
const SECRET = "sk-ant-test-this-must-not-leak";
const env = () => scrubEnv(process.env);

let root: string;
let ws: string;
const boxes: ShellSandbox[] = [];
const box = (allowedDomains: string[] = [], workspace = ws) => {
  const b = shellSandbox({ workspace, allowedDomains }, "required")!;
  boxes.push(b);
  return b;
};
const inBox = (command: string, b?: ShellSandbox, cwd = ws) =>
  runShell(command, { cwd, env: env(), timeoutMs: 20_000, sandbox: b ?? box() });
const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.name=T", "-c", "user.email=t@x", ...args], {
    cwd,
    encoding: "utf8",
  });

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "sandbox-test-"));
  ws = join(root, "ws");
  mkdirSync(ws);
  git(ws, "init", "-q", "-b", "main");
  git(ws, "commit", "-q", "--allow-empty", "-m", "init");
});
afterEach(() => {
  for (const b of boxes.splice(0)) b.close();
  vi.unstubAllEnvs();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(!can)("the agent's commands run in a real sandbox", () => {
  it("another process's /proc entry is not there, even after umount /proc", async () => {
    // A process holding the secret in its environment, as the agent Action's process does.
    const holder = spawn("sleep", ["30"], {
      env: { ...process.env, "INPUT_ANTHROPIC-API-KEY": SECRET },
      stdio: "ignore",
    });
    try {
      const read = `cat /proc/${holder.pid}/environ | tr '\\0' '\\n'`;
      const run = await inBox(`umount /proc; umount -l /proc; ${read}; echo done`);
      expect(run.output).toContain("done");
      expect(run.output).not.toContain(SECRET);
      // The control: without the sandbox the same command reads it (the test can fail).
      const plain = await runShell(read, { cwd: ws, env: env(), timeoutMs: 10_000 });
      expect(plain.output).toContain(SECRET);
    } finally {
      holder.kill("SIGKILL");
    }
  });

  it("no capabilities and no privilege gain: umount /proc and sudo -n fail inside", async () => {
    const run = await inBox(
      "grep CapEff /proc/self/status; grep NoNewPrivs /proc/self/status; umount /proc; echo umount=$?; sudo -n true 2>/dev/null; echo sudo=$?",
    );
    expect(run.output).toMatch(/CapEff:\s+0000000000000000/);
    expect(run.output).toMatch(/NoNewPrivs:\s+1/);
    expect(run.output).not.toContain("umount=0");
    expect(run.output).not.toContain("sudo=0");
  });

  it.skipIf(spawnSync("sudo", ["-n", "true"]).status !== 0)(
    "where sudo works without a password outside (GitHub's runners), it does not inside",
    async () => {
      const run = await inBox("sudo -n id -u; echo sudo=$?");
      expect(run.output).not.toContain("sudo=0");
    },
  );

  it("writes only inside the workspace (not its .git) and a private /tmp", async () => {
    const outside = join(root, "outside.txt");
    const hostTmp = join(tmpdir(), `sandbox-probe-${process.pid}`);
    const run = await inBox(
      [
        "echo ok > in-workspace.txt && echo ws-ok",
        "mkdir -p sub/dir && echo ok > sub/dir/f && echo sub-ok",
        `echo x > ${outside}`,
        "echo '[core] fsmonitor = evil' >> .git/config",
        "echo evil > .git/hooks/pre-commit",
        "echo x > /etc/conveyor-probe",
        `echo x > ${hostTmp} && echo tmp-ok`,
      ].join("; "),
    );
    expect(run.output).toContain("ws-ok");
    expect(run.output).toContain("sub-ok");
    expect(run.output).toContain("tmp-ok");
    expect(existsSync(join(ws, "in-workspace.txt"))).toBe(true);
    expect(existsSync(outside)).toBe(false);
    expect(existsSync(join(ws, ".git", "hooks", "pre-commit"))).toBe(false);
    expect(git(ws, "config", "--list", "--local")).not.toContain("evil");
    expect(existsSync("/etc/conveyor-probe")).toBe(false);
    expect(existsSync(hostTmp)).toBe(false);
  });

  it("local mode: a worktree's agent cannot write the main repository (its .conveyor/ included)", async () => {
    const main = join(root, "main");
    mkdirSync(join(main, ".conveyor"), { recursive: true });
    git(main, "init", "-q", "-b", "main");
    writeFileSync(join(main, "a.txt"), "a\n");
    git(main, "add", "a.txt");
    git(main, "commit", "-q", "-m", "a");
    git(main, "worktree", "add", "-q", "-b", "t1", join(main, ".worktrees", "t1"));
    const wt = join(main, ".worktrees", "t1");
    const report = join(main, ".conveyor", "report.json");
    const run = await inBox(
      [
        "git status --short && echo status-ok",
        `echo forged > ${report}`,
        "echo forged > ../../.conveyor/report2.json",
        "echo evil > ../../.git/hooks/post-commit",
        "echo ok > mine.txt && echo wt-ok",
      ].join("; "),
      box([], wt),
      wt,
    );
    expect(run.output).toContain("status-ok");
    expect(run.output).toContain("wt-ok");
    expect(existsSync(report)).toBe(false);
    expect(existsSync(join(main, ".conveyor", "report2.json"))).toBe(false);
    expect(existsSync(join(main, ".git", "hooks", "post-commit"))).toBe(false);
  });

  it("the home's files are not there (ssh keys, ~/.gitconfig, tokens)", async () => {
    const home = homedir();
    const toolchains = new Set([".cargo", ".rustup", ".nvm", ".volta", ".bun", ".deno", ".pyenv"]);
    const secretish = readdirSync(home).filter((n) => !toolchains.has(n) && n !== ".local");
    const run = await inBox(`ls -A ${home}; echo listed`);
    expect(run.output).toContain("listed");
    for (const name of secretish) expect(run.output.split("\n")).not.toContain(name);
  });

  it("no network of its own: a server on the host's loopback cannot be reached", async () => {
    const server = await listen();
    const port = (server.address() as AddressInfo).port;
    try {
      const probe = `node -e "require('net').connect(${port},'127.0.0.1').on('connect',()=>{console.log('reached');process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(0)})"`;
      const outside = await runShell(probe, { cwd: ws, env: env(), timeoutMs: 10_000 });
      expect(outside.output).toContain("reached");
      const inside = await inBox(probe);
      expect(inside.output).not.toContain("reached");
    } finally {
      server.close();
    }
  });

  it("network through the proxy: listed hosts pass, others get 403 without a connection", async () => {
    const server = await listen();
    const port = (server.address() as AddressInfo).port;
    try {
      const b = box(["localhost"]);
      const get = (url: string) =>
        `node -e "const u=new URL('${url}');require('http').get({host:'127.0.0.1',port:3128,path:u.href,headers:{host:u.host}},r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>console.log(r.statusCode,b.trim()))}).on('error',e=>console.log(e.code))"`;
      const allowed = await inBox(get(`http://localhost:${port}/x`), b);
      expect(allowed.output).toContain("200 hello from the host");
      const refused = await inBox(get("http://example.com/"), b);
      expect(refused.output).toContain("403");
      expect(refused.output).toContain("sandbox.allowedDomains");
      const connect = await inBox(
        `node -e "const s=require('net').connect(3128,'127.0.0.1',()=>s.write('CONNECT example.com:443 HTTP/1.1\\r\\nHost: example.com:443\\r\\n\\r\\n'));s.on('data',d=>{console.log(String(d).split('\\r\\n')[0]);s.destroy()})"`,
        b,
      );
      expect(connect.output).toContain("403");
      expect(allowed.output + refused.output).not.toContain("ECONNREFUSED");
    } finally {
      server.close();
    }
  });

  it("commands still work: the workspace is the cwd, the scrubbed environment is given", async () => {
    const run = await runShell('pwd; echo "ci=$CI tmp=$TMPDIR"; git --version', {
      cwd: ws,
      env: { ...env(), CI: "true" },
      timeoutMs: 20_000,
      sandbox: box(),
    });
    expect(run.exitCode).toBe(0);
    expect(run.output).toContain(ws);
    expect(run.output).toContain("ci=true tmp=/tmp");
    expect(run.output).toMatch(/git version/);
  });

  it("a command over its timeout is killed, with everything it started", async () => {
    const started = Date.now();
    const run = await runShell("sleep 30 & sleep 30", {
      cwd: ws,
      env: env(),
      timeoutMs: 500,
      sandbox: box(),
    });
    expect(run.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe("where no sandbox can be had", () => {
  it("CONVEYOR_SANDBOX=off runs commands unconfined", () => {
    expect(shellSandbox({ workspace: tmpdir(), allowedDomains: [] }, "off")).toBeNull();
  });

  it("the default is required: no bubblewrap means a clear error, not an unconfined run", () => {
    vi.stubEnv("PATH", join(tmpdir(), "no-bwrap-here"));
    expect(() => shellSandbox({ workspace: tmpdir(), allowedDomains: [] }, undefined)).toThrow(
      SandboxUnavailableError,
    );
    expect(() => shellSandbox({ workspace: tmpdir(), allowedDomains: [] }, undefined)).toThrow(
      /bubblewrap|Linux/,
    );
  });

  it("an unknown CONVEYOR_SANDBOX value is refused", () => {
    expect(() => shellSandbox({ workspace: tmpdir(), allowedDomains: [] }, "maybe")).toThrow(
      /required.*off/,
    );
  });
});

describe("the proxy's allowlist", () => {
  it("matches hosts exactly, or every subdomain of a *. entry", () => {
    const list = ["registry.npmjs.org", "*.pythonhosted.org"];
    expect(hostAllowed("registry.npmjs.org", list)).toBe(true);
    expect(hostAllowed("REGISTRY.npmjs.org.", list)).toBe(true);
    expect(hostAllowed("files.pythonhosted.org", list)).toBe(true);
    expect(hostAllowed("pythonhosted.org", list)).toBe(false);
    expect(hostAllowed("evil-registry.npmjs.org", list)).toBe(false);
    expect(hostAllowed("registry.npmjs.org.evil.com", list)).toBe(false);
    expect(hostAllowed("evilpythonhosted.org", list)).toBe(false);
    expect(hostAllowed("", list)).toBe(false);
  });
});

function listen(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((_req, res) => res.end("hello from the host\n"));
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}
