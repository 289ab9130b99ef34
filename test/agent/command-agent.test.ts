import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseAgentOutput } from "../../src/agent/agent-output.js";
import { runCommandAgent } from "../../src/agent/command-agent.js";
import type { RunRoleOptions } from "../../src/agent/role-types.js";
import { runRole } from "../../src/agent/run-role.js";
import { sandboxAvailable } from "../../src/agent/shell-sandbox.js";
import type { ConfigInput } from "../../src/core/config.js";
import {
  type FakeMessagesServer,
  startFakeMessagesServer,
} from "../../src/replay/fake-messages-server.js";
import { type Fixture, makeFixture, sh } from "./support/git-fixture.js";
import { MemoryHost } from "./support/memory-host.js";
import { configOf, roleOptions } from "./support/role-options.js";

/** Exactly what `claude -p --output-format json` prints: one result object. */
function claudeResult(result: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: "result",
    subtype: "success",
    is_error: false,
    duration_ms: 12840,
    duration_api_ms: 11022,
    num_turns: 6,
    result,
    session_id: "5b6c0d8e-1111-4a2b-9c3d-0e1f2a3b4c5d",
    total_cost_usd: 0.1834,
    usage: {
      input_tokens: 1200,
      cache_creation_input_tokens: 8000,
      cache_read_input_tokens: 42000,
      output_tokens: 950,
      server_tool_use: { web_search_requests: 0 },
      service_tier: "standard",
    },
    permission_denials: [],
    ...extra,
  });
}

describe("reading an agent command's output", () => {
  it("does not hang on output that starts with '{' (Claude Code's JSON result)", async () => {
    const out = await runCommandAgent({
      command: `cat > /dev/null; cat <<'EOF'\n${claudeResult("All done.")}\nEOF`,
      prompt: "p",
      cwd: tmpdir(),
      timeoutMs: 10_000,
      output: "claude-json",
    });
    expect(out.stop.reason).toBe("finished");
    expect(out.report).toMatchObject({ outcome: "done", summary: "All done." });
    expect(out.usage).toMatchObject({ costUsd: 0.1834, inputTokens: 1200, outputTokens: 950 });
  });

  it("does not hang on a bare JSON object without a report, in the generic format", () => {
    expect(parseAgentOutput('{"type":"result","result":"x"}', "report")).toEqual({});
    expect(parseAgentOutput('{"a":{"b":1}}\n{"c":[{"d":2}]}', "report")).toEqual({});
  });

  it("finds the report inside Claude Code's result text, fenced or bare", () => {
    const fenced = `Fixed it.\n\n\`\`\`json\n{"summary": "add() adds", "found": "minus", "outcome": "done"}\n\`\`\``;
    expect(parseAgentOutput(claudeResult(fenced), "claude-json").report).toEqual({
      outcome: "done",
      summary: "add() adds",
      found: "minus",
    });
    const bare = 'Review done.\n{\n  "summary": "ok",\n  "verdict": "request_changes"\n}';
    expect(parseAgentOutput(claudeResult(bare), "claude-json").report).toMatchObject({
      verdict: "request_changes",
    });
  });

  it("reads stream-json (JSON lines ending with the result object)", () => {
    const lines = [
      JSON.stringify({ type: "system", subtype: "init", session_id: "s" }),
      JSON.stringify({
        type: "assistant",
        message: { content: [{ type: "text", text: '{"summary":"not the end"}' }] },
      }),
      claudeResult('{"summary":"the end","outcome":"incomplete"}'),
    ].join("\n");
    const parsed = parseAgentOutput(lines, "claude-json");
    expect(parsed.report).toMatchObject({ summary: "the end", outcome: "incomplete" });
    expect(parsed.usage?.costUsd).toBe(0.1834);
  });

  it("takes the last report among JSON lines in the generic format", () => {
    const text = [
      "working…",
      '{"summary":"first"}',
      '{"event":"tool","name":"bash"}',
      '{"summary":"second","verdict":"approve"}',
      "bye",
    ].join("\n");
    expect(parseAgentOutput(text).report).toMatchObject({
      summary: "second",
      verdict: "approve",
    });
  });

  it("counts a Claude Code error result as a failed command", async () => {
    const out = await runCommandAgent({
      command: `cat > /dev/null; echo '${claudeResult("", { subtype: "error_max_turns", is_error: true })}'`,
      prompt: "p",
      cwd: tmpdir(),
      timeoutMs: 10_000,
      output: "claude-json",
    });
    expect(out.stop.reason).toBe("command_failed");
    expect(out.stop.message).toContain("error_max_turns");
    expect(out.usage.costUsd).toBe(0.1834);
  });

  it("reads codex exec --json events: the last agent message, tokens summed", () => {
    const events = [
      { type: "thread.started", thread_id: "0199a213-81c0-7800-8aa1-bbab2a035a53" },
      { type: "turn.started" },
      {
        type: "item.completed",
        item: { id: "item_0", type: "reasoning", text: "**Looking at math.js**" },
      },
      {
        type: "item.completed",
        item: {
          id: "item_1",
          type: "command_execution",
          command: "bash -lc ls",
          aggregated_output: "src\n",
          exit_code: 0,
          status: "completed",
        },
      },
      {
        type: "item.completed",
        item: {
          id: "item_2",
          type: "agent_message",
          text: 'Done.\n```json\n{"summary":"codex fixed add","fixed":"a + b"}\n```',
        },
      },
      {
        type: "turn.completed",
        usage: { input_tokens: 24763, cached_input_tokens: 24448, output_tokens: 122 },
      },
    ]
      .map((e) => JSON.stringify(e))
      .join("\n");
    const parsed = parseAgentOutput(events, "codex-jsonl");
    expect(parsed.report).toMatchObject({ summary: "codex fixed add", fixed: "a + b" });
    expect(parsed.usage).toMatchObject({
      inputTokens: 315,
      cacheReadTokens: 24448,
      outputTokens: 122,
    });
  });

  it("reads aider's token and cost lines", () => {
    const text = [
      "Aider v0.86.1",
      "Applied edit to src/math.js",
      "Tokens: 4.2k sent, 312 received. Cost: $0.02 message, $0.02 session.",
      "Tokens: 5.1k sent, 1.1k received. Cost: $0.03 message, $0.05 session.",
      '{"summary": "aider fixed it"}',
    ].join("\n");
    const parsed = parseAgentOutput(text, "aider");
    expect(parsed.report?.summary).toBe("aider fixed it");
    expect(parsed.usage).toMatchObject({
      inputTokens: 9300,
      outputTokens: 1412,
      costUsd: 0.05,
      calls: 2,
    });
  });
});

