/**
 * Prompt-cache figure of the agent loop: over a scripted 20-turn session against the fake
 * Messages server, the share of each request that repeats the previous request byte for
 * byte from its start (cacheable), and the cache reads of the server's cache model.
 * Target: at least 90% of input tokens cacheable from turn 3 on.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { runAgentLoop } from "../src/agent/agent-loop.js";
import { priceFor } from "../src/agent/pricing.js";
import { SYSTEM_PROMPT } from "../src/agent/prompts.js";
import { scrubEnv } from "../src/agent/scrub-env.js";
import { toolsFor } from "../src/agent/tools/toolset.js";
import { DEFAULT_MODEL, DEFAULT_PRICES } from "../src/core/config.js";
import { startFakeMessagesServer } from "../src/replay/fake-messages-server.js";
import { promptCacheReport } from "../src/replay/prompt-cache-report.js";
import { SAMPLE_REPO, twentyTurnScript } from "../src/replay/sample-session.js";

export async function measurePromptCache() {
  const server = await startFakeMessagesServer({ fallback: twentyTurnScript() });
  const workspace = realpathSync(mkdtempSync(join(tmpdir(), "conveyor-bench-")));
  try {
    for (const [path, content] of Object.entries(SAMPLE_REPO)) {
      mkdirSync(dirname(join(workspace, path)), { recursive: true });
      writeFileSync(join(workspace, path), content);
    }
    const result = await runAgentLoop({
      client: new Anthropic({ apiKey: "bench", baseURL: server.url, maxRetries: 0 }),
      model: DEFAULT_MODEL,
      system: `${SYSTEM_PROMPT}\n\nRun [conveyor:bench]`,
      prompt: "Fix add() in src/math.mjs (it subtracts). Add a CHANGELOG entry.",
      tools: toolsFor("task"),
      context: {
        workspaceReal: workspace,
        env: scrubEnv(process.env),
        timeLeftMs: () => 600_000,
        commands: [],
        written: new Set(),
      },
      maxTurns: 30,
      stopAt: new Date(Date.now() + 600_000),
      costBudgetUsd: 5,
      price: priceFor(DEFAULT_PRICES, DEFAULT_MODEL),
    });
    return { rows: promptCacheReport(server.requests), result };
  } finally {
    await server.close();
    rmSync(workspace, { recursive: true, force: true });
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export default async function bench(): Promise<void> {
  const { rows, result } = await measurePromptCache();
  console.log(
    `turns: ${result.turns}, stop: ${result.stop.reason}, cost: $${result.usage.costUsd.toFixed(4)}`,
  );
  console.log("turn  request bytes  repeated prefix  cache read (model)");
  for (const r of rows)
    console.log(
      `${String(r.turn).padStart(4)}  ${String(r.bytes).padStart(13)}  ${pct(r.repeatedPrefix).padStart(15)}  ${pct(r.cacheRead).padStart(18)}`,
    );
  const from3 = rows.filter((r) => r.turn >= 3);
  const bytes = from3.reduce((n, r) => n + r.bytes, 0);
  const weighted = from3.reduce((n, r) => n + r.repeatedPrefix * r.bytes, 0) / bytes;
  const minShare = Math.min(...from3.map((r) => r.repeatedPrefix));
  const u = result.usage;
  console.log(
    `from turn 3 on: ${pct(weighted)} of input bytes repeat the previous request (lowest turn ${pct(minShare)}); target >= 90%`,
  );
  console.log(
    `cache model over the run: read ${u.cacheReadTokens}, written ${u.cacheWriteTokens}, uncached ${u.inputTokens} input tokens (${pct(u.cacheReadTokens / (u.cacheReadTokens + u.cacheWriteTokens + u.inputTokens))} read)`,
  );
}
