import { afterEach, describe, expect, it } from "vitest";
import { priceFor } from "../../src/agent/pricing.js";
import { runRole } from "../../src/agent/run-role.js";
import { validateConfig } from "../../src/core/config.js";
import {
  type FakeMessagesServer,
  startFakeMessagesServer,
} from "../../src/replay/fake-messages-server.js";
import { makeFixture } from "./support/git-fixture.js";
import { MemoryHost } from "./support/memory-host.js";
import { configOf, roleOptions } from "./support/role-options.js";

let server: FakeMessagesServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("prices", () => {
  it("a model without a price is a config error, with the key to fix", () => {
    const r = validateConfig({ agent: { model: "claude-unpriced-9" } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      {
        path: "agent.model",
        message: expect.stringContaining("no price for model 'claude-unpriced-9'"),
      },
    ]);
    const role = validateConfig({ roles: { reviewer: { retryModel: "claude-unpriced-9" } } });
    expect(role.ok ? [] : role.errors.map((e) => e.path)).toEqual(["roles.reviewer.retryModel"]);
  });

  it("agent.prices entries merge over the defaults instead of replacing them", () => {
    const c = configOf({
      agent: {
        model: "my-model",
        prices: { "my-model": { input: 1, output: 2, cacheWrite: 1, cacheRead: 0.1 } },
      },
    });
    expect(priceFor(c.agent.prices, "my-model")).toMatchObject({ input: 1 });
    expect(priceFor(c.agent.prices, "claude-sonnet-5-5")).toMatchObject({ input: 3, output: 15 });
    expect(priceFor(c.agent.prices, "claude-haiku-4-5-20251001")).toMatchObject({ input: 1 });
  });

  it("drops the defaults of models past their end of life", () => {
    expect(priceFor(configOf().agent.prices, "claude-sonnet-4-5")).toBeUndefined();
    expect(validateConfig({ agent: { model: "claude-sonnet-4-5-20250929" } }).ok).toBe(false);
  });

  it("an agent command needs no price (the tool reports its cost)", () => {
    expect(validateConfig({ agent: { preset: "codex", model: "gpt-5-codex" } }).ok).toBe(true);
  });

  it("a builtin run on a model without a price fails before any API call", async () => {
    const fx = makeFixture({ "a.txt": "a\n" });
    try {
      server = await startFakeMessagesServer({});
      const out = await runRole(
        roleOptions(server, new MemoryHost(), fx.work, { model: "claude-unpriced-9" }),
      );
      expect(out.result.outcome).toBe("failed");
      expect(out.result.summary).toContain("no price for model claude-unpriced-9");
      expect(server.requests).toHaveLength(0);
    } finally {
      fx.cleanup();
    }
  });
});