// --- presets with stand-ins for the real CLIs, on PATH ---------------------------------

let fx: Fixture;
let server: FakeMessagesServer;
let host: MemoryHost;
let bin: string;
let savedPath: string | undefined;
const savedEnv: Record<string, string | undefined> = {};

beforeEach(() => {
  fx = makeFixture({ "src/math.js": "export const add = (a, b) => a - b;\n" });
  host = new MemoryHost();
  bin = mkdtempSync(join(tmpdir(), "conveyor-bin-"));
  savedPath = process.env.PATH;
  process.env.PATH = `${bin}:${process.env.PATH}`;
  // The stand-ins live in a temporary folder, which the sandbox replaces by an empty /tmp:
  // these tests are about each preset's argv and output parser; the sandbox that wraps an
  // agent command is tested in shell-sandbox.test.ts.
  if (!("CONVEYOR_SANDBOX" in savedEnv)) savedEnv.CONVEYOR_SANDBOX = process.env.CONVEYOR_SANDBOX;
  process.env.CONVEYOR_SANDBOX = "off";
});
afterEach(async () => {
  process.env.PATH = savedPath;
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await server?.close();
  fx.cleanup();
  rmSync(bin, { recursive: true, force: true });
});

function setEnv(name: string, value: string) {
  if (!(name in savedEnv)) savedEnv[name] = process.env[name];
  process.env[name] = value;
}

/**
 * A stand-in CLI: records its argv, stdin and the env variables it was given (outside the
 * workspace), fixes src/math.js, then prints `output` (JS expression of a string).
 */
function standIn(name: string, output: string) {
  const log = join(bin, `${name}.log.json`);
  const file = join(bin, name);
  writeFileSync(
    file,
    `#!/usr/bin/env node
const fs = require("node:fs");
const stdin = fs.readFileSync(0, "utf8");
fs.writeFileSync(${JSON.stringify(log)}, JSON.stringify({
  argv: process.argv.slice(2), stdin,
  env: { OPENAI_API_KEY: process.env.OPENAI_API_KEY, LLM_API_KEY: process.env.LLM_API_KEY,
         MY_TOKEN: process.env.MY_TOKEN, ANTHROPIC_API_KEY: process.env.ANTHROPIC_API_KEY },
}));
fs.writeFileSync("src/math.js", "export const add = (a, b) => a + b;\\n");
process.stdout.write(${output});
`,
  );
  chmodSync(file, 0o755);
  return () =>
    JSON.parse(readFileSync(log, "utf8")) as {
      argv: string[];
      stdin: string;
      env: Record<string, string | undefined>;
    };
}

