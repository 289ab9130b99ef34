/** What a CLI command may touch of its process: passed in, so commands are testable. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C. */
  signal?: AbortSignal;
}

/** One `--name` option of a command, as `node:util` parseArgs takes it plus its help. */
export type OptionSpec =
  | { type: "boolean"; short?: string; description: string }
  | { type: "string"; short?: string; default?: string; value: string; description: string };

export type OptionSpecs = Record<string, OptionSpec>;

/** The parsed options: booleans are always set (false when absent), strings when given. */
export type OptionValues<O extends OptionSpecs> = {
  [K in keyof O]: O[K] extends { type: "boolean" }
    ? boolean
    : O[K] extends { default: string }
      ? string
      : string | undefined;
};

/** A positional argument; `optional` ones come last. */
export interface ArgSpec {
  name: string;
  description: string;
  optional?: boolean;
}

/** A command's arguments once the one argument layer (`run-cli.ts`) has checked them. */
export interface Parsed<O extends OptionSpecs> {
  values: OptionValues<O>;
  /** One entry per declared positional argument, in order (optional ones may be missing). */
  positionals: string[];
}

/**
 * A CLI command: declares its options and arguments; `runCli` parses them (help, usage
 * errors, exit 2) before `run` sees them. Returns the exit code; errors are printed.
 */
export interface Command<O extends OptionSpecs = OptionSpecs> {
  name: string;
  summary: string;
  /** The synopsis after `usage:`, e.g. `conveyor retry <task-id>`. */
  usage: string;
  options: O;
  args?: readonly ArgSpec[];
  /** Lines printed after the options in `--help` (examples, notes). */
  notes?: readonly string[];
  /** Not listed by `conveyor help` (started by Conveyor itself). */
  internal?: boolean;
  run(parsed: Parsed<O>, io: CliIo): Promise<number>;
}

/** Declares a command with its option types inferred from `options`. */
export function defineCommand<const O extends OptionSpecs>(command: Command<O>): Command {
  return command as unknown as Command;
}

/** A user mistake: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
