import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CLAUDE_CODE_TOOLS, FINISH_TOOL_NAME, gate } from "../../src/agent/claude-code-agent.js";
import { loadClaudeAgentSdk } from "../../src/agent/claude-code-sdk.js";
import type { RunRoleOptions } from "../../src/agent/role-types.js";
import { runRole } from "../../src/agent/run-role.js";
import { sandboxAvailable } from "../../src/agent/shell-sandbox.js";
import {
  type FakeMessagesServer,
  type RecordedRequest,
  startFakeMessagesServer,
} from "../../src/replay/fake-messages-server.js";
import { script } from "../../src/replay/script.js";
import type { ScriptedTurn } from "../../src/replay/turns.js";
import { type Fixture, makeFixture, sh } from "./support/git-fixture.js";
import { MemoryHost } from "./support/memory-host.js";
import { configOf, roleOptions } from "./support/role-options.js";

/**
 * The claude-code runner end to end: the real Claude Agent SDK starts its bundled Claude
 * Code, which talks to the fake Messages API (streaming, `?beta=true`) and runs its real
 * tools in a temporary repository; Conveyor then commits, pushes and publishes.
 */

const CHANGELOG = "# Changelog\n\n## [Unreleased]\n";
const ROOT = process.cwd();

let fx: Fixture;
let ws: string;
let server: FakeMessagesServer | undefined;
let host: MemoryHost;

beforeEach(() => {
  fx = makeFixture({
    "src/math.js": "export const add = (a, b) => a - b;\n",
    "CHANGELOG.md": CHANGELOG,
  });
  ws = realpathSync(fx.work);
  host = new MemoryHost();
  // The fake API is on this machine's loopback, which the sandbox's network cannot reach;
  // the sandboxed run has its own test below.
  vi.stubEnv("CONVEYOR_SANDBOX", "off");
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
  fx.cleanup();
});

const KEY = "7/task/0/1";
const finish = (input: Record<string, unknown>) => ({ name: FINISH_TOOL_NAME, input });

async function run(
  turns: ScriptedTurn[],
  over: Partial<RunRoleOptions> = {},
  agent: Record<string, unknown> = {},
  config: Record<string, unknown> = {},
) {
  server = await startFakeMessagesServer({ validate: false, scripts: { [KEY]: turns } });
  return runRole(
    roleOptions(server, host, fx.work, {
      config: configOf({ ...config, agent: { runner: "claude-code", ...agent } }),
      ...over,
    }),
  );
}

/** What Claude Code sent after the model's last turn (the tool results), as text. */
function toolResults(r: RecordedRequest): string {
  const messages = (r.body as { messages: { role: string; content: unknown }[] }).messages;
  const last = messages.map((m) => m.role).lastIndexOf("assistant");
  return JSON.stringify(messages.slice(last + 1));
}
const calls = () => server!.requests.filter((r) => r.key === KEY);

