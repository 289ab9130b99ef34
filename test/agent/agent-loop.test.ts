import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { call, script } from "../../src/replay/script.js";
import { type Harness, loopHarness, toolResults } from "./support/loop-harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const finish = () => script().finish({ summary: "done" }).turns();

describe("agent loop: stop reasons and API errors", () => {
  it("retries a 429 with retry-after, then succeeds", async () => {
    h = await loopHarness(
      script().error(429, { "retry-after": "0" }).finish({ summary: "ok" }).turns(),
    );
    const r = await h.run();
    expect(r.stop.reason).toBe("finished");
    expect(h.server.requests).toHaveLength(2);
    expect(h.logs.some((l) => l.includes("rate limited (429)"))).toBe(true);
  });

  it("gives up on a 529 storm beyond its retries", async () => {
    h = await loopHarness(
      script()
        .repeat(5, (b) => b.error(529))
        .turns(),
    );
    const r = await h.run({ maxRetries: 2 });
    expect(r.stop).toMatchObject({ reason: "api_error" });
    expect(r.stop.message).toMatch(/gave up after 3 attempts: Anthropic API 529 \(overloaded\)/);
    expect(h.server.requests).toHaveLength(3);
  });

  it("stops at once on a spend-cap 429 (no retry-after)", async () => {
    h = await loopHarness(
      script()
        .error(
          429,
          {},
          { type: "error", error: { type: "rate_limit_error", message: "spend limit reached" } },
        )
        .finish({ summary: "never" })
        .turns(),
    );
    const r = await h.run();
    expect(r.stop.reason).toBe("api_error");
    expect(r.stop.message).toContain("spend cap");
    expect(h.server.requests).toHaveLength(1);
  });

  it("stops at once on a bad key and on a 400", async () => {
    h = await loopHarness(script().error(401).turns());
    expect((await h.run()).stop.message).toContain("API key was refused");
    await h.close();
    h = await loopHarness(
      script()
        .error(
          400,
          {},
          { type: "error", error: { type: "invalid_request_error", message: "bad tool schema" } },
        )
        .turns(),
    );
    const r = await h.run();
    expect(r.stop).toEqual({ reason: "api_error", message: "Anthropic API 400: bad tool schema" });
    expect(h.server.requests).toHaveLength(1);
  });

  it("continues after max_tokens, answering a cut tool call", async () => {
    h = await loopHarness([
      ...script().text("partial answer", "max_tokens").turns(),
      {
        kind: "message",
        content: [
          { type: "tool_use", id: "toolu_cut", name: "create_file", input: { path: "a.txt" } },
        ],
        stop_reason: "max_tokens",
      },
      ...finish(),
    ]);
    const r = await h.run();
    expect(r.stop.reason).toBe("finished");
    expect(h.server.requests).toHaveLength(3);
    const cut = toolResults(h.server, 2);
    expect(cut[0]).toMatchObject({ is_error: true });
    expect(cut[0]!.content).toContain("output token limit");
  });

  it("finishes cleanly after max_tokens three times in a row", async () => {
    h = await loopHarness(
      script()
        .repeat(3, (b) => b.text("…", "max_tokens"))
        .turns(),
    );
    const r = await h.run();
    expect(r.stop.reason).toBe("max_tokens");
  });

  it("sends a pause_turn back and goes on", async () => {
    h = await loopHarness([...script().text("thinking", "pause_turn").turns(), ...finish()]);
    const r = await h.run();
    expect(r.stop.reason).toBe("finished");
    const second = h.server.requests[1]!.body as { messages: { role: string }[] };
    expect(second.messages.at(-1)!.role).toBe("assistant");
  });

  it("does not call the model once the run is cancelled", async () => {
    h = await loopHarness(finish());
    const controller = new AbortController();
    controller.abort();
    const r = await h.run({ signal: controller.signal });
    expect(r.stop.reason).toBe("aborted");
    expect(h.server.requests).toHaveLength(0);
  });

  it("reports a refusal", async () => {
    h = await loopHarness(script().text("I can't help with that.", "refusal").turns());
    const r = await h.run();
    expect(r.stop).toEqual({
      reason: "refusal",
      message: "the model declined to continue: I can't help with that.",
    });
  });

  it.each([
    ["stop reason", script().text("…", "model_context_window_exceeded").turns()],
    [
      "400 prompt too long",
      script()
        .error(
          400,
          {},
          {
            type: "error",
            error: {
              type: "invalid_request_error",
              message: "prompt is too long: 210000 tokens > 200000 maximum",
            },
          },
        )
        .turns(),
    ],
  ])("stops on context exhaustion (%s)", async (_name, turns) => {
    h = await loopHarness(turns);
    expect((await h.run()).stop.reason).toBe("context_exhausted");
  });

  it("reminds once when a turn ends without finish, then ends keeping the last text", async () => {
    h = await loopHarness(script().text("All done here.").text("Really done.").turns());
    const r = await h.run();
    expect(r.stop).toEqual({ reason: "end_turn", message: "Really done." });
    expect(h.server.requests).toHaveLength(2);
    expect(JSON.stringify(h.server.requests[1]!.body)).toContain(
      "You ended your turn without calling the finish tool",
    );
  });

  it("finishes after the reminder when the model then calls finish", async () => {
    h = await loopHarness(script().text("Done, I think.").finish({ summary: "fixed" }).turns());
    const r = await h.run();
    expect(r.stop.reason).toBe("finished");
    expect(r.report?.summary).toBe("fixed");
  });

  it("runs nothing after finish in the same turn", async () => {
    h = await loopHarness(
      script()
        .together(call.finish({ summary: "done" }), call.create("after.txt", "x"))
        .turns(),
    );
    const r = await h.run();
    expect(r.stop.reason).toBe("finished");
    expect(existsSync(join(h.workspace, "after.txt"))).toBe(false);
  });

  it("backs off with jitter, so agents failing together do not retry together", async () => {
    const waits = async (random: number) => {
      h = await loopHarness(script().error(529).error(529).finish({ summary: "ok" }).turns());
      const slept: number[] = [];
      await h.run({ random: () => random, sleep: async (ms) => void slept.push(ms) });
      await h.close();
      return slept;
    };
    const low = await waits(0);
    const high = await waits(0.999);
    expect(low).toEqual([500, 1000]);
    expect(high[0]).toBeGreaterThan(990);
    expect(high[1]).toBeGreaterThan(1990);
    h = await loopHarness([]);
  });

  it("keeps the context under its budget by clearing old tool results", async () => {
    const big = Array.from(
      { length: 3000 },
      (_, i) => `const line${i} = ${i}; // ${"x".repeat(40)}`,
    ).join("\n");
    h = await loopHarness(
      script()
        .repeat(30, (b) => b.view("big.ts", 1, 2000))
        .finish({ summary: "read it all" })
        .turns(),
    );
    writeFileSync(join(h.workspace, "big.ts"), big);
    const budget = 60_000;
    const r = await h.run({ maxTurns: 40, contextBudgetTokens: budget, keepToolResults: 3 });
    expect(r.stop.reason).toBe("finished");
    const inputs = h.server.requests.map((q) => {
      const u = q.response!.usage!;
      return (
        u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0)
      );
    });
    expect(Math.max(...inputs)).toBeLessThan(budget);
    const last = JSON.stringify(h.server.requests.at(-1)!.body);
    expect(last).toContain("older tool result cleared");
  });

  it("stops at max turns and at the cost budget", async () => {
    h = await loopHarness(
      script()
        .repeat(5, (b) => b.list("."))
        .turns(),
    );
    expect((await h.run({ maxTurns: 2 })).stop.reason).toBe("max_turns");
    await h.close();
    h = await loopHarness(
      script()
        .repeat(5, (b) => b.list("."))
        .turns(),
    );
    const r = await h.run({ costBudgetUsd: 0.000001 });
    expect(r.stop.reason).toBe("cost_budget");
    expect(r.turns).toBe(1);
  });

  it("stops when the deadline is reached mid-task", async () => {
    let t = Date.parse("2026-01-01T00:00:00Z");
    const now = () => {
      t += 60_000;
      return new Date(t);
    };
    h = await loopHarness(
      script()
        .repeat(10, (b) => b.list("."))
        .turns(),
    );
    const r = await h.run({ now, stopAt: new Date(Date.parse("2026-01-01T00:04:30Z")) });
    expect(r.stop.reason).toBe("deadline");
    expect(r.turns).toBeGreaterThan(0);
    expect(r.turns).toBeLessThan(5);
  });
});