async function runPreset(
  agent: ConfigInput["agent"],
  over: Partial<RunRoleOptions> = {},
): Promise<Awaited<ReturnType<typeof runRole>>> {
  server = await startFakeMessagesServer({});
  const config = configOf({ agent });
  return runRole(
    roleOptions(server, host, fx.work, {
      config,
      driver: { kind: "command", command: config.agent.command! },
      ...over,
    }),
  );
}

describe("agent presets", () => {
  it("claude-code-cli: runs claude -p with JSON output, takes the report and the cost", async () => {
    const seen = standIn(
      "claude",
      JSON.stringify(
        claudeResult(
          'I changed the operator.\n```json\n{"summary":"add() now adds","found":"it subtracted","fixed":"+"}\n```',
        ),
      ),
    );
    const out = await runPreset({ preset: "claude-code-cli" });
    expect(out.result).toMatchObject({ outcome: "ok", pr: 42, summary: "add() now adds" });
    expect(out.result.costUsd).toBe(0.1834);
    expect(out.result.tokens).toBe(1200 + 950 + 8000 + 42000);
    const call = seen();
    expect(call.argv).toEqual([
      "-p",
      "--output-format",
      "json",
      "--permission-mode",
      "acceptEdits",
      "--max-turns",
      "60",
    ]);
    // The piped prompt states the output contract, not the builtin loop's tools.
    expect(call.stdin).toContain("## Output");
    expect(call.stdin).toContain('"summary"');
    expect(call.stdin).not.toMatch(/finish tool/i);
    expect(call.stdin).not.toContain("only through the tools you are given");
    const pushed = fx.inspect();
    sh(pushed, "checkout", "-q", "conveyor/7-fix-add");
    expect(readFileSync(join(pushed, "src/math.js"), "utf8")).toContain("a + b");
  });

  it("claude-code-cli reviewer: the verdict and comments come from the JSON report", async () => {
    standIn(
      "claude",
      JSON.stringify(
        claudeResult(
          '{"summary":"needs a test","verdict":"request_changes","comments":[{"path":"src/math.js","line":1,"body":"```suggestion\\nexport const add = (a, b) => a + b;\\n```"}]}',
        ),
      ),
    );
    sh(fx.work, "push", "-q", "origin", "main:conveyor/7-fix-add");
    const out = await runPreset(
      { preset: "claude-code-cli" },
      { role: "reviewer", correlationId: "7/reviewer/0/1", pr: 42 },
    );
    expect(out.result).toMatchObject({ outcome: "ok", verdict: "request_changes" });
    expect(out.review?.verdict).toBe("request_changes");
  });

  it("codex: codex exec --json reading stdin, OPENAI_API_KEY passed through, other keys not", async () => {
    setEnv("OPENAI_API_KEY", "sk-test-openai");
    setEnv("MY_TOKEN", "do-not-leak");
    const events = [
      { type: "thread.started", thread_id: "t1" },
      { type: "turn.started" },
      {
        type: "item.completed",
        item: { id: "item_1", type: "agent_message", text: '{"summary":"codex did it"}' },
      },
      {
        type: "turn.completed",
        usage: { input_tokens: 5000, cached_input_tokens: 4000, output_tokens: 300 },
      },
    ];
    const seen = standIn(
      "codex",
      JSON.stringify(`${events.map((e) => JSON.stringify(e)).join("\n")}\n`),
    );
    const out = await runPreset({ preset: "codex", model: "claude-sonnet-5-5" });
    expect(out.result).toMatchObject({ outcome: "ok", summary: "codex did it" });
    expect(out.result.tokens).toBe(1000 + 4000 + 300);
    const call = seen();
    expect(call.argv).toEqual(["exec", "--json", "--full-auto", "--skip-git-repo-check", "-"]);
    expect(call.env.OPENAI_API_KEY).toBe("sk-test-openai");
    expect(call.env.MY_TOKEN).toBeUndefined();
  });

  it("agent.env passes a named variable through to any command", async () => {
    setEnv("MY_TOKEN", "for-the-cli");
    const seen = standIn("mycli", JSON.stringify('{"summary":"ok"}\n'));
    const out = await runPreset({ runner: "command", command: "mycli", env: ["MY_TOKEN"] });
    expect(out.result.outcome).toBe("ok");
    expect(seen().env.MY_TOKEN).toBe("for-the-cli");
  });

  it("aider: --message-file on stdin, yes to all, no auto-commits; cost from its session line", async () => {
    const seen = standIn(
      "aider",
      JSON.stringify(
        'Applied edit to src/math.js\nTokens: 2.5k sent, 200 received. Cost: $0.01 message, $0.01 session.\n{"summary":"aider fixed add"}\n',
      ),
    );
    const out = await runPreset({ preset: "aider" });
    expect(out.result).toMatchObject({ outcome: "ok", summary: "aider fixed add", costUsd: 0.01 });
    expect(seen().argv).toEqual(
      expect.arrayContaining(["--message-file", "/dev/stdin", "--yes-always", "--no-auto-commits"]),
    );
  });

  it("openhands: headless with JSON events; the report in the finish action", async () => {
    setEnv("LLM_API_KEY", "llm-key");
    const events = [
      { type: "action", action: "run", args: { command: "ls" }, source: "agent" },
      { type: "observation", content: "src", source: "environment" },
      {
        type: "action",
        action: "finish",
        source: "agent",
        args: { final_thought: '{"summary":"openhands fixed add"}' },
      },
    ];
    const seen = standIn(
      "openhands",
      JSON.stringify(`${events.map((e) => JSON.stringify(e)).join("\n")}\n`),
    );
    const out = await runPreset({ preset: "openhands" });
    expect(out.result).toMatchObject({ outcome: "ok", summary: "openhands fixed add" });
    expect(seen().argv).toEqual(["--headless", "--json", "--file", "/dev/stdin"]);
    expect(seen().env.LLM_API_KEY).toBe("llm-key");
  });
});

