import { describe, expect, it } from "vitest";
import { measurePromptCache } from "../../bench/prompt-cache.bench.js";

describe("prompt caching over a scripted 20-turn loop", () => {
  it("repeats each request as the prefix of the next: >= 90% cacheable from turn 3 on", async () => {
    const { rows, result } = await measurePromptCache();
    expect(result.stop.reason).toBe("finished");
    expect(rows).toHaveLength(20);
    const from3 = rows.filter((r) => r.turn >= 3);
    const bytes = from3.reduce((n, r) => n + r.bytes, 0);
    const share = from3.reduce((n, r) => n + r.repeatedPrefix * r.bytes, 0) / bytes;
    expect(share).toBeGreaterThanOrEqual(0.9);
    // Every turn after the first reads the cache the previous turn wrote.
    for (const r of rows.slice(1)) expect(r.cacheRead).toBeGreaterThan(0.5);
    expect(result.usage.cacheReadTokens).toBeGreaterThan(10 * result.usage.cacheWriteTokens);
  });
});
