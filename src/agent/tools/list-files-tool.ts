import { statSync } from "node:fs";
import { z } from "zod";
import { resolveWorkspacePath } from "../workspace-path.js";
import { parseInput } from "./parse-input.js";
import { type ToolSpec, toolError } from "./tool.js";
import { walkFiles } from "./walk-files.js";

const MAX_ENTRIES = 300;

const input = z.object({
  path: z.string().default("."),
  depth: z.number().int().min(1).max(20).default(3),
});

export const listFilesTool: ToolSpec = {
  name: "list_files",
  description: `List files under a directory (recursive to \`depth\`, default 3; skips .git and node_modules; at most ${MAX_ENTRIES} paths).`,
  input_schema: {
    type: "object",
    properties: {
      path: {
        type: "string",
        description: "Directory relative to the repository root (default '.').",
      },
      depth: { type: "integer", description: "How many directory levels to descend (default 3)." },
    },
  },
  async run(raw, ctx) {
    const parsed = parseInput(input, raw ?? {});
    if (!parsed.ok) return toolError(parsed.error);
    const where = resolveWorkspacePath(ctx.workspaceReal, parsed.value.path, "read");
    if (!where.ok) return toolError(where.error);
    try {
      if (!statSync(where.absolute).isDirectory())
        return toolError(`${parsed.value.path}: not a directory`);
    } catch {
      return toolError(`${parsed.value.path}: no such directory`);
    }
    const files: string[] = [];
    for (const f of walkFiles(ctx.workspaceReal, where.relative, parsed.value.depth - 1)) {
      files.push(f);
      if (files.length > 20_000) break;
    }
    files.sort();
    if (files.length === 0) return { content: "(no files)" };
    const shown = files.slice(0, MAX_ENTRIES).join("\n");
    return {
      content:
        files.length > MAX_ENTRIES
          ? `${shown}\n[${files.length - MAX_ENTRIES} more files; list a subdirectory]`
          : shown,
    };
  },
};
