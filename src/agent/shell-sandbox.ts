import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import type { Server } from "node:http";
import { homedir, tmpdir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { startSandboxProxy } from "./sandbox-proxy.js";

/**
 * Where the agent's commands run: the bash tool, the tester's test commands (the PR's code)
 * and external agent commands. On Linux it is bubblewrap (`bwrap`, the sandbox Flatpak
 * uses), with:
 * - a user, PID, IPC, UTS, cgroup and network namespace of its own, every capability
 *   dropped and no-new-privileges set (bwrap always sets it): `sudo` and setuid programs do
 *   nothing, `umount /proc` is refused, the agent's process and the runner's are not there
 *   to read (`/proc/<pid>/environ` held the Action's inputs);
 * - the host's file system read-only, with the homes (`/home`, `/root`, `$HOME`; toolchain
 *   folders in them come back read-only), `/run` and `/tmp` replaced by empty ones: ssh keys,
 *   cloud credentials, `~/.gitconfig`, the docker socket are not there;
 * - writes only inside the workspace (its `.git` read-only: config, hooks and refs stay
 *   Conveyor's) and the private `/tmp`;
 * - network only to `sandbox.allowedDomains`, through Conveyor's proxy (sandbox-proxy.ts).
 *
 * `CONVEYOR_SANDBOX=required` (the default) makes a run fail where no sandbox can be had;
 * `CONVEYOR_SANDBOX=off` runs commands unconfined (a trusted machine only).
 */
export interface ShellSandbox {
  /** How it is made, for the log. */
  describe: string;
  /** The program and arguments that run `sh -c command` inside, with exactly `env` (plus the proxy's). */
  wrap(
    command: string,
    env: Record<string, string>,
  ): { file: string; args: string[]; env: Record<string, string> };
  /** Stops the network proxy (idempotent). */
  close(): void;
}

export interface SandboxPolicy {
  /** The real path of the workspace: the one folder commands may write (besides /tmp). */
  workspace: string;
  /** Hosts commands may reach; [] = no network. */
  allowedDomains: readonly string[];
  log?: (line: string) => void;
}

export class SandboxUnavailableError extends Error {
  override name = "SandboxUnavailableError";
}

/** Folders under a home that hold toolchains, not secrets: visible, read-only. */
const HOME_TOOLCHAINS = [
  ".cargo/bin",
  ".rustup",
  ".nvm",
  ".volta",
  ".bun",
  ".deno",
  ".pyenv",
  ".rbenv",
  ".asdf",
  ".sdkman",
  ".ghcup",
  ".dotnet",
  ".local/bin",
  ".local/lib",
  "go/bin",
  "go/pkg/mod",
];

/** Files whose content is a secret of the machine: replaced by an empty file. */
const SECRET_FILES = ["/etc/shadow", "/etc/gshadow", "/etc/sudoers"];

/** Inside the sandbox, the proxy is bridged from this socket to 127.0.0.1:PROXY_PORT. */
const PROXY_SOCKET = "/run/conveyor/proxy.sock";
const PROXY_PORT = 3128;

interface Bwrap {
  path: string;
  disableUserns: boolean;
  socat: string | undefined;
}

/** Probe results by PATH (probed once per process and PATH). */
const probed = new Map<string, Bwrap | string>();

/** Finds bwrap and checks that it can make a sandbox here. */
function probe(): Bwrap | string {
  const key = process.env.PATH ?? "";
  const known = probed.get(key);
  if (known !== undefined) return known;
  const found = (() => {
    if (process.platform !== "linux")
      return `no sandbox for ${process.platform}: the agent's commands need Linux with bubblewrap`;
    const path = which("bwrap");
    if (!path) return "bubblewrap (bwrap) is not installed: apt-get install bubblewrap socat";
    const base = ["--unshare-all", "--unshare-user", "--ro-bind", "/", "/", "--cap-drop", "ALL"];
    const tryRun = (extra: string[]) =>
      spawnSync(path, [...base, ...extra, "--", "/bin/true"], {
        env: { PATH: "/usr/bin:/bin" },
        encoding: "utf8",
        timeout: 10_000,
      });
    const withFlag = tryRun(["--disable-userns"]);
    if (withFlag.status === 0) return { path, disableUserns: true, socat: which("socat") };
    const plain = tryRun([]);
    if (plain.status === 0) return { path, disableUserns: false, socat: which("socat") };
    const why = (plain.stderr || plain.error?.message || "").trim();
    return `bwrap cannot create a sandbox here (${why || `exit ${plain.status}`}); on Ubuntu 24.04 unprivileged user namespaces are restricted by AppArmor: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or load an AppArmor profile for bwrap`;
  })();
  probed.set(key, found);
  return found;
}

function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(":")) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The sandbox for commands in `policy.workspace`, or null when `CONVEYOR_SANDBOX=off`.
 * Throws SandboxUnavailableError (with what to install or allow) when none can be had.
 */
