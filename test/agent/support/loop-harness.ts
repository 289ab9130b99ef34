import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { type LoopOptions, type LoopResult, runAgentLoop } from "../../../src/agent/agent-loop.js";
import { priceFor } from "../../../src/agent/pricing.js";
import type { CommandRun } from "../../../src/agent/role-types.js";
import { toolsFor } from "../../../src/agent/tools/toolset.js";
import { DEFAULT_PRICES } from "../../../src/core/config.js";
import {
  type FakeMessagesServer,
  startFakeMessagesServer,
} from "../../../src/replay/fake-messages-server.js";
import type { ScriptedTurn } from "../../../src/replay/turns.js";

export interface Harness {
  server: FakeMessagesServer;
  workspace: string;
  commands: CommandRun[];
  logs: string[];
  run(over?: Partial<LoopOptions>): Promise<LoopResult>;
  close(): Promise<void>;
}

/** The loop against the fake server, over a temp workspace, with the task role's tools. */
export async function loopHarness(turns: ScriptedTurn[]): Promise<Harness> {
  const server = await startFakeMessagesServer({ fallback: turns });
  const workspace = realpathSync(mkdtempSync(join(tmpdir(), "conveyor-loop-")));
  const commands: CommandRun[] = [];
  const logs: string[] = [];
  return {
    server,
    workspace,
    commands,
    logs,
    run: (over = {}) =>
      runAgentLoop({
        client: new Anthropic({ apiKey: "k", baseURL: server.url, maxRetries: 0 }),
        model: "claude-sonnet-5-5",
        system: "system [conveyor:loop]",
        prompt: "do the thing",
        tools: toolsFor("task"),
        context: {
          workspaceReal: workspace,
          env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
          timeLeftMs: () => 60_000,
          commands,
          written: new Set(),
        },
        maxTurns: 20,
        stopAt: new Date(Date.now() + 600_000),
        costBudgetUsd: 5,
        price: priceFor(DEFAULT_PRICES, "claude-sonnet-5-5"),
        maxRetries: 2,
        sleep: async () => {},
        log: (l) => logs.push(l),
        ...over,
      }),
    close: async () => {
      await server.close();
      rmSync(workspace, { recursive: true, force: true });
    },
  };
}

/** The tool_result blocks of the n-th recorded request's last message. */
export function toolResults(
  server: FakeMessagesServer,
  n: number,
): { content: string; is_error?: boolean }[] {
  const body = server.requests[n]!.body as { messages: { content: { type: string }[] }[] };
  const last = body.messages[body.messages.length - 1]!;
  return last.content.filter((c) => c.type === "tool_result") as never;
}
