import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseBoard } from "../../core/board-schema.js";
import { defaultConfig, formatConfigWarnings, readConfigText } from "../../core/config.js";
import { describeEffect, type Plan } from "../../core/effects.js";
import { plan, ref } from "../../core/plan.js";
import { defineCommand, UsageError } from "../io.js";

export const planCommand = defineCommand({
  name: "plan",
  summary: "print what Conveyor would do with a board (effects and why tasks wait)",
  usage: "conveyor plan --board board.json [--config conveyor.yml] [--now ISO-time] [--json]",
  options: {
    board: { type: "string", value: "file", description: "the board snapshot (JSON), required" },
    config: {
      type: "string",
      value: "file",
      description: "a .github/conveyor.yml (default: the default configuration)",
    },
    now: { type: "string", value: "ISO-time", description: "the time to plan at (default: now)" },
    json: { type: "boolean", description: "print the plan as JSON" },
  },
  notes: ["Example: conveyor plan --board examples/board.json --config examples/conveyor.yml"],
  async run({ values }, io) {
    if (!values.board) throw new UsageError("--board is required");
    const boardPath = resolve(io.cwd, values.board);
    const boardText = await readText(boardPath, "board");
    let json: unknown;
    try {
      json = JSON.parse(boardText);
    } catch (e: unknown) {
      throw new UsageError(
        `${values.board} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    const board = parseBoard(json);
    if (!board.ok) {
      io.stderr.write(
        `conveyor plan: ${values.board} is not a valid board:\n${board.errors.map((e) => `- ${e}`).join("\n")}\n`,
      );
      return 2;
    }
    let config = defaultConfig();
    if (values.config) {
      const parsed = readConfigText(
        await readText(resolve(io.cwd, values.config), "config"),
        values.config,
      );
      if (!parsed.ok) {
        io.stderr.write(
          `conveyor plan: ${values.config} is not a valid configuration:\n${parsed.listed ?? ""}\n`,
        );
        return 2;
      }
      config = parsed.config;
      if (parsed.warnings.length > 0)
        io.stderr.write(
          `conveyor plan: ${values.config}: warning:\n${formatConfigWarnings(parsed.warnings)}\n`,
        );
    }
    const now = values.now ? new Date(values.now) : new Date();
    if (Number.isNaN(now.getTime()))
      throw new UsageError(
        `--now ${values.now} is not a date (use ISO 8601, e.g. 2026-11-25T10:00:00Z)`,
      );
    const result = plan(board.board, config, now);
    io.stdout.write(
      values.json
        ? `${JSON.stringify(result, null, 2)}\n`
        : formatPlan(result, board.board.repo, now),
    );
    return 0;
  },
});

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e: unknown) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read the ${what} file ${path}${code ? ` (${code})` : ""}`);
  }
}

/** The plan for people: effects in order, then every waiting task and why. */
export function formatPlan(p: Plan, repo: string, now: Date): string {
  const out: string[] = [];
  out.push(`Plan for ${repo} at ${now.toISOString()}`);
  out.push(
    `Agents ${p.slots.used}/${p.slots.capacity} · tasks in flight ${p.inFlight.used}/${p.inFlight.capacity}`,
  );
  out.push("");
  if (p.effects.length === 0) out.push("Effects: none");
  else {
    out.push(`Effects (${p.effects.length}, applied in this order):`);
    for (const [i, e] of p.effects.entries())
      out.push(`  ${String(i + 1).padStart(2)}. ${describeEffect(e)}`);
  }
  out.push("");
  if (p.waiting.length === 0) out.push("Waiting: nothing");
  else {
    out.push(`Waiting (${p.waiting.length}):`);
    const width = Math.max(...p.waiting.map((w) => ref(w.task).length));
    for (const w of p.waiting) out.push(`  ${ref(w.task).padEnd(width)}  ${w.text}`);
  }
  if (p.mergeQueue.length > 0) out.push("", `Merge queue: ${p.mergeQueue.map(ref).join(", ")}`);
  return `${out.join("\n")}\n`;
}
