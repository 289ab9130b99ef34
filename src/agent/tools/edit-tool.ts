import { readFileSync } from "node:fs";
import { z } from "zod";
import { numberLines } from "../truncate-output.js";
import { resolveWorkspacePath, writeWorkspaceFile } from "../workspace-path.js";
import { parseInput } from "./parse-input.js";
import { syntaxNote } from "./syntax-check.js";
import { type ToolSpec, toolError } from "./tool.js";

const input = z.object({ path: z.string(), old_string: z.string().min(1), new_string: z.string() });

export const editTool: ToolSpec = {
  name: "edit",
  description:
    "Replace one exact occurrence of old_string with new_string in a file. old_string must match the file exactly (whitespace included) and occur once: add surrounding lines to make it unique. Answers the edited region with line numbers.",
  input_schema: {
    type: "object",
    properties: {
      path: { type: "string", description: "File path relative to the repository root." },
      old_string: { type: "string", description: "Exact text to replace (unique in the file)." },
      new_string: { type: "string", description: "Replacement text." },
    },
    required: ["path", "old_string", "new_string"],
  },
  async run(raw, ctx) {
    const parsed = parseInput(input, raw);
    if (!parsed.ok) return toolError(parsed.error);
    const { path, old_string, new_string } = parsed.value;
    const where = resolveWorkspacePath(ctx.workspaceReal, path, "write");
    if (!where.ok) return toolError(where.error);
    let text: string;
    try {
      text = readFileSync(where.absolute, "utf8");
    } catch {
      return toolError(`${path}: no such file (use create_file for new files)`);
    }
    const first = text.indexOf(old_string);
    if (first < 0)
      return toolError(`${path}: old_string not found (view the file and copy the text exactly)`);
    const count = text.split(old_string).length - 1;
    if (count > 1)
      return toolError(
        `${path}: old_string occurs ${count} times; include more context to make it unique`,
      );
    const updated = text.slice(0, first) + new_string + text.slice(first + old_string.length);
    writeWorkspaceFile(where.absolute, updated);
    ctx.written.add(where.relative);
    const lines = updated.split("\n");
    if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
    const startLine = text.slice(0, first).split("\n").length;
    const endLine = startLine + new_string.split("\n").length - 1;
    const from = Math.max(1, startLine - 3);
    const to = Math.min(lines.length, endLine + 3);
    const note = await syntaxNote(where.absolute, where.relative, updated);
    return {
      content: `edited ${where.relative}:\n${numberLines(lines.slice(from - 1, to), from)}${note}`,
    };
  },
};
