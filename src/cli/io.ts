/** What a CLI command may touch of its process: passed in, so commands are testable. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C. */
  signal?: AbortSignal;
}

/** A CLI command: parses its own arguments, returns the exit code. Errors are printed, not thrown. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** A user mistake: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
