import picomatch from "picomatch";
import { z } from "zod";
import { git } from "../git.js";
import { parseInput } from "./parse-input.js";
import { type ToolSpec, toolError } from "./tool.js";
import { walkFiles } from "./walk-files.js";

const MAX_FILES = 200;

const input = z.object({ glob: z.string().min(1) });

/** Files by glob: the repository's tracked files and untracked ones .gitignore lets through. */
export const findFilesTool: ToolSpec = {
  name: "find_files",
  description: `Find files whose path matches a glob (e.g. "**/*.test.ts", "src/**/config*"): tracked files wherever they are, and untracked files .gitignore does not exclude. At most ${MAX_FILES} paths, sorted.`,
  input_schema: {
    type: "object",
    properties: { glob: { type: "string", description: "Glob over paths from the root." } },
    required: ["glob"],
  },
  async run(raw, ctx) {
    const parsed = parseInput(input, raw);
    if (!parsed.ok) return toolError(parsed.error);
    const isMatch = picomatch(parsed.value.glob.replace(/^\.\//, ""), { dot: true });
    const listed = await git(ctx.workspaceReal, [
      "ls-files",
      "-z",
      "--cached",
      "--others",
      "--exclude-standard",
    ]);
    const all =
      listed.code === 0
        ? [...new Set(listed.stdout.split("\0").filter(Boolean))]
        : [...walkFiles(ctx.workspaceReal, "")];
    const files = all.filter((f) => isMatch(f)).sort();
    if (files.length === 0) return { content: "no files match" };
    const shown = files.slice(0, MAX_FILES).join("\n");
    return {
      content:
        files.length > MAX_FILES
          ? `${shown}\n[${files.length - MAX_FILES} more files; narrow the glob]`
          : shown,
    };
  },
};
