import { packageVersion } from "../package-info.js";
import { commands } from "./commands.js";
import { type CliIo, type Command, UsageError } from "./io.js";

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    io.stdout.write(helpText(commands));
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    io.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`conveyor: unknown command '${name}'\n\n${helpText(commands)}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (e: unknown) {
    if (e instanceof UsageError) {
      io.stderr.write(`conveyor ${command.name}: ${e.message}\nusage: ${command.usage}\n`);
      return 2;
    }
    io.stderr.write(
      `conveyor ${command.name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    return 1;
  }
}

function helpText(all: readonly Command[]): string {
  const width = Math.max(...all.map((c) => c.name.length));
  const lines = all.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Conveyor: AI coding agents through todo → review → testing → merge.\n\nusage: conveyor <command> [options]\n\n${lines.join("\n")}\n`;
}