export function shellSandbox(
  policy: SandboxPolicy,
  setting: string | undefined = process.env.CONVEYOR_SANDBOX,
): ShellSandbox | null {
  if (setting === "off") return null;
  if (setting !== undefined && setting !== "" && setting !== "required")
    throw new SandboxUnavailableError(
      `CONVEYOR_SANDBOX=${setting}: the values are "required" (the default) and "off"`,
    );
  const found = probe();
  if (typeof found === "string")
    throw new SandboxUnavailableError(
      `the agent's commands must run in a sandbox, and none can be had: ${found}. CONVEYOR_SANDBOX=off runs them unconfined (only on a machine that holds nothing of value).`,
    );
  if (policy.allowedDomains.length > 0 && !found.socat)
    throw new SandboxUnavailableError(
      "socat is not installed (the sandbox's network bridge): apt-get install socat, or set sandbox.allowedDomains: [] for no network",
    );
  return bubblewrap(found, policy);
}

/** Whether this machine can have the sandbox (for tests and the doctor). */
export function sandboxAvailable(): boolean {
  return typeof probe() !== "string";
}

function bubblewrap(bw: Bwrap, policy: SandboxPolicy): ShellSandbox {
  const ws = resolve(policy.workspace);
  let proxy: { server: Server; dir: string; socket: string } | undefined;
  const network = policy.allowedDomains.length > 0;
  const startProxy = () => {
    if (proxy) return proxy;
    const dir = mkdtempSync(join(tmpdir(), "conveyor-proxy-"));
    const socket = join(dir, "proxy.sock");
    proxy = {
      dir,
      socket,
      server: startSandboxProxy(socket, policy.allowedDomains, policy.log),
    };
    return proxy;
  };
  const fsArgs = fileSystemArgs(ws);
  return {
    describe: `a bubblewrap sandbox (writes: the workspace and /tmp; network: ${network ? policy.allowedDomains.join(", ") : "none"})`,
    wrap(command, env) {
      const args = [
        "--die-with-parent",
        "--new-session",
        "--unshare-all",
        "--unshare-user",
        ...(bw.disableUserns ? ["--disable-userns"] : []),
        "--cap-drop",
        "ALL",
        ...fsArgs,
      ];
      const inner: Record<string, string> = { ...env, TMPDIR: "/tmp" };
      let script = command;
      if (network) {
        const p = startProxy();
        args.push("--ro-bind", p.socket, PROXY_SOCKET);
        const url = `http://127.0.0.1:${PROXY_PORT}`;
        for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"])
          inner[name] = url;
        inner.NO_PROXY = "localhost,127.0.0.1,::1";
        inner.no_proxy = inner.NO_PROXY;
        // The bridge starts first and is waited for (its port in /proc/net/tcp, state LISTEN).
        const port = PROXY_PORT.toString(16).toUpperCase().padStart(4, "0");
        script = [
          `${bw.socat} TCP-LISTEN:${PROXY_PORT},bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:${PROXY_SOCKET} >/dev/null 2>&1 &`,
          `i=0; while [ $i -lt 200 ] && ! grep -q ':${port} 00000000:0000 0A' /proc/net/tcp 2>/dev/null; do sleep 0.01; i=$((i+1)); done`,
          `exec /bin/sh -c "$0"`,
        ].join("\n");
        args.push("--chdir", ws, "--", "/bin/sh", "-c", script, command);
      } else args.push("--chdir", ws, "--", "/bin/sh", "-c", script);
      return { file: bw.path, args, env: inner };
    },
    close() {
      if (!proxy) return;
      proxy.server.close();
      rmSync(proxy.dir, { recursive: true, force: true });
      proxy = undefined;
    },
  };
}

/** The mounts: the host read-only, homes and /run and /tmp emptied, the workspace writable. */
function fileSystemArgs(ws: string): string[] {
  const args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"];
  for (const dir of ["/run", "/var/run"])
    if (existsSync(dir) && !lstatSync(dir).isSymbolicLink()) args.push("--tmpfs", dir);
  const homes = new Set(["/home", "/root"]);
  const home = process.env.HOME || homedir();
  if (home && home !== "/" && isAbsolute(home)) homes.add(resolve(home));
  for (const h of homes) if (existsSync(h)) args.push("--tmpfs", h);
  for (const h of homes)
    for (const tool of HOME_TOOLCHAINS) {
      const p = join(h, tool);
      if (h !== "/home" && existsSync(p)) args.push("--ro-bind", p, p);
    }
  for (const f of SECRET_FILES) if (existsSync(f)) args.push("--ro-bind", "/dev/null", f);
  // A worktree's git data lives in the main repository's .git: readable, never writable.
  const common = commonGitDir(ws);
  if (common && !common.startsWith(`${ws}/`)) args.push("--ro-bind", common, common);
  args.push("--bind", ws, ws);
  if (existsSync(join(ws, ".git"))) args.push("--ro-bind", join(ws, ".git"), join(ws, ".git"));
  return args;
}

/** The common git directory of a workspace whose `.git` is a file (a worktree). */
function commonGitDir(ws: string): string | undefined {
  const dotGit = join(ws, ".git");
  try {
    if (!lstatSync(dotGit).isFile()) return undefined;
    const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, "utf8"));
    if (!m?.[1]) return undefined;
    const gitDir = resolve(ws, m[1].trim());
    const commondir = join(gitDir, "commondir");
    const common = existsSync(commondir)
      ? resolve(gitDir, readFileSync(commondir, "utf8").trim())
      : dirname(dirname(gitDir));
    return existsSync(common) ? common : undefined;
  } catch {
    return undefined;
  }
}
