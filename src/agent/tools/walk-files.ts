import { type Dirent, readdirSync } from "node:fs";
import { join } from "node:path";

/** Directories no tool lists or searches. */
export const SKIPPED_DIRS = new Set([".git", "node_modules", ".worktrees", "dist", "coverage"]);

/** Workspace files under `dir` (relative paths with `/`), sorted, skipping the usual noise. */
export function* walkFiles(root: string, dir: string, maxDepth = 50): Generator<string> {
  const stack: { abs: string; rel: string; depth: number }[] = [
    { abs: join(root, dir), rel: dir === "." ? "" : dir, depth: 0 },
  ];
  while (stack.length > 0) {
    const { abs, rel, depth } = stack.pop()!;
    let entries: Dirent[];
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch {
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? 1 : -1));
    for (const e of entries) {
      const childRel = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name) && depth < maxDepth)
          stack.push({ abs: join(abs, e.name), rel: childRel, depth: depth + 1 });
      } else if (e.isFile()) yield childRel;
    }
  }
}
