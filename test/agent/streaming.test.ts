import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { STREAM_ABOVE_TOKENS } from "../../src/agent/call-messages.js";
import {
  type FakeMessagesServer,
  startFakeMessagesServer,
} from "../../src/replay/fake-messages-server.js";
import { script } from "../../src/replay/script.js";
import { type Harness, loopHarness, toolResults } from "./support/loop-harness.js";

let h: Harness | undefined;
let server: FakeMessagesServer | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  await server?.close();
  server = undefined;
});

describe("fake Messages server: streaming as the API does", () => {
  it("streams a message as server-sent events that the SDK's stream helper puts back together", async () => {
    const long = "x".repeat(100);
    server = await startFakeMessagesServer({
      fallback: script().say(long).edit("a.ts", "one", "two").turns(),
    });
    const client = new Anthropic({ apiKey: "k", baseURL: server.url, maxRetries: 0 });
    const events: string[] = [];
    const stream = client.messages.stream({
      model: "claude-sonnet-5-5",
      max_tokens: 64_000,
      messages: [{ role: "user", content: "hi" }],
    });
    stream.on("streamEvent", (e) => events.push(e.type));
    const message = await stream.finalMessage();
    expect(message.content).toMatchObject([
      { type: "text", text: long },
      {
        type: "tool_use",
        id: "toolu_0001",
        name: "edit",
        input: { path: "a.ts", old_string: "one", new_string: "two" },
      },
    ]);
    expect(message.stop_reason).toBe("tool_use");
    expect(message.usage.output_tokens).toBeGreaterThan(1);
    expect(
      message.usage.input_tokens + (message.usage.cache_creation_input_tokens ?? 0),
    ).toBeGreaterThan(0);
    // Text and tool input arrive in several deltas, between start and stop of each block.
    expect(events[0]).toBe("message_start");
    expect(events.filter((e) => e === "content_block_delta").length).toBeGreaterThan(4);
    expect(events.slice(-2)).toEqual(["message_delta", "message_stop"]);
    expect(server.requests[0]!.streamed).toBe(true);
  });

  it("accepts Claude Code's `?beta=true` path", async () => {
    server = await startFakeMessagesServer({ fallback: script().text("ok").turns() });
    const res = await fetch(`${server.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: { "x-api-key": "k", "content-type": "application/json" },
      body: JSON.stringify({
        model: "m",
        max_tokens: 10,
        stream: true,
        messages: [{ role: "user", content: "hi" }],
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(await res.text()).toContain('"text_delta"');
  });
});

describe("built-in loop: a large max_tokens is streamed", () => {
  it("streams every call above the threshold and works from the streamed turns", async () => {
    h = await loopHarness(
      script().edit("a.ts", "one", "two").finish({ summary: "edited" }).turns(),
    );
    writeFileSync(join(h.workspace, "a.ts"), "const one = 1;\n");
    const r = await h.run({ maxTokens: 64_000 });
    expect(r.stop).toEqual({ reason: "finished", message: "edited" });
    expect(h.server.requests.map((q) => q.streamed)).toEqual([true, true]);
    expect((h.server.requests[0]!.body as { max_tokens: number }).max_tokens).toBe(64_000);
    expect(toolResults(h.server, 1)[0]!.content).toContain("edited a.ts");
    expect(r.usage.outputTokens).toBeGreaterThan(0);
  });

  it("keeps a small max_tokens as one JSON answer", async () => {
    h = await loopHarness(script().finish({ summary: "ok" }).turns());
    await h.run({ maxTokens: STREAM_ABOVE_TOKENS });
    expect(h.server.requests[0]!.streamed).toBeUndefined();
  });

  it("retries an overloaded error that arrives in the middle of the stream", async () => {
    h = await loopHarness(script().streamError(529).finish({ summary: "ok" }).turns());
    const r = await h.run({ maxTokens: 64_000 });
    expect(r.stop.reason).toBe("finished");
    expect(h.server.requests).toHaveLength(2);
    expect(h.logs.some((l) => l.includes("stream error (overloaded_error)"))).toBe(true);
  });
});
