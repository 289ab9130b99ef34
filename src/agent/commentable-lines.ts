import type { ReviewComment } from "./host.js";

/**
 * Lines of the new version of each file that a unified diff shows (added or context lines):
 * the only lines GitHub accepts an inline review comment on.
 */
export function commentableLines(diff: string): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  let file: string | undefined;
  let line = 0;
  for (const raw of diff.split("\n")) {
    if (raw.startsWith("+++ ")) {
      const path = raw.slice(4).trim();
      file = path === "/dev/null" ? undefined : path.replace(/^b\//, "");
      if (file && !out.has(file)) out.set(file, new Set());
      continue;
    }
    if (raw.startsWith("--- ") || raw.startsWith("diff --git")) continue;
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(raw);
    if (hunk) {
      line = Number(hunk[1]);
      continue;
    }
    if (!file || line === 0) continue;
    if (raw.startsWith("+") || raw.startsWith(" ")) {
      out.get(file)!.add(line);
      line += 1;
    } else if (raw.startsWith("\\")) {
      // "\ No newline at end of file"
    }
  }
  return out;
}

/** Splits review comments into those on diff lines (inline) and the others (for the body). */
export function partitionComments(
  comments: ReviewComment[],
  diff: string,
): { inline: ReviewComment[]; outside: ReviewComment[] } {
  const lines = commentableLines(diff);
  const inline: ReviewComment[] = [];
  const outside: ReviewComment[] = [];
  for (const c of comments) {
    const path = c.path.replace(/^\.\//, "");
    if (lines.get(path)?.has(c.line)) inline.push({ ...c, path });
    else outside.push(c);
  }
  return { inline, outside };
}
