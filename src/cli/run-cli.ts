import { parseArgs } from "node:util";
import { NPX, packageVersion } from "../package-info.js";
import { commands } from "./commands.js";
import type { CliIo, Command, OptionSpecs, Parsed } from "./io.js";
import { UsageError } from "./io.js";
import { painter } from "./style.js";

/**
 * The one argument layer of the CLI: `conveyor [--version | --help]`, `conveyor help <cmd>`,
 * and for every command `--help`, its options checked (unknown ones, missing values, extra
 * arguments) before it runs. Usage errors go to stderr with exit code 2; other errors print
 * one line (no stack trace) with exit code 1.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  const err = painter(io.stderr, io.env);
  if (name === undefined) {
    io.stderr.write(mainHelp(commands));
    return 2;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    io.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (name === "help" || name === "--help" || name === "-h") {
    const topic = rest[0];
    if (topic === undefined) {
      io.stdout.write(mainHelp(commands));
      return 0;
    }
    const command = commands.find((c) => c.name === topic);
    if (!command) return unknownCommand(topic, io, err);
    io.stdout.write(commandHelp(command));
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) return unknownCommand(name, io, err);
  if (wantsHelp(rest)) {
    io.stdout.write(commandHelp(command));
    return 0;
  }
  try {
    return await command.run(parseCommandArgs(command, rest), io);
  } catch (e: unknown) {
    if (e instanceof UsageError) {
      io.stderr.write(
        `${err(["bold", "red"], `conveyor ${command.name}:`)} ${e.message}\n` +
          `usage: ${command.usage}\n` +
          `Run 'conveyor ${command.name} --help' for its options.\n`,
      );
      return 2;
    }
    io.stderr.write(
      `${err(["bold", "red"], `conveyor ${command.name}:`)} ${e instanceof Error ? e.message : String(e)}\n`,
    );
    if (io.env.CONVEYOR_DEBUG && e instanceof Error && e.stack) io.stderr.write(`${e.stack}\n`);
    return 1;
  }
}

function unknownCommand(name: string, io: CliIo, err: ReturnType<typeof painter>): number {
  const hint = name.startsWith("-") ? `unknown option '${name}'` : `unknown command '${name}'`;
  io.stderr.write(`${err(["bold", "red"], "conveyor:")} ${hint}\n\n${mainHelp(commands)}`);
  return 2;
}

/** `--help` or `-h` before a `--` that ends the options. */
function wantsHelp(args: string[]): boolean {
  for (const a of args) {
    if (a === "--") return false;
    if (a === "--help" || a === "-h") return true;
  }
  return false;
}

/** The command's arguments through `node:util` parseArgs (strict), as a usage error if bad. */
export function parseCommandArgs<O extends OptionSpecs>(
  command: Pick<Command<O>, "options" | "args">,
  args: string[],
): Parsed<O> {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const [name, spec] of Object.entries(command.options))
    options[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}) };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (e: unknown) {
    throw new UsageError(parseErrorText(e, command.options));
  }
  const declared = command.args ?? [];
  const { positionals } = parsed;
  if (positionals.length > declared.length) {
    const extra = positionals.slice(declared.length);
    throw new UsageError(
      declared.length === 0
        ? `takes no arguments, got ${extra.map((a) => `'${a}'`).join(" ")}`
        : `unexpected extra argument${extra.length > 1 ? "s" : ""} ${extra.map((a) => `'${a}'`).join(" ")}`,
    );
  }
  const missing = declared.slice(positionals.length).filter((a) => !a.optional);
  if (missing.length > 0)
    throw new UsageError(`missing ${missing.map((a) => `<${a.name}>`).join(" ")}`);
  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, spec] of Object.entries(command.options)) {
    const given = parsed.values[name];
    if (spec.type === "boolean") values[name] = given === true;
    else {
      values[name] = typeof given === "string" ? given : spec.default;
    }
  }
  return { values: values as Parsed<O>["values"], positionals };
}

/** parseArgs' messages, rephrased for people (they mention `args` and Node's internals). */
function parseErrorText(e: unknown, options: OptionSpecs): string {
  const code = (e as { code?: string }).code;
  const message = e instanceof Error ? e.message : String(e);
  const flag = message.match(/'(-{1,2}[^'\s]+)/)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const near = flag ? closest(flag.replace(/^-+/, ""), Object.keys(options)) : undefined;
    return `unknown option '${flag ?? message}'${near ? ` (did you mean --${near}?)` : ""}`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const name = flag?.replace(/^-+/, "").split(/[ =]/)[0] ?? "";
    const spec = options[name];
    if (spec?.type === "string") return `--${name} needs a value (${spec.value})`;
    if (spec?.type === "boolean") return `--${name} takes no value`;
  }
  return message.replace(/\. To specify a positional argument.*$/s, "");
}

function closest(word: string, names: string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of names) {
    const d = distance(word, name);
    if (d <= Math.max(1, Math.floor(name.length / 3)) && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const keep = row[j] ?? 0;
      row[j] = Math.min(keep + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = keep;
    }
  }
  return row[b.length] ?? 0;
}

function mainHelp(all: readonly Command[]): string {
  const listed = all.filter((c) => !c.internal);
  const width = Math.max(...listed.map((c) => c.name.length));
  const lines = listed.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "Conveyor: AI coding agents through todo → review → testing → merge.",
    "",
    "usage: conveyor <command> [options]",
    "",
    ...lines,
    "",
    "  conveyor <command> --help   the command's options",
    "  conveyor --version          the installed version",
    "",
    `Without installing: ${NPX} <command>`,
    "",
  ].join("\n");
}

/** `conveyor <command> --help`. */
export function commandHelp(command: Command): string {
  const rows: [string, string][] = [];
  for (const a of command.args ?? [])
    rows.push([a.optional ? `[${a.name}]` : `<${a.name}>`, a.description]);
  for (const [name, spec] of Object.entries(command.options)) {
    const flag = `${spec.short ? `-${spec.short}, ` : ""}--${name}${spec.type === "string" ? ` <${spec.value}>` : ""}`;
    const def =
      spec.type === "string" && spec.default !== undefined ? ` (default ${spec.default})` : "";
    rows.push([flag, `${spec.description}${def}`]);
  }
  rows.push(["-h, --help", "this help"]);
  const width = Math.max(...rows.map(([l]) => l.length));
  return [
    `usage: ${command.usage}`,
    "",
    `${command.summary.charAt(0).toUpperCase()}${command.summary.slice(1)}.`,
    "",
    ...rows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`),
    ...(command.notes && command.notes.length > 0 ? ["", ...command.notes] : []),
    "",
  ].join("\n");
}
