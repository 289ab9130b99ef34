import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileTool } from "../../src/agent/tools/create-file-tool.js";
import { editTool } from "../../src/agent/tools/edit-tool.js";
import type { ToolContext } from "../../src/agent/tools/tool.js";
import { viewTool } from "../../src/agent/tools/view-tool.js";
import { resolveWorkspacePath } from "../../src/agent/workspace-path.js";

/**
 * The reviewer has no shell, yet wrote ~/.gitconfig through a dangling symlink committed in
 * the PR; the same worked into .git/hooks. The file tools refuse every symlink on write.
 */
let root: string;
let ws: string;
let home: string;
const ctx = (): ToolContext => ({
  workspaceReal: ws,
  env: {},
  timeLeftMs: () => 60_000,
  commands: [],
  written: new Set(),
});

beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), "ws-links-")));
  ws = join(root, "ws");
  home = join(root, "home");
  mkdirSync(join(ws, ".git", "hooks"), { recursive: true });
  mkdirSync(home);
  writeFileSync(join(ws, "ok.txt"), "hello\n");
  // What the PR commits: dangling links to the home's git config and to a git hook.
  symlinkSync(join(home, ".gitconfig"), join(ws, "notes.md"));
  symlinkSync(".git/hooks/pre-commit", join(ws, "setup.sh"));
  // A symlinked directory component, pointing out of the workspace.
  mkdirSync(join(home, "outside"));
  symlinkSync(join(home, "outside"), join(ws, "docs"));
  // One pointing inside (reads through it are fine, writes are not).
  mkdirSync(join(ws, "src"));
  writeFileSync(join(ws, "src", "a.ts"), "export const a = 1;\n");
  symlinkSync("src", join(ws, "lib"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("file tools and symlinks in the workspace", () => {
  it("create_file does not write ~/.gitconfig through a dangling symlink", async () => {
    const out = await createFileTool.run(
      { path: "notes.md", content: '[core]\n\tfsmonitor = "touch /tmp/pwned"\n' },
      ctx(),
    );
    expect(out.isError).toBe(true);
    expect(out.content).toMatch(/symlink/);
    expect(existsSync(join(home, ".gitconfig"))).toBe(false);
  });

  it("create_file does not write a git hook through a dangling symlink", async () => {
    const out = await createFileTool.run({ path: "setup.sh", content: "#!/bin/sh\nid\n" }, ctx());
    expect(out.isError).toBe(true);
    expect(existsSync(join(ws, ".git", "hooks", "pre-commit"))).toBe(false);
  });

  it("no write through a symlinked directory component, out or in", async () => {
    const out = await createFileTool.run({ path: "docs/x.md", content: "x" }, ctx());
    expect(out.isError).toBe(true);
    expect(existsSync(join(home, "outside", "x.md"))).toBe(false);
    const inward = await createFileTool.run({ path: "lib/b.ts", content: "x" }, ctx());
    expect(inward.isError).toBe(true);
    expect(existsSync(join(ws, "src", "b.ts"))).toBe(false);
  });

  it("edit refuses a symlink that points at a file inside too", async () => {
    symlinkSync("ok.txt", join(ws, "alias.txt"));
    const out = await editTool.run(
      { path: "alias.txt", old_string: "hello", new_string: "bye" },
      ctx(),
    );
    expect(out.isError).toBe(true);
    expect(readFileSync(join(ws, "ok.txt"), "utf8")).toBe("hello\n");
  });

  it("writes inside .git are refused, however spelled", () => {
    for (const p of [".git/hooks/pre-commit", ".GIT/config", "src/../.git/config"])
      expect(resolveWorkspacePath(ws, p, "write").ok, p).toBe(false);
  });

  it("reads follow a symlink only when it resolves inside; a dangling one is refused", async () => {
    expect((await viewTool.run({ path: "lib/a.ts" }, ctx())).content).toContain("export const a");
    expect(resolveWorkspacePath(ws, "notes.md", "read").ok).toBe(false);
    expect(resolveWorkspacePath(ws, "docs/x.md", "read").ok).toBe(false);
  });

  it("plain files and new folders are still written", async () => {
    const out = await createFileTool.run({ path: "new/dir/f.txt", content: "x\n" }, ctx());
    expect(out.isError).toBeFalsy();
    expect(readFileSync(join(ws, "new", "dir", "f.txt"), "utf8")).toBe("x\n");
    const edit = await editTool.run(
      { path: "ok.txt", old_string: "hello", new_string: "bye" },
      ctx(),
    );
    expect(edit.isError).toBeFalsy();
    expect(readFileSync(join(ws, "ok.txt"), "utf8")).toBe("bye\n");
  });
});