describe("agent.runner: claude-code", () => {
  it("edits the workspace, runs a command, reports through the finish tool; Conveyor commits, pushes and opens the PR", async () => {
    const out = await run(
      script()
        .say("Reading the file.")
        .tool("Read", { file_path: join(ws, "src/math.js") })
        .tool("Edit", {
          file_path: join(ws, "src/math.js"),
          old_string: "a - b",
          new_string: "a + b",
        })
        .tool("Read", { file_path: join(ws, "CHANGELOG.md") })
        .tool("Edit", {
          file_path: join(ws, "CHANGELOG.md"),
          old_string: "## [Unreleased]\n",
          new_string: "## [Unreleased]\n\n### Fixed\n\n- add() adds\n",
        })
        .tool("Bash", {
          command: `node -e "import('./src/math.js').then((m) => console.log('sum', m.add(2, 3)))"`,
          description: "check add",
        })
        .together(finish({ summary: "add() now adds", found: "add subtracted", fixed: "use +" }))
        .text("Done.")
        .turns(),
    );
    expect(out.stop).toEqual({ reason: "finished", message: "add() now adds" });
    expect(out.result.outcome).toBe("ok");
    expect(out.report).toMatchObject({ found: "add subtracted", fixed: "use +" });
    expect(out.filesChanged).toEqual(["CHANGELOG.md", "src/math.js"]);
    expect(out.result.pr).toBeDefined();
    const pushed = fx.inspect();
    sh(pushed, "checkout", "-q", "conveyor/7-fix-add");
    expect(readFileSync(join(pushed, "src/math.js"), "utf8")).toContain("a + b");
    expect(readFileSync(join(pushed, "CHANGELOG.md"), "utf8")).toContain("- add() adds");
    expect(out.commands.map((c) => c.output).join("\n")).toContain("sum 5");
    // Tokens and cost from the SDK's result message, so budgets apply.
    expect(out.usage.cacheWriteTokens + out.usage.inputTokens).toBeGreaterThan(0);
    expect(out.usage.outputTokens).toBeGreaterThan(0);
    expect(out.result.costUsd).toBeGreaterThan(0);
    expect(out.result.tokens).toBeGreaterThan(0);
    // Claude Code streamed every answer; the run's tag routed it; the role's tools only.
    expect(calls()).toHaveLength(7);
    expect(calls().every((r) => r.streamed)).toBe(true);
    const tools = ((calls()[0]!.body as { tools: { name: string }[] }).tools ?? []).map(
      (t) => t.name,
    );
    expect(tools).toEqual(expect.arrayContaining([...CLAUDE_CODE_TOOLS.task, FINISH_TOOL_NAME]));
    expect(tools).not.toContain("WebFetch");
    expect(tools).not.toContain("Task");
    // The model Conveyor configured, Conveyor's rules in the system prompt.
    expect((calls()[0]!.body as { model: string }).model).toBe("claude-sonnet-5-5");
    expect(JSON.stringify((calls()[0]!.body as { system: unknown }).system)).toContain(
      "untrusted-data",
    );
  }, 120_000);

  it("keeps file tools inside the workspace, and runs nothing after finish", async () => {
    const outside = mkdtempSync(join(tmpdir(), "conveyor-outside-"));
    try {
      const out = await run(
        script()
          .tool("Write", { file_path: join(outside, "escape.txt"), content: "x" })
          .tool("Read", { file_path: "/etc/hostname" })
          .tool("Write", { file_path: join(ws, ".git/hooks/pre-commit"), content: "#!/bin/sh\n" })
          .together(finish({ summary: "stopped", outcome: "incomplete" }), {
            name: "Bash",
            input: { command: "touch after-finish", description: "x" },
          })
          .text("Done.")
          .turns(),
      );
      expect(existsSync(join(outside, "escape.txt"))).toBe(false);
      expect(existsSync(join(ws, ".git/hooks/pre-commit"))).toBe(false);
      expect(existsSync(join(ws, "after-finish"))).toBe(false);
      expect(toolResults(calls()[1]!)).toContain("outside the workspace");
      expect(toolResults(calls()[2]!)).toContain("outside the workspace");
      expect(toolResults(calls()[3]!)).toMatch(/\.git/);
      expect(toolResults(calls()[4]!)).toContain("finish was called before this call");
      expect(out.result.outcome).toBe("incomplete");
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  }, 120_000);

  it("reminds once when a turn ends without the report, then takes it", async () => {
    const out = await run(
      script()
        .text("I fixed it.")
        .together(finish({ summary: "fixed after the reminder" }))
        .text("Done.")
        .turns(),
    );
    expect(JSON.stringify((calls()[1]!.body as { messages: unknown }).messages)).toContain(
      "without calling the finish tool",
    );
    expect(out.stop).toEqual({ reason: "finished", message: "fixed after the reminder" });
  }, 120_000);

  it("fails a run that ends twice without the report", async () => {
    const out = await run(script().text("I fixed it.").text("Really.").turns());
    expect(out.stop.reason).toBe("end_turn");
    expect(out.result.outcome).toBe("failed");
  }, 120_000);

  it("stops at the role's turn cap", async () => {
    const out = await run(
      script()
        .repeat(4, (b) => b.tool("Read", { file_path: join(ws, "src/math.js") }))
        .turns(),
      {},
      {},
      { roles: { task: { maxTurns: 2 } } },
    );
    expect(out.stop.reason).toBe("max_turns");
    expect(out.result.outcome).toBe("incomplete");
  }, 120_000);

  it("stops when the run's cost budget is spent (cost from the SDK's result)", async () => {
    const out = await run(
      script()
        .repeat(3, (b) => b.tool("Read", { file_path: join(ws, "src/math.js") }))
        .together(finish({ summary: "never" }))
        .turns(),
      {},
      // One turn of Claude Code's system prompt and tools costs more than a cent.
      { costBudgetUsd: 0.01 },
    );
    expect(out.stop.reason).toBe("cost_budget");
    expect(out.result.outcome).toBe("incomplete");
    expect(out.result.costUsd).toBeGreaterThanOrEqual(0.01);
    expect(calls().length).toBeLessThan(4);
  }, 120_000);

  it("stops at the role's time budget", async () => {
    const started = Date.now();
    const out = await run(
      script()
        // Claude Code refuses a bare `sleep`: a command that is simply slow.
        .tool("Bash", {
          command: `node -e "setTimeout(() => {}, 60000)"`,
          description: "wait",
          timeout: 120_000,
        })
        .text("never")
        .turns(),
      // 13 s to the deadline, of which 10 s are kept to push and publish: 3 s for the agent.
      { deadline: new Date(Date.now() + 13_000) },
    );
    expect(out.stop.reason).toBe("deadline");
    expect(out.result.outcome).toBe("incomplete");
    expect(Date.now() - started).toBeLessThan(40_000);
  }, 120_000);

  it("passes only the allowlisted environment and agent.env to Claude Code and its commands", async () => {
    vi.stubEnv("CONVEYOR_TEST_SECRET", "s3cret-value");
    vi.stubEnv("MY_TOOL_SETTING", "tool-value");
    vi.stubEnv("GITHUB_TOKEN", "ghs_secret");
    const home = mkdtempSync(join(tmpdir(), "conveyor-home-"));
    vi.stubEnv("HOME", home);
    const out = await run(
      script()
        .tool("Bash", { command: "env", description: "env" })
        .together(finish({ summary: "ok" }))
        .text("Done.")
        .turns(),
      {},
      { env: ["MY_TOOL_SETTING"] },
    );
    const env = out.commands.map((c) => c.output).join("\n");
    expect(env).toContain("MY_TOOL_SETTING=tool-value");
    expect(env).not.toContain("s3cret-value");
    expect(env).not.toContain("ghs_secret");
    // Claude Code kept its state in a folder of the run's own, removed after it, not in the home.
    const configDir = /^CLAUDE_CONFIG_DIR=(.+)$/m.exec(env)?.[1];
    expect(configDir).toContain("conveyor-claude-");
    expect(existsSync(configDir!)).toBe(false);
    expect(readdirSync(home)).toEqual([]);
    rmSync(home, { recursive: true, force: true });
  }, 120_000);
});

describe("claude-code runner without the SDK", () => {
  it("fails the run with the install command when the SDK is not installed", async () => {
    const empty = mkdtempSync(join(tmpdir(), "conveyor-no-sdk-"));
    try {
      await expect(loadClaudeAgentSdk([empty], { own: false })).rejects.toThrow(
        /npm install @anthropic-ai\/claude-agent-sdk@\^0\.3/,
      );
      // Found in the repository the run works on (here: this project's node_modules).
      await expect(loadClaudeAgentSdk([empty, ROOT], { own: false })).resolves.toMatchObject({
        path: expect.stringContaining("claude-agent-sdk"),
      });
      server = await startFakeMessagesServer({ fallback: [] });
      const out = await runRole(
        roleOptions(server, host, fx.work, {
          config: configOf({ agent: { runner: "claude-code" } }),
          loadClaudeAgentSdk: () => loadClaudeAgentSdk([empty], { own: false }),
        }),
      );
      expect(out.result.outcome).toBe("failed");
      expect(out.result.summary).toContain("npm install @anthropic-ai/claude-agent-sdk");
      expect(server.requests).toHaveLength(0);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe("the claude-code gate (every tool call, before Claude Code's own permissions)", () => {
  it("gives the reviewer no shell: it edits for small fixes but runs nothing", () => {
    expect(CLAUDE_CODE_TOOLS.reviewer).not.toContain("Bash");
    expect(CLAUDE_CODE_TOOLS.reviewer).toContain("Edit");
    expect(gate("reviewer", "/ws", "Bash", { command: "npm test" }, false)).toMatch(/not one of/);
    expect(gate("tester", "/ws", "Bash", { command: "npm test" }, false)).toBeUndefined();
    expect(gate("task", "/ws", "WebFetch", { url: "https://x" }, false)).toMatch(/not one of/);
  });
});

describe("claude-code runner in the sandbox", () => {
  it.runIf(sandboxAvailable())(
    "runs the Claude Code process in the bubblewrap sandbox, the API reached through Conveyor's proxy only",
    async () => {
      vi.stubEnv("CONVEYOR_SANDBOX", "required");
      // 127.0.0.2 is this machine's loopback but not in the sandbox's NO_PROXY: the only way
      // there from inside is Conveyor's proxy, which lets it through by sandbox.allowedDomains.
      server = await startFakeMessagesServer({
        validate: false,
        host: "127.0.0.2",
        scripts: {
          [KEY]: script()
            .tool("Bash", {
              command: "cat /proc/1/cmdline | tr '\\0' ' '; echo; ls -a ~",
              description: "where",
            })
            .tool("Write", { file_path: join(ws, "note.txt"), content: "written in the sandbox\n" })
            .together(finish({ summary: "ok" }))
            .text("Done.")
            .turns(),
        },
      });
      const out = await runRole(
        roleOptions(server, host, fx.work, {
          config: configOf({
            agent: { runner: "claude-code" },
            sandbox: { allowedDomains: ["127.0.0.2"] },
          }),
        }),
      );
      expect(out.stop.reason).toBe("finished");
      const where = out.commands[0]!.output;
      // Process 1 of Claude Code's namespace is bubblewrap, with no network of its own.
      expect(where).toMatch(/^\S*bwrap .*--unshare-all/);
      expect(where).toContain("claude-agent-sdk");
      // The workspace is writable in there, and what was written is committed and pushed.
      expect(out.filesChanged).toContain("note.txt");
      const pushed = fx.inspect();
      sh(pushed, "checkout", "-q", "conveyor/7-fix-add");
      expect(readFileSync(join(pushed, "note.txt"), "utf8")).toBe("written in the sandbox\n");
    },
    120_000,
  );
});
