import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { AgentResult } from "../../core/board.js";

/**
 * A run's result is bound to that run. The supervisor makes a fresh key for each run, hands
 * it to the agent process on its stdin (never in a file, the environment or the command
 * line) and records only the key's hash in the run record. The agent process seals its
 * result with the key (HMAC-SHA256) and discloses the key only after its role has finished,
 * when nothing the agent ran is left to forge with it. A report someone else wrote, one from
 * an earlier run, or one written before the key was disclosed does not open.
 */

export const newSealKey = (): string => randomBytes(32).toString("hex");

export const sealKeyHash = (key: string): string =>
  createHash("sha256").update(key, "utf8").digest("hex");

const mac = (key: string, body: string): string =>
  createHmac("sha256", key).update(body, "utf8").digest("hex");

/** The text of a sealed result file: `{"result": …, "seal": "<hmac of the result's JSON>"}`. */
export function sealResult(result: AgentResult, key: string): string {
  const body = JSON.stringify(result);
  return `${JSON.stringify({ result: JSON.parse(body) as unknown, seal: mac(key, body) }, null, 2)}\n`;
}

/** The result in a sealed file's text when its seal is the key's; else undefined. */
export function openSealed(text: string, key: string): AgentResult | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { result, seal } = parsed as { result?: unknown; seal?: unknown };
  if (typeof seal !== "string" || typeof result !== "object" || result === null) return undefined;
  const want = Buffer.from(mac(key, JSON.stringify(result)), "utf8");
  const got = Buffer.from(seal, "utf8");
  if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
  return result as AgentResult;
}