describe("agent preset config", () => {
  it("a preset selects the command runner and expands to its command and parser", () => {
    const c = configOf({ agent: { preset: "codex", args: ["--model", "o4 mini"] } });
    expect(c.agent).toMatchObject({
      runner: "command",
      command: "codex exec --json --full-auto --skip-git-repo-check - --model 'o4 mini'",
      output: "codex-jsonl",
    });
    expect(c.agent.env).toContain("OPENAI_API_KEY");
  });

  it("a preset with runner: builtin is a config error", () => {
    expect(() => configOf({ agent: { runner: "builtin", preset: "aider" } })).toThrow(/preset/);
  });
});

describe("the agent command runs in the same sandbox as the built-in shell", () => {
  it.runIf(sandboxAvailable())(
    "an agent command from the config is confined: process 1 is bubblewrap, writes outside the workspace and secrets stay out",
    async () => {
      const fxs = makeFixture({ "src/math.js": "export const add = (a, b) => a - b;\n" });
      const outside = mkdtempSync(join(tmpdir(), "conveyor-outside-"));
      const saved = {
        sandbox: process.env.CONVEYOR_SANDBOX,
        secret: process.env.CONVEYOR_TEST_SECRET,
      };
      process.env.CONVEYOR_SANDBOX = "required";
      process.env.CONVEYOR_TEST_SECRET = "s3cret-value";
      const srv = await startFakeMessagesServer({});
      try {
        const command = [
          "tr '\\0' ' ' < /proc/1/cmdline; echo",
          `echo escaped > ${outside}/escape.txt 2>/dev/null || echo cannot-write-outside`,
          "env | grep -c CONVEYOR_TEST_SECRET || true",
          "sed -i 's/a - b/a + b/' src/math.js",
          `echo '{"outcome": "done", "summary": "fixed in the sandbox"}'`,
        ].join("; ");
        const out = await runRole(
          roleOptions(srv, new MemoryHost(), fxs.work, {
            config: configOf({ agent: { runner: "command", command } }),
            driver: { kind: "command", command },
          }),
        );
        expect(out.result).toMatchObject({ outcome: "ok", summary: "fixed in the sandbox" });
        const output = out.commands[0]!.output;
        expect(output).toMatch(/^\S*bwrap .*--unshare-all/);
        expect(readFileSync(join(fxs.work, "src/math.js"), "utf8")).toContain("a + b");
        expect(existsSync(join(outside, "escape.txt"))).toBe(false);
        expect(output).not.toContain("s3cret-value");
        expect(output.split("\n")).toContain("0");
      } finally {
        for (const [k, v] of [
          ["CONVEYOR_SANDBOX", saved.sandbox],
          ["CONVEYOR_TEST_SECRET", saved.secret],
        ] as const)
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        await srv.close();
        fxs.cleanup();
        rmSync(outside, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
