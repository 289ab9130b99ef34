import { existsSync, realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

/**
 * Confines a path given by the agent to the workspace: resolves symlinks of the longest
 * existing prefix, refuses anything that lands outside (`..`, absolute paths, escaping
 * symlinks) and, for writes, anything inside `.git`.
 */
export type WorkspacePath =
  | { ok: true; absolute: string; relative: string }
  | { ok: false; error: string };

export function resolveWorkspacePath(
  workspaceReal: string,
  input: string,
  mode: "read" | "write",
): WorkspacePath {
  if (typeof input !== "string" || input.trim() === "")
    return { ok: false, error: "path is empty" };
  if (input.includes("\0")) return { ok: false, error: "path contains a NUL byte" };
  const candidate = isAbsolute(input) ? resolve(input) : resolve(workspaceReal, input);
  if (!inside(workspaceReal, candidate))
    return { ok: false, error: `${input}: outside the workspace (paths are relative to it)` };
  const real = realOfLongestExisting(candidate);
  if (!inside(workspaceReal, real))
    return { ok: false, error: `${input}: resolves through a symlink to outside the workspace` };
  const rel = relative(workspaceReal, real);
  const first = rel.split(sep)[0] ?? "";
  if (mode === "write" && first.toLowerCase() === ".git")
    return { ok: false, error: `${input}: writing inside .git is not allowed` };
  return { ok: true, absolute: real, relative: rel === "" ? "." : rel.split(sep).join("/") };
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

function realOfLongestExisting(path: string): string {
  const rest: string[] = [];
  let current = path;
  for (;;) {
    if (existsSync(current)) {
      try {
        return join(realpathSync(current), ...rest.reverse());
      } catch {
        return path;
      }
    }
    const parent = dirname(current);
    if (parent === current) return path;
    rest.push(basename(current));
    current = parent;
  }
}
