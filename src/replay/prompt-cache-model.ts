import { createHash } from "node:crypto";
import type { ScriptedUsage } from "./turns.js";

/**
 * A small model of Anthropic prompt caching, so the fake server reports believable usage and
 * the prompt-cache benchmark can measure what a loop would pay. A request is cut into
 * segments (each tool, each system block, each message content block) serialized without
 * their `cache_control` (the API does not hash it). A breakpoint writes the prefix up to it;
 * a later request reads the longest prefix that was written before.
 */

export interface Segment {
  text: string;
  breakpoint: boolean;
}

/** Estimated tokens of a text (the usual 4 bytes per token). */
export const estimateTokens = (text: string): number => Math.ceil(Buffer.byteLength(text) / 4);

/** The request body as an ordered list of segments: tools, then system, then messages. */
export function promptSegments(body: unknown): Segment[] {
  const b = (body ?? {}) as { tools?: unknown; system?: unknown; messages?: unknown };
  const out: Segment[] = [];
  const push = (prefix: string, value: unknown) => {
    const { cache_control, ...rest } = (value ?? {}) as Record<string, unknown>;
    out.push({
      text: `${prefix}${JSON.stringify(rest)}`,
      breakpoint: cache_control !== undefined && cache_control !== null,
    });
  };
  if (Array.isArray(b.tools)) for (const t of b.tools) push("tool:", t);
  if (typeof b.system === "string") out.push({ text: `system:${b.system}`, breakpoint: false });
  else if (Array.isArray(b.system)) for (const s of b.system) push("system:", s);
  if (Array.isArray(b.messages))
    for (const m of b.messages as { role?: string; content?: unknown }[]) {
      const role = String(m.role);
      if (typeof m.content === "string")
        out.push({
          text: `${role}:${JSON.stringify({ type: "text", text: m.content })}`,
          breakpoint: false,
        });
      else if (Array.isArray(m.content)) for (const c of m.content) push(`${role}:`, c);
    }
  return out;
}

/** Bytes of `next`'s segments that repeat `previous`'s segments from the start, in order. */
export function sharedPrefixBytes(previous: Segment[], next: Segment[]): number {
  let bytes = 0;
  for (let i = 0; i < Math.min(previous.length, next.length); i++) {
    if (previous[i]!.text !== next[i]!.text) break;
    bytes += Buffer.byteLength(next[i]!.text);
  }
  return bytes;
}

export const segmentsBytes = (segments: Segment[]): number =>
  segments.reduce((n, s) => n + Buffer.byteLength(s.text), 0);

/** One cache (one per agent in the fake server): the prefixes written so far. */
export class PromptCacheModel {
  readonly #written = new Set<string>();

  /** Usage of one request's input under the cache, and records the prefixes it writes. */
  charge(body: unknown): Omit<ScriptedUsage, "output_tokens"> {
    const segments = promptSegments(body);
    const hashes: string[] = [];
    let running = "";
    for (const s of segments) {
      running = createHash("sha256").update(running).update(s.text).digest("hex");
      hashes.push(running);
    }
    let lastBreakpoint = -1;
    segments.forEach((s, i) => {
      if (s.breakpoint) lastBreakpoint = i;
    });
    let readUpTo = -1;
    for (let i = lastBreakpoint; i >= 0; i--)
      if (this.#written.has(hashes[i]!)) {
        readUpTo = i;
        break;
      }
    segments.forEach((s, i) => {
      if (s.breakpoint) this.#written.add(hashes[i]!);
    });
    const tokens = (from: number, to: number) =>
      estimateTokens(
        segments
          .slice(from, to)
          .map((s) => s.text)
          .join(""),
      );
    return {
      cache_read_input_tokens: tokens(0, readUpTo + 1),
      cache_creation_input_tokens: tokens(readUpTo + 1, lastBreakpoint + 1),
      input_tokens: tokens(lastBreakpoint + 1, segments.length),
    };
  }
}
