import {
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  realpathSync,
  writeSync,
} from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

/**
 * Confines a path given by the agent to the workspace. Every component is checked with
 * `lstat`, from the workspace down: `..` and absolute paths outside are refused; for reads a
 * symlink is followed only when it resolves inside the workspace (a dangling one is refused);
 * for writes no component may be a symlink at all, and nothing inside `.git` is written. A
 * PR can commit a dangling symlink (to `~/.gitconfig`, to `.git/hooks/pre-commit`): a write
 * through it would land outside the workspace, or in git's own files.
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
  const parts = relative(workspaceReal, candidate).split(sep).filter(Boolean);
  let current = workspaceReal;
  for (let i = 0; i < parts.length; i++) {
    const next = join(current, parts[i]!);
    let isLink: boolean;
    try {
      isLink = lstatSync(next).isSymbolicLink();
    } catch {
      // Not there: the rest of the path is new (created by a write).
      current = join(next, ...parts.slice(i + 1));
      break;
    }
    if (isLink) {
      const shown = relative(workspaceReal, next).split(sep).join("/");
      if (mode === "write")
        return {
          ok: false,
          error: `${input}: ${shown} is a symlink; the tools do not write through symlinks`,
        };
      let target: string;
      try {
        target = realpathSync(next);
      } catch {
        return { ok: false, error: `${input}: ${shown} is a dangling symlink` };
      }
      if (!inside(workspaceReal, target))
        return {
          ok: false,
          error: `${input}: resolves through a symlink to outside the workspace`,
        };
      current = target;
    } else current = next;
  }
  const rel = relative(workspaceReal, current);
  const first = rel.split(sep)[0] ?? "";
  if (mode === "write" && first.toLowerCase() === ".git")
    return { ok: false, error: `${input}: writing inside .git is not allowed` };
  return { ok: true, absolute: current, relative: rel === "" ? "." : rel.split(sep).join("/") };
}

/**
 * Writes a file resolved by `resolveWorkspacePath(…, "write")`: parents are created, and the
 * file is opened with O_NOFOLLOW, so a symlink put there in the meantime is not followed.
 */
export function writeWorkspaceFile(absolute: string, content: string): void {
  mkdirSync(dirname(absolute), { recursive: true });
  const fd = openSync(
    absolute,
    constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
    0o644,
  );
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}
