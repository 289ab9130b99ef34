import { execFile, execFileSync } from "node:child_process";
import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// `npm run release -- X.Y.Z` on a temporary clone of this checkout: its files as they are in
// the work tree, committed in a fresh repository (node_modules linked, not copied). The
// release checks that dist/ matches the sources, so dist/ must be built from them.

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../..");
let clone: string;

function git(args: string[]): string {
  return execFileSync("git", args, { cwd: clone, encoding: "utf8" }).trim();
}

async function release(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await run(process.execPath, ["scripts/release.mjs", ...args], { cwd: clone });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e: unknown) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? 1, out: x.stdout ?? "", err: x.stderr ?? "" };
  }
}

beforeAll(() => {
  clone = mkdtempSync(join(tmpdir(), "conveyor-release-"));
  // Tracked and new files alike (not the ignored ones): the work tree as it would be committed.
  const files = execFileSync(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    { cwd: root, encoding: "utf8" },
  )
    .split("\0")
    .filter(Boolean);
  for (const f of files) {
    mkdirSync(dirname(join(clone, f)), { recursive: true });
    try {
      copyFileSync(join(root, f), join(clone, f));
    } catch {
      // deleted in the work tree, not yet committed
    }
  }
  symlinkSync(join(root, "node_modules"), join(clone, "node_modules"));
  git(["init", "-q", "-b", "main"]);
  git(["config", "user.name", "Release Test"]);
  git(["config", "user.email", "release@example.com"]);
  git(["add", "-A"]);
  git(["commit", "-q", "-m", "clone"]);
});

afterAll(() => {
  if (clone) rmSync(clone, { recursive: true, force: true });
});

describe("npm run release", () => {
  it("refuses a version that is not X.Y.Z", async () => {
    const r = await release("v1.2");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not a version X\.Y\.Z/);
    expect(git(["tag"])).toBe("");
  });

  it("refuses a work tree that is not clean", async () => {
    appendFileSync(join(clone, "README.md"), "\nlocal edit\n");
    const r = await release("1.0.0");
    git(["checkout", "--", "README.md"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not clean/);
    expect(git(["tag"])).toBe("");
  });

  it("refuses a dist/ that does not match the sources, and leaves dist/ as it was", async () => {
    const cli = join(clone, "dist", "cli.js");
    const committed = readFileSync(cli, "utf8");
    writeFileSync(cli, `${committed}\n// stale\n`);
    git(["commit", "-q", "-am", "stale dist"]);
    const r = await release("1.0.0");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/dist\/ does not match the sources/);
    expect(git(["status", "--porcelain"])).toBe("");
    expect(git(["tag"])).toBe("");
    git(["reset", "-q", "--hard", "HEAD~1"]);
  }, 120_000);

  it("releases the Unreleased section as X.Y.Z, tags vX.Y.Z and moves vX", async () => {
    const before = readFileSync(join(clone, "CHANGELOG.md"), "utf8");
    const unreleased = before.split("## [Unreleased]")[1]?.trim().split("\n")[0];
    const r = await release("1.0.0");
    expect(r.err).not.toMatch(/release: /);
    expect(r.code).toBe(0);
    const changelog = readFileSync(join(clone, "CHANGELOG.md"), "utf8");
    const today = new Date().toISOString().slice(0, 10);
    expect(changelog).toMatch(new RegExp(`## \\[Unreleased\\]\n\n## \\[1\\.0\\.0\\] - ${today}\n`));
    // What was unreleased is now under 1.0.0.
    expect(changelog.split("## [1.0.0]")[1]).toContain(unreleased);
    expect(changelog).toContain(
      "[Unreleased]: https://github.com/conveyor-dev/conveyor/compare/v1.0.0...HEAD",
    );
    expect(JSON.parse(readFileSync(join(clone, "package.json"), "utf8")).version).toBe("1.0.0");
    const lock = JSON.parse(readFileSync(join(clone, "package-lock.json"), "utf8"));
    expect([lock.version, lock.packages[""].version]).toEqual(["1.0.0", "1.0.0"]);
    const head = git(["rev-parse", "HEAD"]);
    expect(git(["log", "-1", "--format=%s"])).toBe("Release v1.0.0");
    expect(git(["rev-parse", "v1.0.0^{commit}"])).toBe(head);
    expect(git(["rev-parse", "v1^{commit}"])).toBe(head);
    expect(git(["status", "--porcelain"])).toBe("");
    expect(r.out).toContain("git push --force origin v1");
  }, 120_000);

  it("refuses an empty Unreleased section and a version already tagged", async () => {
    const empty = await release("1.0.1");
    expect(empty.code).toBe(1);
    expect(empty.err).toMatch(/lists no change/);
    const again = await release("1.0.0");
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/tag v1\.0\.0 exists/);
  });

  it("moves the major tag with the next release", async () => {
    const changelog = readFileSync(join(clone, "CHANGELOG.md"), "utf8");
    writeFileSync(
      join(clone, "CHANGELOG.md"),
      changelog.replace("## [Unreleased]\n", "## [Unreleased]\n\n### Fixed\n\n- A fix.\n"),
    );
    git(["commit", "-q", "-am", "a fix"]);
    const r = await release("1.0.1");
    expect(r.code).toBe(0);
    const head = git(["rev-parse", "HEAD"]);
    expect(git(["rev-parse", "v1^{commit}"])).toBe(head);
    expect(git(["rev-parse", "v1.0.0^{commit}"])).not.toBe(head);
    const out = readFileSync(join(clone, "CHANGELOG.md"), "utf8");
    expect(out).toMatch(/## \[1\.0\.1\] - [\d-]+\n\n### Fixed\n\n- A fix\.\n\n## \[1\.0\.0\]/);
    expect(out).toContain(
      "[1.0.1]: https://github.com/conveyor-dev/conveyor/compare/v1.0.0...v1.0.1",
    );
  }, 120_000);
});
