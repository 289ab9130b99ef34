import { execFileSync } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { RunRoleOptions } from "../../src/agent/role-types.js";
import { runRole } from "../../src/agent/run-role.js";
import { ranNoTests, relatedTests, selectTests } from "../../src/agent/targeted-tests.js";
import type { ConfigInput } from "../../src/core/config.js";
import {
  type FakeMessagesServer,
  startFakeMessagesServer,
} from "../../src/replay/fake-messages-server.js";
import { script } from "../../src/replay/script.js";
import { type Fixture, makeFixture, pushChange, sh } from "./support/git-fixture.js";
import { MemoryHost } from "./support/memory-host.js";
import { configOf, roleOptions } from "./support/role-options.js";

const BRANCH = "conveyor/7-fix-add";
const ID = "7/tester/0/1";

let fx: Fixture | undefined;
let server: FakeMessagesServer | undefined;
let host: MemoryHost;

afterEach(async () => {
  await server?.close();
  server = undefined;
  fx?.cleanup();
  fx = undefined;
});

/** A repo whose task branch changes `changes`; the tester runs with a model that gives up. */
async function testBranch(
  files: Record<string, string>,
  changes: Record<string, string>,
  config: ConfigInput = {},
  over: Partial<RunRoleOptions> = {},
) {
  fx = makeFixture(files);
  sh(fx.work, "push", "-q", "origin", `main:${BRANCH}`);
  pushChange(fx, BRANCH, changes, "Change");
  host = new MemoryHost();
  server = await startFakeMessagesServer({
    scripts: {
      [ID]: script().finish({ summary: "cannot fix it", outcome: "failed" }).turns(),
    },
  });
  return runRole(
    roleOptions(server, host, fx.work, {
      role: "tester",
      correlationId: ID,
      pr: 42,
      config: configOf(config),
      ...over,
    }),
  );
}

