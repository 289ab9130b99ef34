import Anthropic from "@anthropic-ai/sdk";

/** Outcome of one Messages call after the retry policy. */
export type CallOutcome =
  | { ok: true; message: Anthropic.Messages.Message; retries: number }
  | {
      ok: false;
      kind: "spend_cap" | "auth" | "bad_request" | "context" | "gave_up" | "aborted" | "deadline";
      message: string;
      retries: number;
    };

export interface CallPolicy {
  maxRetries: number;
  sleep: (ms: number) => Promise<void>;
  timeLeftMs: () => number;
  log: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * One `messages.create` with Conveyor's retry policy (the SDK's own retries are off):
 * 429 with `retry-after` waits that long; 529 / 5xx / 408 / connection errors back off
 * exponentially; a 429 without `retry-after` (spend cap), a bad key and a 400 stop at once.
 * Never waits past the deadline.
 */
export async function callMessages(
  client: Anthropic,
  params: Anthropic.Messages.MessageCreateParamsNonStreaming,
  policy: CallPolicy,
): Promise<CallOutcome> {
  for (let retries = 0; ; retries++) {
    if (policy.signal?.aborted) return { ok: false, kind: "aborted", message: "aborted", retries };
    const left = policy.timeLeftMs();
    if (left <= 0)
      return { ok: false, kind: "deadline", message: "deadline reached before the call", retries };
    try {
      const message = await client.messages.create(params, {
        timeout: Math.max(1000, Math.min(left, 600_000)),
        ...(policy.signal ? { signal: policy.signal } : {}),
      });
      return { ok: true, message, retries };
    } catch (e: unknown) {
      const decision = classify(e);
      if (decision.kind !== "retry") return { ok: false, ...decision, retries };
      if (retries >= policy.maxRetries)
        return {
          ok: false,
          kind: "gave_up",
          message: `gave up after ${retries + 1} attempts: ${decision.message}`,
          retries,
        };
      const wait = decision.afterMs ?? Math.min(60_000, 1000 * 2 ** retries);
      if (wait >= policy.timeLeftMs())
        return {
          ok: false,
          kind: "deadline",
          message: `${decision.message}; waiting ${Math.round(wait / 1000)} s would pass the deadline`,
          retries,
        };
      policy.log(`${decision.message}; retry ${retries + 1}/${policy.maxRetries} in ${wait} ms`);
      await policy.sleep(wait);
    }
  }
}

type Decision =
  | { kind: "retry"; message: string; afterMs?: number }
  | { kind: Exclude<Extract<CallOutcome, { ok: false }>["kind"], "gave_up">; message: string };

function classify(e: unknown): Decision {
  if (e instanceof Anthropic.APIUserAbortError) return { kind: "aborted", message: "aborted" };
  if (e instanceof Anthropic.APIConnectionError)
    return { kind: "retry", message: `connection error: ${e.message}` };
  if (!(e instanceof Anthropic.APIError) || e.status === undefined)
    return {
      kind: "bad_request",
      message: `unexpected error: ${e instanceof Error ? e.message : String(e)}`,
    };
  const status = e.status;
  const detail = apiMessage(e);
  if (status === 429) {
    const after = retryAfterMs(e.headers);
    if (after === undefined || /spend|credit|billing|quota|limit.*month/i.test(detail))
      return {
        kind: "spend_cap",
        message: `Anthropic API 429 without retry-after (spend cap or quota reached): ${detail}`,
      };
    return { kind: "retry", message: `rate limited (429): ${detail}`, afterMs: after };
  }
  if (status === 401 || status === 403)
    return {
      kind: "auth",
      message: `Anthropic API ${status}: the API key was refused (${detail})`,
    };
  if (status === 413 || (status === 400 && /too long|context|too many tokens/i.test(detail)))
    return {
      kind: "context",
      message: `the conversation no longer fits the context window: ${detail}`,
    };
  if (status === 408 || status === 409 || status >= 500)
    return {
      kind: "retry",
      message: `Anthropic API ${status}${status === 529 ? " (overloaded)" : ""}: ${detail}`,
      ...(retryAfterMs(e.headers) !== undefined ? { afterMs: retryAfterMs(e.headers)! } : {}),
    };
  return { kind: "bad_request", message: `Anthropic API ${status}: ${detail}` };
}

function apiMessage(e: InstanceType<typeof Anthropic.APIError>): string {
  const body = e.error as { error?: { message?: unknown } } | undefined;
  const m = body?.error?.message;
  return typeof m === "string" ? m : e.message;
}

function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = headers?.get("retry-after-ms");
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const s = headers?.get("retry-after");
  if (!s) return undefined;
  if (Number.isFinite(Number(s))) return Math.max(0, Number(s) * 1000);
  const date = Date.parse(s);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
