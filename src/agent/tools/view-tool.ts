import { readdirSync, readFileSync, statSync } from "node:fs";
import { z } from "zod";
import { numberLines } from "../truncate-output.js";
import { resolveWorkspacePath } from "../workspace-path.js";
import { parseInput } from "./parse-input.js";
import { type ToolSpec, toolError } from "./tool.js";

const MAX_LINES = 400;
const MAX_LINE_CHARS = 500;
const MAX_CHARS = 40_000;

const input = z.object({
  path: z.string(),
  start_line: z.number().int().positive().optional(),
  end_line: z.number().int().positive().optional(),
});

export const viewTool: ToolSpec = {
  name: "view",
  description: `Show a file with line numbers (at most ${MAX_LINES} lines per call; use start_line/end_line for a range), or the entries of a directory. Paths are relative to the repository root.`,
  input_schema: {
    type: "object",
    properties: {
      path: { type: "string", description: "File or directory, relative to the repository root." },
      start_line: { type: "integer", description: "First line to show (1-based)." },
      end_line: { type: "integer", description: "Last line to show (inclusive)." },
    },
    required: ["path"],
  },
  async run(raw, ctx) {
    const parsed = parseInput(input, raw);
    if (!parsed.ok) return toolError(parsed.error);
    const { path, start_line, end_line } = parsed.value;
    const where = resolveWorkspacePath(ctx.workspaceReal, path, "read");
    if (!where.ok) return toolError(where.error);
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(where.absolute);
    } catch {
      return toolError(`${path}: no such file or directory`);
    }
    if (stat.isDirectory()) {
      const entries = readdirSync(where.absolute, { withFileTypes: true })
        .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
        .sort();
      return { content: entries.length === 0 ? "(empty directory)" : entries.join("\n") };
    }
    const buffer = readFileSync(where.absolute);
    if (buffer.includes(0)) return { content: `${path}: binary file, ${buffer.length} bytes` };
    const lines = buffer.toString("utf8").split("\n");
    if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
    if (lines.length === 0 || (lines.length === 1 && lines[0] === ""))
      return { content: `${path}: empty file` };
    const first = Math.max(1, start_line ?? 1);
    if (first > lines.length)
      return toolError(`${path} has ${lines.length} lines; start_line ${first} is past the end`);
    const last = Math.min(lines.length, end_line ?? first + MAX_LINES - 1, first + MAX_LINES - 1);
    const shown = lines
      .slice(first - 1, last)
      .map((l) => (l.length > MAX_LINE_CHARS ? `${l.slice(0, MAX_LINE_CHARS)}… [line cut]` : l));
    const more =
      last < lines.length || first > 1
        ? `\n[lines ${first}-${last} of ${lines.length}; use start_line/end_line for others]`
        : "";
    const text = numberLines(shown, first);
    if (text.length > MAX_CHARS) {
      const kept = text.slice(0, MAX_CHARS);
      const lastLine = kept.lastIndexOf("\n");
      const upTo = first + kept.slice(0, lastLine).split("\n").length - 1;
      return {
        content: `${kept.slice(0, lastLine)}\n[output cut at ${MAX_CHARS} characters: lines ${first}-${upTo} of ${lines.length}; view a smaller range]`,
      };
    }
    return { content: text + more };
  },
};
