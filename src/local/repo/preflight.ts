import type { PreflightResult } from "../../core/board.js";
import type { Config } from "../../core/config.js";
import { httpCheck } from "../../github/http-errors.js";
import { git } from "../git/git.js";

/** Paths people may edit while Conveyor runs: they never make the tree count as dirty. */
export function pathspecExcluding(paths: readonly string[]): string[] {
  return ["--", ".", ...paths.map((p) => `:(exclude)${p}`)];
}

/**
 * Pre-flight of the workflow before any dispatch: each configured HTTP readiness check,
 * then a clean work tree on tracked files (`git diff --quiet && git diff --cached --quiet`),
 * leaving out the tracking files people edit by hand.
 */
export async function runPreflight(
  root: string,
  config: Config,
  handEdited: readonly string[],
  fetchImpl: typeof fetch = fetch,
): Promise<PreflightResult[]> {
  const results: PreflightResult[] = [];
  for (const check of config.preflight.http) {
    results.push(await httpCheck(check, fetchImpl));
  }
  if (config.preflight.baseBranchGreen) {
    const spec = pathspecExcluding(handEdited);
    const unstaged = await git(root, ["diff", "--quiet", ...spec]);
    const staged = await git(root, ["diff", "--cached", "--quiet", ...spec]);
    const ok = unstaged.code === 0 && staged.code === 0;
    let detail = "work tree clean";
    if (!ok) {
      const names = await git(root, ["diff", "HEAD", "--name-only", ...spec]);
      const files = names.stdout.split("\n").filter((l) => l.trim() !== "");
      detail = `uncommitted changes to tracked files (${files.slice(0, 5).join(", ")}${files.length > 5 ? ", …" : ""}): commit or stash them`;
    }
    results.push({ name: "clean work tree", ok, detail });
  }
  return results;
}
