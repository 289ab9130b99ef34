import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunRoleOptions } from "../../src/agent/role-types.js";
import { runRole } from "../../src/agent/run-role.js";
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
const CHECK = `for (const f of process.argv.slice(2)) {
  const m = await import("./" + f);
  if (m.add(2, 3) !== 5) { console.error(f + ": add(2, 3) = " + m.add(2, 3)); process.exit(1); }
  console.log(f + ": ok");
}
`;

let fx: Fixture;
let server: FakeMessagesServer;
let host: MemoryHost;

function tester(over: Partial<RunRoleOptions> = {}): RunRoleOptions {
  return roleOptions(server, host, fx.work, {
    role: "tester",
    correlationId: ID,
    pr: 42,
    config: configOf({
      tests: { rules: [{ glob: "src/**/*.mjs", command: "node check.mjs {files}" }] },
    }),
    ...over,
  });
}

beforeEach(() => {
  fx = makeFixture({
    "src/math.mjs": "export const add = (a, b) => a - b;\n",
    "check.mjs": CHECK,
    "README.md": "hello\n",
  });
  sh(fx.work, "push", "-q", "origin", `main:${BRANCH}`);
  host = new MemoryHost();
});
afterEach(async () => {
  await server?.close();
  fx.cleanup();
});

describe("tester role end to end", () => {
  it("merges the base in, runs the targeted test, reports a pass without calling the model", async () => {
    pushChange(fx, BRANCH, { "src/math.mjs": "export const add = (a, b) => a + b;\n" }, "Fix add");
    pushChange(fx, "main", { "README.md": "hello again\n" }, "Docs");
    server = await startFakeMessagesServer({});
    const out = await runRole(tester());
    expect(out.result).toMatchObject({ outcome: "ok", passed: true, pr: 42 });
    expect(server.requests).toHaveLength(0);
    expect(out.commands.map((c) => [c.command, c.exitCode])).toEqual([
      ["node check.mjs src/math.mjs", 0],
    ]);
    const pushed = fx.inspect();
    sh(pushed, "checkout", "-q", BRANCH);
    const mainSha = sh(pushed, "rev-parse", "origin/main").trim();
    expect(out.result.baseSha).toBe(mainSha);
    expect(sh(pushed, "merge-base", "--is-ancestor", mainSha, "HEAD")).toBe("");
    expect(out.result.headSha).toBe(sh(pushed, "rev-parse", "HEAD").trim());
    expect(host.checks).toEqual([
      expect.objectContaining({
        name: "conveyor/test",
        conclusion: "success",
        headSha: out.result.headSha,
      }),
    ]);
  });

  it("lets the agent fix a failure, re-runs, pushes the fix and reports the pass", async () => {
    pushChange(
      fx,
      BRANCH,
      { "src/math.mjs": "export const add = (a, b) => a * b;\n" },
      "Change add",
    );
    server = await startFakeMessagesServer({
      scripts: {
        [ID]: script()
          .edit("src/math.mjs", "a * b", "a + b")
          .bash("node check.mjs src/math.mjs")
          .finish({ summary: "add multiplied; now adds", fixed: "a + b" })
          .turns(),
      },
    });
    const out = await runRole(tester());
    expect(out.result).toMatchObject({ outcome: "ok", passed: true });
    expect(out.commands.map((c) => c.exitCode)).toEqual([0, 1, 0]);
    expect(JSON.stringify(server.requests[0]!.body)).toContain("add(2, 3) = 6");
    const pushed = fx.inspect();
    sh(pushed, "checkout", "-q", BRANCH);
    expect(sh(pushed, "log", "-1", "--format=%s").trim()).toBe("Fix targeted tests");
    expect(host.checks[0]).toMatchObject({ conclusion: "success" });
  });

  it("reports a failure when the agent cannot fix it", async () => {
    pushChange(
      fx,
      BRANCH,
      { "src/math.mjs": "export const add = (a, b) => a * b;\n" },
      "Change add",
    );
    server = await startFakeMessagesServer({
      scripts: {
        [ID]: script()
          .finish({ summary: "The change itself is wrong.", outcome: "failed" })
          .turns(),
      },
    });
    const out = await runRole(tester());
    // The tester did its job: it reports the failure (passed: false) for the orchestrator.
    expect(out.result).toMatchObject({ outcome: "ok", passed: false });
    expect(out.result.summary).toContain("Targeted tests failed: `node check.mjs src/math.mjs` (");
    expect(host.checks[0]).toMatchObject({ name: "conveyor/test", conclusion: "failure" });
    expect(host.checks[0]!.summary).toContain("add(2, 3) = 6");
  });

  it("reports a merge conflict with the base as such", async () => {
    pushChange(fx, BRANCH, { "src/math.mjs": "export const add = (a, b) => a + b;\n" }, "Fix add");
    pushChange(fx, "main", { "src/math.mjs": "export const add = (x, y) => x + y;\n" }, "Rename");
    server = await startFakeMessagesServer({});
    const out = await runRole(tester());
    expect(out.result).toMatchObject({ outcome: "failed", passed: false });
    expect(out.result.summary).toMatch(
      /^Merge conflict: merging main \([0-9a-f]{7}\) into conveyor\/7-fix-add conflicts in `src\/math.mjs`/,
    );
    expect(server.requests).toHaveLength(0);
    expect(host.checks[0]).toMatchObject({ conclusion: "failure" });
  });

  it("merges two Unreleased entries added at the same place without a conflict, tidied", async () => {
    const log = (entry: string) =>
      `# Changelog\n\n## [Unreleased]\n\n### Added\n\n- ${entry}\n\n## [1.0.0]\n\n- First\n`;
    pushChange(
      fx,
      "main",
      { "CHANGELOG.md": "# Changelog\n\n## [1.0.0]\n\n- First\n" },
      "Changelog",
    );
    sh(fx.work, "fetch", "-q", "origin");
    sh(fx.work, "push", "-q", "-f", "origin", `origin/main:refs/heads/${BRANCH}`);
    pushChange(
      fx,
      BRANCH,
      {
        "src/math.mjs": "export const add = (a, b) => a + b;\n",
        "CHANGELOG.md": log("Fix add (#7)"),
      },
      "Fix add",
    );
    pushChange(fx, "main", { "CHANGELOG.md": log("Add sub (#8)") }, "Merged #8");
    server = await startFakeMessagesServer({});
    const out = await runRole(tester());
    expect(out.result).toMatchObject({ outcome: "ok", passed: true });
    const pushed = fx.inspect();
    sh(pushed, "checkout", "-q", BRANCH);
    const text = sh(pushed, "show", "HEAD:CHANGELOG.md");
    expect(text.match(/^### Added$/gm)).toHaveLength(1);
    expect(text).toContain("- Fix add (#7)");
    expect(text).toContain("- Add sub (#8)");
  });
});
