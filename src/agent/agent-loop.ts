import type Anthropic from "@anthropic-ai/sdk";
import { callMessages } from "./call-messages.js";
import { addUsage, emptyUsage, type Price } from "./pricing.js";
import type { AgentReport, LoopStop, UsageTotals } from "./role-types.js";
import type { ToolContext, ToolOutput, ToolSpec } from "./tools/tool.js";

type MessageParam = Anthropic.Messages.MessageParam;
type ContentBlockParam = Anthropic.Messages.ContentBlockParam;
type ToolResultBlockParam = Anthropic.Messages.ToolResultBlockParam;

export interface LoopOptions {
  client: Anthropic;
  model: string;
  /** Stable system prompt (cached with the tools). */
  system: string;
  /** The first user message: the role's rendered prompt. */
  prompt: string;
  tools: ToolSpec[];
  context: ToolContext;
  maxTurns: number;
  /** The loop stops calling the model at this time (the role keeps time to wrap up after). */
  stopAt: Date;
  costBudgetUsd: number;
  price: Price | undefined;
  maxTokens?: number;
  /**
   * Input tokens the conversation is kept under: past it, old tool results are cleared
   * (the last `keepToolResults` stay). Default 120k.
   */
  contextBudgetTokens?: number;
  /** Tool results kept whole when old ones are cleared; default 6. */
  keepToolResults?: number;
  maxRetries?: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source of the retry backoff (tests). */
  random?: () => number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface LoopResult {
  stop: LoopStop;
  report?: AgentReport;
  usage: UsageTotals;
  turns: number;
  /** The last text the model wrote (its summary when it ended without `finish`). */
  lastText: string;
  messages: MessageParam[];
}

const MAX_TOKENS_IN_A_ROW = 3;
const DEFAULT_CONTEXT_BUDGET = 120_000;
const DEFAULT_KEEP_TOOL_RESULTS = 6;
/** Clearing starts at this share of the budget, so one clearing lasts many turns. */
const CLEAR_AT = 0.8;
export const CLEARED_PLACEHOLDER =
  "[older tool result cleared to keep the context small; run the tool again if you need it]";
const REMINDER =
  "You ended your turn without calling the finish tool. If your work is done or you cannot go on, call finish now with your report; otherwise continue with your tools.";
const EPHEMERAL = { type: "ephemeral" } as const;

/**
 * The agent loop: send, run every requested tool, answer each `tool_use` with a
 * `tool_result` in the next user turn; stop on `finish`, `end_turn` or any budget. The
 * request is built so that each turn's request repeats the previous one as its prefix:
 * tools, then system (breakpoint), then the conversation with breakpoints on the last two
 * user turns.
 */
export async function runAgentLoop(o: LoopOptions): Promise<LoopResult> {
  const now = o.now ?? (() => new Date());
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const log = o.log ?? (() => {});
  const usage = emptyUsage();
  const messages: MessageParam[] = [{ role: "user", content: [{ type: "text", text: o.prompt }] }];
  const tools = o.tools.map((t, i) => ({
    name: t.name,
    description: t.description,
    input_schema: t.input_schema,
    ...(i === o.tools.length - 1 ? { cache_control: EPHEMERAL } : {}),
  })) as Anthropic.Messages.Tool[];
  const system = [{ type: "text" as const, text: o.system, cache_control: EPHEMERAL }];
  let turns = 0;
  let lastText = "";
  let maxTokensInARow = 0;
  let reminded = false;
  /** Input tokens of the last request (all of it: uncached, cache write and cache read). */
  let lastInput = 0;
  let lastOutput = 0;
  let charsSinceLast = 0;
  const budget = o.contextBudgetTokens ?? DEFAULT_CONTEXT_BUDGET;
  const done = (stop: LoopStop, report?: AgentReport): LoopResult => {
    log(`loop stopped: ${stop.reason}: ${stop.message}`);
    return { stop, ...(report ? { report } : {}), usage, turns, lastText, messages };
  };

  for (;;) {
    if (o.signal?.aborted) return done({ reason: "aborted", message: "the run was cancelled" });
    if (turns >= o.maxTurns)
      return done({ reason: "max_turns", message: `reached the limit of ${o.maxTurns} turns` });
    const timeLeftMs = () => o.stopAt.getTime() - now().getTime();
    if (timeLeftMs() <= 0)
      return done({
        reason: "deadline",
        message: "time budget used up before the work was finished",
      });
    if (usage.costUsd >= o.costBudgetUsd)
      return done({
        reason: "cost_budget",
        message: `cost budget of $${o.costBudgetUsd.toFixed(2)} spent ($${usage.costUsd.toFixed(4)})`,
      });

    // Keep the context under budget: the next request is about the last one, plus its
    // answer, plus what was added since (≈ 4 characters a token).
    const projected = lastInput + lastOutput + Math.ceil(charsSinceLast / 4);
    if (projected > budget * CLEAR_AT) {
      const cleared = clearOldToolResults(messages, o.keepToolResults ?? DEFAULT_KEEP_TOOL_RESULTS);
      if (cleared > 0)
        log(
          `context: about ${projected} input tokens (budget ${budget}); cleared ${cleared} old tool results`,
        );
    }
    charsSinceLast = 0;
    const outcome = await callMessages(
      o.client,
      {
        model: o.model,
        max_tokens: o.maxTokens ?? 8192,
        system,
        tools,
        messages: withBreakpoints(messages),
      },
      {
        maxRetries: o.maxRetries ?? 4,
        sleep,
        timeLeftMs,
        log,
        ...(o.random ? { random: o.random } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      },
    );
    if (!outcome.ok) {
      if (outcome.kind === "aborted") return done({ reason: "aborted", message: outcome.message });
      if (outcome.kind === "deadline")
        return done({ reason: "deadline", message: outcome.message });
      if (outcome.kind === "context")
        return done({ reason: "context_exhausted", message: outcome.message });
      return done({ reason: "api_error", message: outcome.message });
    }
    const message = outcome.message;
    turns += 1;
    addUsage(usage, message.usage, o.price);
    lastInput =
      message.usage.input_tokens +
      (message.usage.cache_creation_input_tokens ?? 0) +
      (message.usage.cache_read_input_tokens ?? 0);
    lastOutput = message.usage.output_tokens;
    const content = toParams(message.content);
    const text = message.content
      .filter((b): b is Anthropic.Messages.TextBlock => b.type === "text")
      .map((b) => b.text)
      .join("\n")
      .trim();
    if (text) lastText = text;
    const toolUses = message.content.filter(
      (b): b is Anthropic.Messages.ToolUseBlock => b.type === "tool_use",
    );
    log(
      `turn ${turns}: ${message.stop_reason}${toolUses.length ? ` [${toolUses.map((t) => t.name).join(", ")}]` : ""} · tokens in ${message.usage.input_tokens}, out ${message.usage.output_tokens}, cache write ${message.usage.cache_creation_input_tokens ?? 0}, cache read ${message.usage.cache_read_input_tokens ?? 0} · $${usage.costUsd.toFixed(4)} so far`,
    );
    if (content.length > 0) messages.push({ role: "assistant", content });

    switch (message.stop_reason) {
      case "tool_use": {
        maxTokensInARow = 0;
        if (toolUses.length === 0)
          return done({ reason: "end_turn", message: lastText || "the model asked for no tool" });
        const { results, report } = await runTools(toolUses, o.tools, o.context, log);
        messages.push({ role: "user", content: results });
        charsSinceLast += JSON.stringify(results).length;
        if (report) return done({ reason: "finished", message: report.summary }, report);
        break;
      }
      case "max_tokens": {
        maxTokensInARow += 1;
        if (maxTokensInARow >= MAX_TOKENS_IN_A_ROW)
          return done({
            reason: "max_tokens",
            message: `the model hit the output limit ${MAX_TOKENS_IN_A_ROW} times in a row`,
          });
        const cut: ContentBlockParam[] = toolUses.map(
          (t): ToolResultBlockParam => ({
            type: "tool_result",
            tool_use_id: t.id,
            is_error: true,
            content:
              "Not run: your answer hit the output token limit, so this call may be cut. Send smaller steps (e.g. several small edits).",
          }),
        );
        if (content.length === 0)
          messages.push({ role: "assistant", content: [{ type: "text", text: "…" }] });
        messages.push({
          role: "user",
          content: [
            ...cut,
            {
              type: "text",
              text: "Your answer was cut at the output token limit. Continue, in smaller steps.",
            },
          ],
        });
        break;
      }
      case "pause_turn":
        // The assistant turn is already appended: sending it back lets the model continue.
        if (content.length === 0)
          return done({ reason: "api_error", message: "pause_turn with an empty turn" });
        break;
      case "refusal":
        return done({
          reason: "refusal",
          message: `the model declined to continue${text ? `: ${text.slice(0, 300)}` : ""}`,
        });
      case "model_context_window_exceeded":
        return done({
          reason: "context_exhausted",
          message: "the conversation filled the model's context window",
        });
      default: {
        // end_turn, stop_sequence, null: the model stopped without calling finish.
        if (toolUses.length > 0) {
          const { results, report } = await runTools(toolUses, o.tools, o.context, log);
          messages.push({ role: "user", content: results });
          charsSinceLast += JSON.stringify(results).length;
          if (report) return done({ reason: "finished", message: report.summary }, report);
          break;
        }
        if (!reminded && o.tools.some((t) => t.name === "finish")) {
          // One reminder: a model that stops without its report usually just forgot it.
          reminded = true;
          if (content.length === 0)
            messages.push({ role: "assistant", content: [{ type: "text", text: "…" }] });
          messages.push({ role: "user", content: [{ type: "text", text: REMINDER }] });
          log("turn ended without finish: reminded once");
          break;
        }
        return done({
          reason: "end_turn",
          message: lastText ? lastText.slice(0, 500) : "the model ended its turn without a report",
        });
      }
    }
  }
}

async function runTools(
  calls: Anthropic.Messages.ToolUseBlock[],
  tools: ToolSpec[],
  context: ToolContext,
  log: (line: string) => void,
): Promise<{ results: ToolResultBlockParam[]; report?: AgentReport }> {
  const results: ToolResultBlockParam[] = [];
  let report: AgentReport | undefined;
  for (const call of calls) {
    const tool = tools.find((t) => t.name === call.name);
    let out: ToolOutput;
    if (report)
      // `finish` ends the run: nothing after it in the same turn runs.
      out = { content: "not run: finish was called before this call", isError: true };
    else if (!tool)
      out = {
        content: `unknown tool '${call.name}' (available: ${tools.map((t) => t.name).join(", ")})`,
        isError: true,
      };
    else
      try {
        out = await tool.run(call.input, context);
      } catch (e: unknown) {
        out = {
          content: `tool failed: ${e instanceof Error ? e.message : String(e)}`,
          isError: true,
        };
      }
    if (out.isError) log(`  ${call.name}: ${out.content.split("\n")[0]}`);
    if (out.finish && !report) report = out.finish;
    results.push({
      type: "tool_result",
      tool_use_id: call.id,
      content: out.content,
      ...(out.isError ? { is_error: true } : {}),
    });
  }
  return { results, ...(report ? { report } : {}) };
}

/** The assistant's content as request params (only the fields the API accepts back). */
function toParams(content: Anthropic.Messages.ContentBlock[]): ContentBlockParam[] {
  return content.flatMap((b): ContentBlockParam[] => {
    if (b.type === "text") return b.text === "" ? [] : [{ type: "text", text: b.text }];
    if (b.type === "tool_use")
      return [{ type: "tool_use", id: b.id, name: b.name, input: b.input }];
    if (b.type === "thinking")
      return [{ type: "thinking", thinking: b.thinking, signature: b.signature }];
    if (b.type === "redacted_thinking") return [{ type: "redacted_thinking", data: b.data }];
    return [];
  });
}

/** Messages with cache breakpoints on the last block of the last two user turns. */
function withBreakpoints(messages: MessageParam[]): MessageParam[] {
  const userIdx = messages.flatMap((m, i) => (m.role === "user" ? [i] : [])).slice(-2);
  return messages.map((m, i) => {
    if (!userIdx.includes(i) || typeof m.content === "string" || m.content.length === 0) return m;
    const content = [...m.content];
    const last = content[content.length - 1]!;
    content[content.length - 1] = { ...last, cache_control: EPHEMERAL } as ContentBlockParam;
    return { ...m, content } as MessageParam;
  });
}

/**
 * Replaces the content of every tool result but the last `keep` by a short placeholder
 * (results already cleared stay as they are). Clearing everything old at once, rather than
 * one result a turn, changes the cached prefix once per clearing instead of every turn.
 * Returns how many results were cleared.
 */
export function clearOldToolResults(messages: MessageParam[], keep: number): number {
  const places: { m: number; b: number }[] = [];
  messages.forEach((msg, m) => {
    if (msg.role !== "user" || typeof msg.content === "string") return;
    msg.content.forEach((block, b) => {
      if (block.type === "tool_result") places.push({ m, b });
    });
  });
  let cleared = 0;
  for (const { m, b } of places.slice(0, Math.max(0, places.length - keep))) {
    const content = messages[m]!.content as ContentBlockParam[];
    const block = content[b] as ToolResultBlockParam;
    if (block.content === CLEARED_PLACEHOLDER) continue;
    const size =
      typeof block.content === "string"
        ? block.content.length
        : JSON.stringify(block.content ?? "").length;
    if (size <= CLEARED_PLACEHOLDER.length) continue;
    content[b] = { ...block, content: CLEARED_PLACEHOLDER };
    cleared += 1;
  }
  return cleared;
}