const hasPython = (() => {
  try {
    execFileSync("python3", ["-m", "pytest", "--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe("the tester fails closed", () => {
  it.skipIf(!hasPython)(
    "runs tests/test_arith.py for a broken Python module it imports, and reports the failure",
    async () => {
      const out = await testBranch(
        {
          "calc.py": "def add(a, b):\n    return a + b\n",
          "tests/test_arith.py":
            "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
        },
        { "calc.py": "def add(a, b):\n    return a - b\n" },
      );
      expect(out.result.passed).toBe(false);
      expect(out.commands.map((c) => c.command)).toContain(
        "python3 -m pytest -q tests/test_arith.py",
      );
      expect(host.checks[0]).toMatchObject({ name: "conveyor/test", conclusion: "failure" });
    },
    120_000, // pytest starts slowly on a busy machine
  );

  it("runs a node:test repository's related tests (and passes only when they pass)", async () => {
    const files = {
      "package.json": JSON.stringify({ type: "module", scripts: { test: "node --test" } }),
      "lib/math.js": "export const add = (a, b) => a + b;\n",
      "test/math.test.js":
        'import { test } from "node:test";\nimport assert from "node:assert";\nimport { add } from "../lib/math.js";\ntest("add", () => assert.equal(add(2, 3), 5));\n',
    };
    const broken = await testBranch(files, {
      "lib/math.js": "export const add = (a, b) => a * b;\n",
    });
    expect(broken.result.passed).toBe(false);
    expect(broken.commands[0]).toMatchObject({
      command: "node --test test/math.test.js",
      exitCode: 1,
    });
    await server?.close();
    fx?.cleanup();
    const fine = await testBranch(files, {
      "lib/math.js": "export const add = (a, b) => b + a;\n",
    });
    expect(fine.result).toMatchObject({ outcome: "ok", passed: true });
    expect(fine.result.summary).toContain("related to the changed files");
  });

  it("never reports a pass when no test ran", async () => {
    const out = await testBranch({ "README.md": "hi\n" }, { "README.md": "hello\n" });
    expect(out.result.passed).toBe(false);
    expect(out.result.summary).toContain("No tests ran");
    expect(out.result.summary).toContain("tests.fallback");
    expect(host.checks[0]).toMatchObject({ conclusion: "failure" });
  });

  it("falls back to the project's own test command and says so", async () => {
    const out = await testBranch(
      {
        "package.json": JSON.stringify({ scripts: { test: "node check.js" } }),
        "check.js":
          'if (require("fs").readFileSync("data.txt", "utf8") !== "ok\\n") process.exit(1);\n',
        "data.txt": "ok\n",
      },
      { "data.txt": "broken\n" },
    );
    expect(out.commands[0]).toMatchObject({ command: "npm test", exitCode: 1 });
    expect(out.result.passed).toBe(false);
    expect(out.result.summary).toContain("the project's own test command ran (package.json test)");
  });

  it("uses tests.fallback from the config when nothing else matches", async () => {
    const out = await testBranch(
      { "data.txt": "ok\n" },
      { "data.txt": "still ok\n" },
      { tests: { fallback: "grep -q ok data.txt && echo 'running 1 test'" } },
    );
    expect(out.result).toMatchObject({ outcome: "ok", passed: true });
    expect(out.result.summary).toContain("(tests.fallback)");
  });

  it("passes only when every selected command passed", async () => {
    const out = await testBranch(
      { "a.txt": "a\n", "b.txt": "b\n" },
      { "a.txt": "a2\n", "b.txt": "b2\n" },
      {
        tests: {
          rules: [
            { glob: "a.txt", command: "true" },
            { glob: "b.txt", command: "false" },
          ],
        },
      },
    );
    expect(out.commands.slice(0, 2).map((c) => c.exitCode)).toEqual([0, 1]);
    expect(out.result.passed).toBe(false);
    expect(host.checks[0]).toMatchObject({ conclusion: "failure" });
  });

  it("counts a command that exits 0 without running a test as failing", async () => {
    const out = await testBranch(
      { "a.txt": "a\n" },
      { "a.txt": "a2\n" },
      { tests: { rules: [{ glob: "a.txt", command: "echo 'ℹ tests 0'" }] } },
    );
    expect(out.result.passed).toBe(false);
    expect(out.result.summary).toContain("(no test ran)");
  });

  it("a tester whose push was refused has failed", async () => {
    const files = { "a.txt": "a\n" };
    fx = makeFixture(files);
    sh(fx.work, "push", "-q", "origin", `main:${BRANCH}`);
    pushChange(fx, BRANCH, { "a.txt": "a2\n" }, "Change");
    pushChange(fx, "main", { "b.txt": "b\n" }, "Base moved");
    const hook = join(fx.remote, "hooks", "pre-receive");
    writeFileSync(hook, "#!/bin/sh\necho 'push refused by policy' >&2\nexit 1\n");
    chmodSync(hook, 0o755);
    host = new MemoryHost();
    server = await startFakeMessagesServer({});
    const out = await runRole(
      roleOptions(server, host, fx.work, {
        role: "tester",
        correlationId: ID,
        pr: 42,
        config: configOf({
          tests: { rules: [{ glob: "a.txt", command: "echo 'running 1 test'" }] },
        }),
      }),
    );
    expect(out.result).toMatchObject({ outcome: "failed", passed: false });
    expect(out.result.summary).toContain("Push failed");
    expect(out.result.summary).toMatch(/Push failed: .*(rejected|declined)/);
    expect(host.checks[0]).toMatchObject({ conclusion: "failure" });
  });
});

describe("test selection conventions", () => {
  const facts = (files: Record<string, string>, pkg?: object) => ({
    ...(pkg ? { packageJson: pkg } : {}),
    exists: (p: string) => p in files,
    files: Object.keys(files),
    read: (p: string) => files[p],
  });

  it.each([
    ["ava", { devDependencies: { ava: "6" } }, "npx ava test/math.test.js"],
    ["mocha", { devDependencies: { mocha: "10" } }, "npx mocha test/math.test.js"],
    ["node:test", { scripts: { test: "node --test" } }, "node --test test/math.test.js"],
  ])("%s runs the related test files", (_name, pkg, expected) => {
    const files = { "src/math.js": "", "test/math.test.js": "" };
    expect(selectTests(["src/math.js"], { rules: [] }, facts(files, pkg)).commands).toEqual([
      expected,
    ]);
  });

  it("finds a test by its import of the changed module", () => {
    const files = {
      "src/parse.js": "",
      "test/everything.test.js": 'import { parse } from "../src/parse.js";\n',
      "test/other.test.js": 'import { x } from "../src/x.js";\n',
    };
    expect(relatedTests(["src/parse.js"], facts(files), /\.test\.js$/)).toEqual([
      "test/everything.test.js",
    ]);
  });

  it("go: go test of the changed packages; cargo: cargo test", () => {
    const go = { "go.mod": "", "pkg/calc/calc.go": "", "main.go": "" };
    expect(selectTests(["pkg/calc/calc.go", "main.go"], { rules: [] }, facts(go)).commands).toEqual(
      ["go test . ./pkg/calc"],
    );
    const rs = { "Cargo.toml": "", "src/lib.rs": "" };
    expect(selectTests(["src/lib.rs"], { rules: [] }, facts(rs)).commands).toEqual(["cargo test"]);
  });

  it("falls back to go test ./... and cargo test for other changed files", () => {
    expect(
      selectTests(["README.md"], { rules: [] }, facts({ "README.md": "", "go.mod": "" })),
    ).toMatchObject({
      commands: ["go test ./..."],
      basis: "fallback",
    });
    expect(
      selectTests(["README.md"], { rules: [] }, facts({ "README.md": "", "Cargo.toml": "" }))
        .commands,
    ).toEqual(["cargo test"]);
  });

  it("recognises runs of zero tests", () => {
    expect(ranNoTests("ℹ tests 0\nℹ pass 0")).toBe(true);
    expect(ranNoTests("ℹ tests 3\nℹ pass 3")).toBe(false);
    expect(ranNoTests("  0 passing (2ms)")).toBe(true);
    expect(ranNoTests("?   \texample.com/x\t[no test files]")).toBe(true);
    expect(ranNoTests("ok  \texample.com/x\t0.01s\n?   \texample.com/y\t[no test files]")).toBe(
      false,
    );
    expect(ranNoTests("running 0 tests\n\ntest result: ok")).toBe(true);
    expect(ranNoTests("running 2 tests\nrunning 0 tests")).toBe(false);
  });
});
