import type { PreflightResult } from "../core/board.js";

/** The message of anything thrown, for logs. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Status of an Octokit request error, or undefined for any other throw. */
export function httpStatus(e: unknown): number | undefined {
  if (typeof e === "object" && e !== null && "status" in e) {
    const status = (e as { status: unknown }).status;
    if (typeof status === "number") return status;
  }
  return undefined;
}

/** A configured HTTP readiness check (`preflight.http` of the config). */
export interface HttpCheck {
  name?: string | undefined;
  url: string;
  expectStatus: number;
  timeoutSeconds: number;
}

/**
 * One HTTP readiness check, the same for both backends: answered with the expected status
 * passes; another status, a timeout or no answer fails, with the reason (the network
 * error's cause when it has one: "ECONNREFUSED", not "fetch failed").
 */
export async function httpCheck(
  check: HttpCheck,
  fetchImpl: typeof fetch = fetch,
): Promise<PreflightResult> {
  const name = check.name ?? check.url;
  try {
    const res = await fetchImpl(check.url, {
      signal: AbortSignal.timeout(check.timeoutSeconds * 1000),
    });
    await res.body?.cancel().catch(() => undefined);
    const ok = res.status === check.expectStatus;
    return {
      name,
      ok,
      detail: ok
        ? `${check.url} answered ${res.status}`
        : `${check.url} answered ${res.status} (expected ${check.expectStatus})`,
    };
  } catch (e: unknown) {
    const why =
      e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
    return { name, ok: false, detail: `${check.url} did not answer: ${why}` };
  }
}
