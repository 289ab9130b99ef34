import { type Config, priceOf } from "../core/config.js";
import type { UsageTotals } from "./role-types.js";

export type Price = Config["agent"]["prices"][string];

/** The price of a model from the config's table (exact id, else the longest prefix). */
export function priceFor(prices: Config["agent"]["prices"], model: string): Price | undefined {
  return priceOf(prices, model);
}

export interface CallUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/** USD of one call's usage at a price (USD per million tokens); 0 without a price. */
export function costOf(usage: CallUsage, price: Price | undefined): number {
  if (!price) return 0;
  return (
    (usage.input_tokens * price.input +
      usage.output_tokens * price.output +
      (usage.cache_creation_input_tokens ?? 0) * price.cacheWrite +
      (usage.cache_read_input_tokens ?? 0) * price.cacheRead) /
    1_000_000
  );
}

export const emptyUsage = (): UsageTotals => ({
  calls: 0,
  inputTokens: 0,
  outputTokens: 0,
  cacheWriteTokens: 0,
  cacheReadTokens: 0,
  costUsd: 0,
});

export function addUsage(totals: UsageTotals, usage: CallUsage, price: Price | undefined): void {
  totals.calls += 1;
  totals.inputTokens += usage.input_tokens;
  totals.outputTokens += usage.output_tokens;
  totals.cacheWriteTokens += usage.cache_creation_input_tokens ?? 0;
  totals.cacheReadTokens += usage.cache_read_input_tokens ?? 0;
  totals.costUsd += costOf(usage, price);
}

export const totalTokens = (u: UsageTotals): number =>
  u.inputTokens + u.outputTokens + u.cacheWriteTokens + u.cacheReadTokens;
