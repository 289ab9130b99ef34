import { spawnSync } from "node:child_process";

/**
 * Where the agent's shell commands run. A command run as the job's own user, seeing the
 * job's processes, could read `/proc/<pid>/environ` of the agent process, which holds the
 * Action's inputs (the API key, the token). On Linux, when Conveyor runs as root or may use
 * `sudo` without a password (GitHub-hosted runners), each command gets a PID namespace of
 * its own with a private `/proc`: the agent and the runner are not there to be read. The
 * command still runs as the job's user (`setpriv`), in the workspace, with the scrubbed
 * environment. Elsewhere commands run as before.
 *
 * `CONVEYOR_SANDBOX=off` turns it off; `CONVEYOR_SANDBOX=required` makes an agent run fail
 * when it cannot be had (instead of going on without).
 */
export interface ShellSandbox {
  /** How it is made, for the log. */
  describe: string;
  /** The program and arguments that run `sh -c command` inside, with exactly `env`. */
  wrap(
    command: string,
    env: Record<string, string>,
  ): { file: string; args: string[]; env: Record<string, string> };
}

const NAMESPACE = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child", "--"];

export function pidNamespaceAsRoot(): ShellSandbox {
  return {
    describe: "a PID namespace of its own (unshare, as root)",
    wrap: (command, env) => ({
      file: NAMESPACE[0]!,
      args: [...NAMESPACE.slice(1), "/bin/sh", "-c", command],
      env,
    }),
  };
}

export function pidNamespaceWithSudo(uid: number, gid: number): ShellSandbox {
  return {
    describe: "a PID namespace of its own (sudo unshare, then back to the job's user)",
    wrap: (command, env) => ({
      file: "sudo",
      args: [
        "-n",
        "--",
        ...NAMESPACE,
        "setpriv",
        `--reuid=${uid}`,
        `--regid=${gid}`,
        "--init-groups",
        "--",
        // sudo resets the environment: the scrubbed one is given again, and only it.
        "/usr/bin/env",
        "-i",
        ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
        "/bin/sh",
        "-c",
        command,
      ],
      env: { PATH: env.PATH ?? "/usr/bin:/bin" },
    }),
  };
}

/** Runs `sh -c 'echo $$'` inside: in a PID namespace of its own the shell is process 1. */
function works(sandbox: ShellSandbox, env: Record<string, string>): boolean {
  const { file, args, env: runEnv } = sandbox.wrap("echo $$", env);
  const probe = spawnSync(file, args, { env: runEnv, timeout: 10_000, encoding: "utf8" });
  return probe.status === 0 && probe.stdout.trim() === "1";
}

let detected: ShellSandbox | null | undefined;

/**
 * The sandbox this machine allows (probed once per process), or null. Throws when
 * `CONVEYOR_SANDBOX=required` and there is none.
 */
export function shellSandbox(
  setting: string | undefined = process.env.CONVEYOR_SANDBOX,
): ShellSandbox | null {
  if (setting === "off") return null;
  if (detected === undefined) detected = detect();
  if (!detected && setting === "required")
    throw new Error(
      "CONVEYOR_SANDBOX=required, but shell commands cannot get a PID namespace here (Linux with root or passwordless sudo, and unshare, are needed)",
    );
  return detected;
}

function detect(): ShellSandbox | null {
  if (process.platform !== "linux" || typeof process.getuid !== "function") return null;
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
  const uid = process.getuid();
  const gid = process.getgid?.() ?? uid;
  const candidates = uid === 0 ? [pidNamespaceAsRoot()] : [pidNamespaceWithSudo(uid, gid)];
  return candidates.find((c) => works(c, env)) ?? null;
}