describe("agent loop: tools", () => {
  it("refuses paths escaping the workspace, reports it, and goes on", async () => {
    h = await loopHarness(
      script()
        .together(
          { name: "view", input: { path: "../../etc/passwd" } },
          { name: "view", input: { path: "/etc/passwd" } },
          { name: "view", input: { path: "link/passwd" } },
          { name: "create_file", input: { path: ".git/hooks/pre-commit", content: "evil" } },
          { name: "edit", input: { path: "src/../../x", old_string: "a", new_string: "b" } },
        )
        .finish({ summary: "ok" })
        .turns(),
    );
    symlinkSync("/etc", join(h.workspace, "link"));
    mkdirSync(join(h.workspace, ".git"));
    const r = await h.run();
    expect(r.stop.reason).toBe("finished");
    const results = toolResults(h.server, 1);
    expect(results.map((x) => [x.is_error, x.content])).toMatchInlineSnapshot(`
      [
        [
          true,
          "../../etc/passwd: outside the workspace (paths are relative to it)",
        ],
        [
          true,
          "/etc/passwd: outside the workspace (paths are relative to it)",
        ],
        [
          true,
          "link/passwd: resolves through a symlink to outside the workspace",
        ],
        [
          true,
          ".git/hooks/pre-commit: writing inside .git is not allowed",
        ],
        [
          true,
          "src/../../x: outside the workspace (paths are relative to it)",
        ],
      ]
    `);
  });

  it("keeps a long file view short and says how to see the rest", async () => {
    h = await loopHarness(script().view("big.txt").finish({ summary: "ok" }).turns());
    writeFileSync(join(h.workspace, "big.txt"), `${"x".repeat(300)}\n`.repeat(1000));
    await h.run();
    const [res] = toolResults(h.server, 1);
    expect(res!.content.length).toBeLessThan(41_000);
    expect(res!.content).toMatch(
      /\[output cut at 40000 characters: lines 1-\d+ of 1000; view a smaller range\]$/,
    );
  });

  it("kills a shell command past its timeout and reports it", async () => {
    h = await loopHarness(
      script().bash("echo start; sleep 20; echo never", 1).finish({ summary: "ok" }).turns(),
    );
    const r = await h.run();
    expect(r.stop.reason).toBe("finished");
    const [res] = toolResults(h.server, 1);
    expect(res!.is_error).toBe(true);
    expect(res!.content).toMatch(/^timed out after 1 s \(killed\)\nstart/);
    expect(res!.content).not.toContain("never");
    expect(h.commands[0]).toMatchObject({ timedOut: true, exitCode: null });
  });

  it("runs the shell without credentials in its environment", async () => {
    h = await loopHarness(script().bash("env").finish({ summary: "ok" }).turns());
    const { scrubEnv } = await import("../../src/agent/scrub-env.js");
    const env = scrubEnv({
      PATH: "/bin:/usr/bin",
      ANTHROPIC_API_KEY: "sk-x",
      GITHUB_TOKEN: "ghs",
      INPUT_GITHUB_TOKEN: "t",
      HOME: "/h",
    });
    expect(env).toEqual({ PATH: "/bin:/usr/bin", HOME: "/h" });
    await h.run({
      context: {
        workspaceReal: h.workspace,
        env,
        timeLeftMs: () => 60_000,
        commands: h.commands,
        written: new Set(),
      },
    });
    expect(toolResults(h.server, 1)[0]!.content).not.toContain("sk-x");
  });

  it("views with line numbers, edits uniquely, searches, lists", async () => {
    h = await loopHarness(
      script()
        .view("a.ts", 2, 3)
        .edit("a.ts", "x", "y")
        .edit("a.ts", "const two", "const TWO")
        .search("TWO")
        .list(".")
        .tool("nope", {})
        .finish({ summary: "ok" })
        .turns(),
    );
    writeFileSync(
      join(h.workspace, "a.ts"),
      "const one = 1; // x\nconst two = 2; // x\nconst three = 3;\n",
    );
    await h.run();
    const out = [1, 2, 3, 4, 5, 6].map((n) => toolResults(h!.server, n)[0]!.content);
    expect(out).toMatchInlineSnapshot(`
      [
        "2	const two = 2; // x
      3	const three = 3;
      [lines 2-3 of 3; use start_line/end_line for others]",
        "a.ts: old_string occurs 2 times; include more context to make it unique",
        "edited a.ts:
      1	const one = 1; // x
      2	const TWO = 2; // x
      3	const three = 3;",
        "a.ts:2: const TWO = 2; // x",
        "a.ts",
        "unknown tool 'nope' (available: view, list_files, search, find_files, create_file, edit, bash, finish)",
      ]
    `);
  });
});
