import Anthropic from "@anthropic-ai/sdk";
import { afterEach, describe, expect, it } from "vitest";
import {
  type FakeMessagesServer,
  startFakeMessagesServer,
} from "../../src/replay/fake-messages-server.js";
import { script } from "../../src/replay/script.js";

let server: FakeMessagesServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const ask = (url: string, tag: string, key = "k") =>
  new Anthropic({ apiKey: key, baseURL: url, maxRetries: 0 }).messages.create({
    model: "claude-sonnet-5-5",
    max_tokens: 100,
    system: `agent [conveyor:${tag}]`,
    messages: [{ role: "user", content: "hi" }],
  });

describe("fake Messages server", () => {
  it("serves several agents at once, each from its own script, by the tag in the system prompt", async () => {
    server = await startFakeMessagesServer({
      scripts: {
        "1/task/0/1": script().text("one-a").text("one-b").turns(),
        "2/task/0/1": script().text("two-a").turns(),
      },
    });
    const url = server.url;
    const answers = await Promise.all([
      ask(url, "1/task/0/1"),
      ask(url, "2/task/0/1"),
      ask(url, "1/task/0/1"),
    ]);
    const texts = answers.map((m) => (m.content[0] as { text: string }).text).sort();
    expect(texts).toEqual(["one-a", "one-b", "two-a"]);
    expect(server.requests.map((r) => r.key).sort()).toEqual([
      "1/task/0/1",
      "1/task/0/1",
      "2/task/0/1",
    ]);
    expect(answers[0]!.usage.input_tokens).toBeGreaterThan(0);
  });

  it("accepts x-api-key or Bearer, and refuses a wrong key like the API", async () => {
    server = await startFakeMessagesServer({
      apiKey: "right",
      fallback: script().text("ok").turns(),
    });
    await expect(ask(server.url, "x", "wrong")).rejects.toBeInstanceOf(
      Anthropic.AuthenticationError,
    );
    const res = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: { authorization: "Bearer right", "content-type": "application/json" },
      body: JSON.stringify({
        model: "m",
        max_tokens: 1,
        messages: [{ role: "user", content: "hi" }],
      }),
    });
    expect(res.status).toBe(200);
  });

  it("plays scripted HTTP errors with their headers", async () => {
    server = await startFakeMessagesServer({
      fallback: script().error(429, { "retry-after": "7" }).turns(),
    });
    const err = await ask(server.url, "x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect((err as InstanceType<typeof Anthropic.APIError>).headers?.get("retry-after")).toBe("7");
  });

  it("answers 400 to a tool_use left without its tool_result, like the API", async () => {
    server = await startFakeMessagesServer({ fallback: script().text("never").turns() });
    const err = await new Anthropic({ apiKey: "k", baseURL: server.url, maxRetries: 0 }).messages
      .create({
        model: "m",
        max_tokens: 10,
        messages: [
          { role: "user", content: "hi" },
          {
            role: "assistant",
            content: [{ type: "tool_use", id: "toolu_1", name: "view", input: {} }],
          },
          { role: "user", content: "go on" },
        ],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(String((err as Error).message)).toContain("toolu_1");
  });

  it("script DSL: one tool call per turn, text before it in the same turn", () => {
    expect(
      script()
        .say("Looking.")
        .view("a.ts", 1, 5)
        .edit("a.ts", "x", "y")
        .finish({ summary: "s" })
        .turns(),
    ).toMatchInlineSnapshot(`
      [
        {
          "content": [
            {
              "text": "Looking.",
              "type": "text",
            },
            {
              "id": "toolu_0001",
              "input": {
                "end_line": 5,
                "path": "a.ts",
                "start_line": 1,
              },
              "name": "view",
              "type": "tool_use",
            },
          ],
          "kind": "message",
          "stop_reason": "tool_use",
        },
        {
          "content": [
            {
              "id": "toolu_0002",
              "input": {
                "new_string": "y",
                "old_string": "x",
                "path": "a.ts",
              },
              "name": "edit",
              "type": "tool_use",
            },
          ],
          "kind": "message",
          "stop_reason": "tool_use",
        },
        {
          "content": [
            {
              "id": "toolu_0003",
              "input": {
                "summary": "s",
              },
              "name": "finish",
              "type": "tool_use",
            },
          ],
          "kind": "message",
          "stop_reason": "tool_use",
        },
      ]
    `);
  });
});
