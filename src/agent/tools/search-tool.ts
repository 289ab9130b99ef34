import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import picomatch from "picomatch";
import { z } from "zod";
import { git } from "../git.js";
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
  ignore_case: z.boolean().default(false),
  context: z.number().int().min(0).max(10).default(0),
});

export const searchTool: ToolSpec = {
  name: "search",
  description: `Search file contents with git grep: the repository's tracked files wherever they are and its untracked files that .gitignore does not exclude. Plain text by default, an extended regular expression with regex: true; ignore_case and context lines optional. Answers path:line: text, at most ${MAX_MATCHES} matches. Optional glob filters paths (e.g. "src/**/*.ts").`,
  input_schema: {
    type: "object",
    properties: {
      pattern: { type: "string", description: "Text (or regex) to find." },
      path: { type: "string", description: "Directory to search (default '.')." },
      regex: {
        type: "boolean",
        description: "Treat pattern as an extended regular expression (POSIX ERE).",
      },
      glob: { type: "string", description: "Only files whose path matches this glob." },
      ignore_case: { type: "boolean", description: "Match case-insensitively." },
      context: { type: "integer", description: "Lines of context around each match (0-10)." },
    },
    required: ["pattern"],
  },
  async run(raw, ctx) {
    const parsed = parseInput(input, raw);
    if (!parsed.ok) return toolError(parsed.error);
    const { pattern, path, regex, glob } = parsed.value;
    const where = resolveWorkspacePath(ctx.workspaceReal, path, "read");
    if (!where.ok) return toolError(where.error);
    const viaGit = await gitGrep(ctx.workspaceReal, where.relative, parsed.value);
    if (viaGit) return viaGit;
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
    } else if (parsed.value.ignore_case) {
      const lower = pattern.toLowerCase();
      test = (line) => line.toLowerCase().includes(lower);
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

/**
 * The search through `git grep` (tracked files, and untracked ones .gitignore lets through).
 * Undefined when the workspace is not a git repository (the caller walks the files instead).
 */
async function gitGrep(
  root: string,
  relative: string,
  o: {
    pattern: string;
    regex: boolean;
    glob?: string | undefined;
    ignore_case: boolean;
    context: number;
  },
): Promise<{ content: string; isError?: boolean } | undefined> {
  const args = (untracked: boolean) => [
    "grep",
    "--no-color",
    "-n",
    "-I",
    "--full-name",
    "--null",
    "--column",
    // Tracked files (ignored or not) in one pass; untracked files .gitignore lets through in
    // a second (git grep does not do both at once).
    ...(untracked ? ["--untracked", "--exclude-standard"] : []),
    o.regex ? "-E" : "-F",
    ...(o.ignore_case ? ["-i"] : []),
    ...(o.context > 0 ? [`-C${o.context}`] : []),
    "-e",
    o.pattern,
    "--",
    o.glob ? `:(glob)${joinGlob(relative, o.glob)}` : relative === "" ? "." : relative,
  ];
  const tracked = await git(root, args(false));
  const failed = (r: { code: number; stderr: string }) =>
    r.code !== 0 && !(r.code === 1 && r.stderr.trim() === "");
  if (failed(tracked)) {
    if (/not a git repository/i.test(tracked.stderr)) return undefined;
    return toolError(`search failed: ${tracked.stderr.trim().split("\n")[0]}`);
  }
  const untracked = await git(root, args(true));
  const trackedFiles = new Set(
    tracked.stdout.split("\n").flatMap((l) => (l.includes("\0") ? [l.split("\0")[0]!] : [])),
  );
  const extra = failed(untracked)
    ? []
    : untracked.stdout
        .split("\n")
        .filter((l) => l.includes("\0") && !trackedFiles.has(l.split("\0")[0]!));
  const r = { stdout: [...tracked.stdout.split("\n"), ...extra].join("\n") };
  const lines = r.stdout.split("\n").filter((l) => l !== "");
  let matches = 0;
  const out: string[] = [];
  for (const raw of lines) {
    // With --null --column: a match is "path\0line\0column\0text", a context line
    // "path\0line\0text" (text holds no NUL: binary files are skipped), "--" a gap.
    const parts = raw.split("\0");
    if (parts.length < 3) {
      if (matches < MAX_MATCHES) out.push(raw);
      continue;
    }
    const isMatch = parts.length >= 4;
    if (isMatch) matches += 1;
    if (matches > MAX_MATCHES) continue;
    const sep = isMatch ? ":" : "-";
    const text = isMatch ? parts.slice(3).join("") : parts.slice(2).join("");
    const line = `${parts[0]}${sep}${parts[1]}${sep} ${text}`;
    out.push(line.length > 240 ? `${line.slice(0, 240)}…` : line);
  }
  if (matches === 0) return { content: "no matches" };
  return {
    content:
      matches > MAX_MATCHES
        ? `${out.join("\n")}\n[${matches - MAX_MATCHES} more matches; narrow the search]`
        : out.join("\n"),
  };
}

function joinGlob(relative: string, glob: string): string {
  const g = glob.replace(/^\.\//, "");
  if (relative === "" || relative === "." || g.startsWith(`${relative}/`)) return g;
  return `${relative}/${g}`;
}
