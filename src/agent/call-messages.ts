import Anthropic from "@anthropic-ai/sdk";

/**
 * Calls whose `max_tokens` is above this are streamed (the SDK requires it from about 21k
 * output tokens, the 10-minute mark at its estimate of 128k tokens an hour).
 */
export const STREAM_ABOVE_TOKENS = 16_000;

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
  /** Random number in [0, 1) for the backoff's jitter (tests pass a fixed one). */
  random?: () => number;
}

/**
 * One Messages call (`messages.create`, or the stream helper when `max_tokens` is large) with
 * Conveyor's retry policy (the SDK's own retries are off):
 * 429 with `retry-after` waits that long; 529 / 5xx / 408 / connection errors back off
 * exponentially with full jitter (so agents that failed together do not retry together);
 * a 429 without `retry-after` (spend cap), a bad key and a 400 stop at once. Errors are told
 * apart by the SDK's error classes and the API's error `type`, not by message text.
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
      const options = {
        timeout: Math.max(1000, Math.min(left, 600_000)),
        ...(policy.signal ? { signal: policy.signal } : {}),
      };
      // A long answer is streamed: the SDK refuses a non-streaming call that may pass 10
      // minutes, and an idle connection that long is cut by proxies on the way.
      const message =
        params.max_tokens > STREAM_ABOVE_TOKENS
          ? await client.messages.stream(params, options).finalMessage()
          : await client.messages.create(params, options);
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
      const random = policy.random ?? Math.random;
      // Full jitter: anywhere between half and all of the exponential step.
      const wait =
        decision.afterMs ??
        Math.round(Math.min(60_000, 1000 * 2 ** retries) * (0.5 + random() / 2));
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
  if (e instanceof Anthropic.APIConnectionTimeoutError)
    return { kind: "retry", message: `request timed out: ${e.message}` };
  if (e instanceof Anthropic.APIConnectionError)
    return { kind: "retry", message: `connection error: ${e.message}` };
  if (!(e instanceof Anthropic.APIError))
    return {
      kind: "bad_request",
      message: `unexpected error: ${e instanceof Error ? e.message : String(e)}`,
    };
  const type = errorType(e);
  const detail = apiMessage(e);
  if (e.status === undefined) {
    // An `error` event in the middle of a stream: the status was 200, the type says what.
    if (type === "overloaded_error" || type === "api_error" || type === "timeout_error")
      return { kind: "retry", message: `Anthropic API stream error (${type}): ${detail}` };
    return {
      kind: "bad_request",
      message: `Anthropic API stream error${type ? ` (${type})` : ""}: ${detail}`,
    };
  }
  const status = e.status;
  const after = retryAfterMs(e.headers);
  if (type === "billing_error")
    return { kind: "spend_cap", message: `Anthropic API billing error: ${detail}` };
  if (e instanceof Anthropic.RateLimitError || type === "rate_limit_error") {
    if (after === undefined)
      return {
        kind: "spend_cap",
        message: `Anthropic API 429 without retry-after (spend cap or quota reached): ${detail}`,
      };
    return { kind: "retry", message: `rate limited (429): ${detail}`, afterMs: after };
  }
  if (
    e instanceof Anthropic.AuthenticationError ||
    e instanceof Anthropic.PermissionDeniedError ||
    type === "authentication_error" ||
    type === "permission_error"
  )
    return {
      kind: "auth",
      message: `Anthropic API ${status}: the API key was refused (${detail})`,
    };
  if (status === 413 || type === "request_too_large")
    return {
      kind: "context",
      message: `the conversation no longer fits the context window: ${detail}`,
    };
  // A too-long prompt has no error type of its own (invalid_request_error): its message is
  // the API's only signal.
  if (
    e instanceof Anthropic.BadRequestError &&
    /prompt is too long|context window|too many tokens/i.test(detail)
  )
    return {
      kind: "context",
      message: `the conversation no longer fits the context window: ${detail}`,
    };
  if (
    e instanceof Anthropic.InternalServerError ||
    e instanceof Anthropic.ConflictError ||
    type === "overloaded_error" ||
    type === "api_error" ||
    type === "timeout_error" ||
    status === 408
  )
    return {
      kind: "retry",
      message: `Anthropic API ${status}${type === "overloaded_error" || status === 529 ? " (overloaded)" : ""}: ${detail}`,
      ...(after !== undefined ? { afterMs: after } : {}),
    };
  return { kind: "bad_request", message: `Anthropic API ${status}: ${detail}` };
}

function errorType(e: InstanceType<typeof Anthropic.APIError>): string | undefined {
  const body = e.error as { error?: { type?: unknown } } | undefined;
  return typeof body?.error?.type === "string" ? body.error.type : undefined;
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
