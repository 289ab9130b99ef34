import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileTool } from "../../src/agent/tools/create-file-tool.js";
import { editTool } from "../../src/agent/tools/edit-tool.js";
import { findFilesTool } from "../../src/agent/tools/find-files-tool.js";
import { searchTool } from "../../src/agent/tools/search-tool.js";
import type { ToolContext } from "../../src/agent/tools/tool.js";
import { sh } from "./support/git-fixture.js";

let root: string;
let ctx: ToolContext;

function write(files: Record<string, string>) {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), "conveyor-search-")));
  sh(root, "init", "-q", "-b", "main");
  write({
    ".gitignore": ".venv/\ndist/\n",
    "src/app.ts": "export function Widget() {}\nconst a = 1;\n// widget helper\n",
    "dist/bundle.js": "function Widget(){}\n",
    ".venv/lib/site.py": "Widget = 1\n".repeat(150),
    "notes.txt": "untracked widget note\n",
  });
  sh(root, "add", ".gitignore", "src/app.ts");
  sh(root, "add", "-f", "dist/bundle.js");
  ctx = {
    workspaceReal: root,
    env: {},
    timeLeftMs: () => 60_000,
    commands: [],
    written: new Set(),
  };
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("search through git grep", () => {
  it("skips what .gitignore ignores and finds tracked files wherever they are", async () => {
    const out = (await searchTool.run({ pattern: "Widget" }, ctx)).content;
    expect(out).toContain("dist/bundle.js:1: function Widget(){}");
    expect(out).toContain("src/app.ts:1: export function Widget() {}");
    expect(out).not.toContain(".venv");
  });

  it("searches case-insensitively, with context lines, and untracked files", async () => {
    const out = (
      await searchTool.run(
        { pattern: "widget", ignore_case: true, context: 1, glob: "src/**" },
        ctx,
      )
    ).content;
    expect(out).toContain("src/app.ts:1: export function Widget() {}");
    expect(out).toContain("src/app.ts-2- const a = 1;");
    expect(out).toContain("src/app.ts:3: // widget helper");
    const untracked = (await searchTool.run({ pattern: "widget note" }, ctx)).content;
    expect(untracked).toContain("notes.txt:1:");
  });

  it("takes extended regular expressions, and says when nothing matches", async () => {
    expect((await searchTool.run({ pattern: "^const [a-z] =", regex: true }, ctx)).content).toBe(
      "src/app.ts:2: const a = 1;",
    );
    expect((await searchTool.run({ pattern: "nothing-like-this" }, ctx)).content).toBe(
      "no matches",
    );
  });
});

describe("find_files", () => {
  it("lists files by glob: tracked and not ignored", async () => {
    expect((await findFilesTool.run({ glob: "**/*.{js,ts,py}" }, ctx)).content).toBe(
      "dist/bundle.js\nsrc/app.ts",
    );
    expect((await findFilesTool.run({ glob: "*.txt" }, ctx)).content).toBe("notes.txt");
    expect((await findFilesTool.run({ glob: "**/*.rb" }, ctx)).content).toBe("no files match");
  });
});

const hasPython = (() => {
  try {
    execFileSync("python3", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe("edit feedback: a syntax check after each write", () => {
  it.each([
    ["conf.json", '{"a": 1,}', "invalid JSON"],
    ["conf.yml", "a: [1, 2\nb: 3\n", "invalid YAML"],
    ["lib.js", "export const x = (;\n", "syntax error"],
    ["lib.ts", "export const x: number = (;\n", "lib.ts:1:"],
  ])("%s", async (path, content, expected) => {
    const out = (await createFileTool.run({ path, content }, ctx)).content;
    expect(out).toContain("The file now has a problem");
    expect(out).toContain(expected);
  });

  it.skipIf(!hasPython)("python, without writing bytecode into the workspace", async () => {
    const out = (await createFileTool.run({ path: "m.py", content: "def f(:\n  pass\n" }, ctx))
      .content;
    expect(out).toContain("syntax error");
    expect(out).toContain("m.py");
    expect((await findFilesTool.run({ glob: "**/__pycache__/**" }, ctx)).content).toBe(
      "no files match",
    );
  });

  it("says nothing when the file is fine, and reports an edit that breaks it", async () => {
    const ok = (await createFileTool.run({ path: "ok.json", content: '{"a": 1}\n' }, ctx)).content;
    expect(ok).toBe("created ok.json (2 lines)");
    const broken = (
      await editTool.run({ path: "ok.json", old_string: '"a": 1', new_string: '"a": 1,' }, ctx)
    ).content;
    expect(broken).toContain("invalid JSON");
  });
});
