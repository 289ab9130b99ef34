import { spawn } from "node:child_process";
import type { CommandRun } from "./role-types.js";
import type { ShellSandbox } from "./shell-sandbox.js";

export interface ShellOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** Characters of output kept (head and tail). */
  maxOutput?: number;
  /** Written to the command's stdin (then closed). */
  input?: string;
  signal?: AbortSignal;
  /** Run inside this sandbox (see `shellSandbox`); without it, a plain `sh -c`. */
  sandbox?: ShellSandbox | null;
}

/**
 * Runs a shell command in its own process group; on timeout or abort the whole group is
 * killed (TERM, then KILL). Output (stdout and stderr interleaved) is kept head and tail.
 * Never throws: a command that cannot start is a failed run.
 */
export function runShell(command: string, options: ShellOptions): Promise<CommandRun> {
  const maxOutput = options.maxOutput ?? 20_000;
  return new Promise((resolve) => {
    const headMax = Math.floor(maxOutput * 0.4);
    const tailMax = maxOutput - headMax;
    let head = "";
    let tail = "";
    let total = 0;
    const keep = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      total += text.length;
      const room = headMax - head.length;
      if (room > 0) head += text.slice(0, room);
      const rest = room > 0 ? text.slice(room) : text;
      if (rest.length > 0) tail = (tail + rest).slice(-tailMax);
    };
    let timedOut = false;
    let settled = false;
    const how = options.sandbox
      ? options.sandbox.wrap(command, options.env)
      : { file: "/bin/sh", args: ["-c", command], env: options.env };
    const child = spawn(how.file, how.args, {
      cwd: options.cwd,
      env: how.env,
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const stop = () => {
      killGroup("SIGTERM");
      setTimeout(() => killGroup("SIGKILL"), 2000).unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    const onAbort = () => stop();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
    const finish = (exitCode: number | null, extra = "") => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      const omitted = total - head.length - tail.length;
      let output =
        omitted > 0 ? `${head}\n… [${omitted} characters omitted] …\n${tail}` : head + tail;
      if (timedOut)
        output += `\n[timed out after ${Math.round(options.timeoutMs / 1000)} s: killed]`;
      if (extra) output += extra;
      resolve({ command, exitCode, timedOut, output });
    };
    child.on("error", (e: Error) => finish(null, `\n[could not run: ${e.message}]`));
    // Finished when the command's process exits, not when its output closes: a background
    // child may keep stdout open for ever. What it left running in its group is ended; the
    // output still buffered comes in until the pipes close, or a short grace runs out.
    child.on("exit", (code) => {
      killGroup("SIGTERM");
      const grace = setTimeout(() => {
        killGroup("SIGKILL");
        finish(timedOut ? null : code);
      }, 500);
      grace.unref();
      child.once("close", () => {
        clearTimeout(grace);
        finish(timedOut ? null : code);
      });
    });
  });
}
