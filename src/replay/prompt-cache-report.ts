import type { RecordedRequest } from "./fake-messages-server.js";
import { promptSegments, segmentsBytes, sharedPrefixBytes } from "./prompt-cache-model.js";

/** One request of a loop, seen from the prompt cache. */
export interface CacheRow {
  /** 1-based turn. */
  turn: number;
  bytes: number;
  /** Share of this request that repeats the previous request from its start (0..1). */
  repeatedPrefix: number;
  /** Share of input tokens the cache model served as cache reads (0..1). */
  cacheRead: number;
}

/**
 * How much of each request of one agent's loop repeats the previous one byte for byte from
 * the start (what a prompt cache can serve), and how much the fake server's cache model read
 * from the cache. `cache_control` markers are left out of the comparison: the API does not
 * hash them.
 */
export function promptCacheReport(requests: RecordedRequest[]): CacheRow[] {
  const ok = requests.filter((r) => r.response?.status === 200);
  return ok.map((r, i) => {
    const segments = promptSegments(r.body);
    const bytes = segmentsBytes(segments);
    const previous = i > 0 ? promptSegments(ok[i - 1]!.body) : [];
    const u = r.response?.usage;
    const input = u
      ? u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens
      : 0;
    return {
      turn: i + 1,
      bytes,
      repeatedPrefix: bytes === 0 ? 0 : sharedPrefixBytes(previous, segments) / bytes,
      cacheRead: input === 0 ? 0 : (u?.cache_read_input_tokens ?? 0) / input,
    };
  });
}
