import { existsSync } from "node:fs";
import { z } from "zod";
import { resolveWorkspacePath, writeWorkspaceFile } from "../workspace-path.js";
import { parseInput } from "./parse-input.js";
import { syntaxNote } from "./syntax-check.js";
import { type ToolSpec, toolError } from "./tool.js";

const input = z.object({ path: z.string(), content: z.string() });

export const createFileTool: ToolSpec = {
  name: "create_file",
  description:
    "Create a file with the given content (parent directories are created). Overwrites an existing file: prefer `edit` for changes to existing files.",
  input_schema: {
    type: "object",
    properties: {
      path: { type: "string", description: "File path relative to the repository root." },
      content: { type: "string", description: "The whole content of the file." },
    },
    required: ["path", "content"],
  },
  async run(raw, ctx) {
    const parsed = parseInput(input, raw);
    if (!parsed.ok) return toolError(parsed.error);
    const where = resolveWorkspacePath(ctx.workspaceReal, parsed.value.path, "write");
    if (!where.ok) return toolError(where.error);
    const existed = existsSync(where.absolute);
    writeWorkspaceFile(where.absolute, parsed.value.content);
    ctx.written.add(where.relative);
    const lines = parsed.value.content.split("\n").length;
    const note = await syntaxNote(where.absolute, where.relative, parsed.value.content);
    return {
      content: `${existed ? "overwrote" : "created"} ${where.relative} (${lines} lines)${note}`,
    };
  },
};
