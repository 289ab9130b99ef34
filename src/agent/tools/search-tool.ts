import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import picomatch from "picomatch";
import { z } from "zod";
import { resolveWorkspacePath } from "../workspace-path.js";
import { parseInput } from "./parse-input.js";
import { type ToolSpec, toolError } from "./tool.js";
import { walkFiles } from "./walk-files.js";

const MAX_MATCHES = 100;
const MAX_FILE_BYTES = 1_000_000;

const input = z.object({
  pattern: z.string().min(1),
  path: z.string().default("."),
  regex: z.boolean().default(false),
  glob: z.string().optional(),
});

export const searchTool: ToolSpec = {
  name: "search",
  description: `Search file contents: plain text by default, a JavaScript regular expression with regex: true. Answers path:line: text, at most ${MAX_MATCHES} matches. Optional glob filters paths (e.g. "src/**/*.ts").`,
  input_schema: {
    type: "object",
    properties: {
      pattern: { type: "string", description: "Text (or regex) to find." },
      path: { type: "string", description: "Directory to search (default '.')." },
      regex: { type: "boolean", description: "Treat pattern as a regular expression." },
      glob: { type: "string", description: "Only files whose path matches this glob." },
    },
    required: ["pattern"],
  },
  async run(raw, ctx) {
    const parsed = parseInput(input, raw);
    if (!parsed.ok) return toolError(parsed.error);
    const { pattern, path, regex, glob } = parsed.value;
    const where = resolveWorkspacePath(ctx.workspaceReal, path, "read");
    if (!where.ok) return toolError(where.error);
    let test: (line: string) => boolean;
    if (regex) {
      let re: RegExp;
      try {
        re = new RegExp(pattern);
      } catch (e: unknown) {
        return toolError(
          `invalid regular expression: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
      test = (line) => re.test(line);
    } else test = (line) => line.includes(pattern);
    const matchGlob = glob ? picomatch(glob, { dot: true }) : () => true;
    const files = [...walkFiles(ctx.workspaceReal, where.relative)].filter((f) => matchGlob(f));
    files.sort();
    const out: string[] = [];
    let total = 0;
    for (const file of files) {
      const abs = join(ctx.workspaceReal, file);
      try {
        if (statSync(abs).size > MAX_FILE_BYTES) continue;
      } catch {
        continue;
      }
      const buffer = readFileSync(abs);
      if (buffer.includes(0)) continue;
      const lines = buffer.toString("utf8").split("\n");
      lines.forEach((line, i) => {
        if (!test(line)) return;
        total += 1;
        if (out.length < MAX_MATCHES)
          out.push(`${file}:${i + 1}: ${line.length > 200 ? `${line.slice(0, 200)}…` : line}`);
      });
    }
    if (total === 0) return { content: "no matches" };
    return {
      content:
        total > MAX_MATCHES
          ? `${out.join("\n")}\n[${total - MAX_MATCHES} more matches; narrow the search]`
          : out.join("\n"),
    };
  },
};
