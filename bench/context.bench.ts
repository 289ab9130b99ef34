/**
 * Context figure of the built-in loop: a 60-turn session that views a 3,000-line file again
 * and again (as an agent reading a big module does), against the fake Messages server and
 * its prompt-cache model. Prints the input tokens of turns 20 and 60 and the cost, with the
 * context budget (old tool results cleared) and without it (every result kept, as before).
 * `npm run bench -- context`
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { runAgentLoop } from "../src/agent/agent-loop.js";
import { priceFor } from "../src/agent/pricing.js";
import { SYSTEM_PROMPT } from "../src/agent/prompts.js";
import { toolsFor } from "../src/agent/tools/toolset.js";
import { DEFAULT_MODEL, DEFAULT_PRICES, defaultConfig } from "../src/core/config.js";
import { startFakeMessagesServer } from "../src/replay/fake-messages-server.js";
import { script } from "../src/replay/script.js";

const TURNS = 60;

function bigFile(): string {
  return Array.from(
    { length: 3000 },
    (_, i) =>
      `export function handler${i}(input: Input): Output { return transform(input, ${i}); }`,
  ).join("\n");
}

export async function measureContext(budget: number) {
  const turns = script()
    .repeat(TURNS - 1, (b) => b.view("src/big.ts", 1, 1500))
    .finish({ summary: "read" })
    .turns();
  const server = await startFakeMessagesServer({ fallback: turns });
  const workspace = realpathSync(mkdtempSync(join(tmpdir(), "conveyor-bench-")));
  try {
    mkdirSync(join(workspace, "src"));
    writeFileSync(join(workspace, "src/big.ts"), bigFile());
    const result = await runAgentLoop({
      client: new Anthropic({ apiKey: "bench", baseURL: server.url, maxRetries: 0 }),
      model: DEFAULT_MODEL,
      system: `${SYSTEM_PROMPT}\n\nRun [conveyor:bench]`,
      prompt: "Read src/big.ts and summarise it.",
      tools: toolsFor("task"),
      context: {
        workspaceReal: workspace,
        env: {},
        timeLeftMs: () => 600_000,
        commands: [],
        written: new Set(),
      },
      maxTurns: TURNS + 5,
      stopAt: new Date(Date.now() + 600_000),
      costBudgetUsd: 1000,
      contextBudgetTokens: budget,
      price: priceFor(DEFAULT_PRICES, DEFAULT_MODEL),
    });
    const inputs = server.requests.map((r) => {
      const u = r.response?.usage;
      return u
        ? u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0)
        : 0;
    });
    return { inputs, result };
  } finally {
    await server.close();
    rmSync(workspace, { recursive: true, force: true });
  }
}

export default async function bench(): Promise<void> {
  const budget = defaultConfig().roles.task.contextBudgetTokens;
  const now = await measureContext(budget);
  const before = await measureContext(Number.MAX_SAFE_INTEGER);
  const at = (xs: number[], turn: number) => (xs[turn - 1] ?? Number.NaN).toLocaleString("en-US");
  for (const [name, r] of [
    [`with the context budget (${budget.toLocaleString("en-US")} tokens)`, now],
    ["without it (every tool result kept)", before],
  ] as const)
    console.log(
      `${name}: turns ${r.result.turns}, stop ${r.result.stop.reason}; input tokens at turn 20: ${at(r.inputs, 20)}, at turn 60: ${at(r.inputs, 60)}, max ${Math.max(...r.inputs).toLocaleString("en-US")}; cost $${r.result.usage.costUsd.toFixed(2)}`,
    );
  console.log(
    `cost with the budget: $${now.result.usage.costUsd.toFixed(2)} vs $${before.result.usage.costUsd.toFixed(2)} without (${((now.result.usage.costUsd / before.result.usage.costUsd) * 100).toFixed(0)}%); a 200k window holds the budgeted session: ${Math.max(...now.inputs) < 200_000 ? "yes" : "no"}`,
  );
}
