import type { PreflightResult } from "../core/board.js";

/**
 * The one place that turns a failed request (or anything thrown) into words for a log line,
 * and reads its HTTP status. An answer GitHub (or a stand-in such as Prism) sends without a
 * JSON message leaves Octokit with "Unknown error": the status, the call and the request id
 * are what tell why a pass failed, so they are always part of the text.
 */

/** Status of a failed request (Octokit's RequestError, GitHubError), or undefined. */
export function httpStatus(e: unknown): number | undefined {
  if (typeof e === "object" && e !== null && "status" in e) {
    const status = (e as { status: unknown }).status;
    if (typeof status === "number") return status;
  }
  return undefined;
}

/** Where a failed request went and how it was answered, as far as the error tells. */
export interface RequestFailure {
  status?: number;
  /** `GET https://api.github.com/repos/o/r/…` */
  call?: string;
  /** GitHub's `x-github-request-id`: what GitHub support asks for. */
  requestId?: string;
  /** The GraphQL operation name, e.g. `DefaultBranch`. */
  operation?: string;
  /** The paths of GraphQL errors, e.g. `repository.pr0`. */
  paths?: string[];
}

/** The facts a thrown value carries about its request (none for a plain Error). */
export function requestFailure(e: unknown): RequestFailure {
  if (typeof e !== "object" || e === null) return {};
  const o = e as {
    status?: unknown;
    call?: unknown;
    requestId?: unknown;
    operation?: unknown;
    paths?: unknown;
    request?: { method?: unknown; url?: unknown };
    response?: { headers?: Record<string, unknown> };
  };
  const out: RequestFailure = {};
  const status = httpStatus(e);
  if (status !== undefined) out.status = status;
  if (typeof o.call === "string" && o.call) out.call = o.call;
  else if (typeof o.request?.method === "string" && typeof o.request.url === "string")
    out.call = `${o.request.method} ${o.request.url}`;
  const id = o.requestId ?? o.response?.headers?.["x-github-request-id"];
  if (typeof id === "string" && id) out.requestId = id;
  if (typeof o.operation === "string" && o.operation) out.operation = o.operation;
  if (Array.isArray(o.paths) && o.paths.length > 0) out.paths = o.paths.map(String);
  return out;
}

/**
 * The message of anything thrown, for logs; a failed request adds its status, call, request
 * id and GraphQL operation and error paths: `Not Found (404, GET https://…/contents/x,
 * request 0400:1234)`.
 */
export function errorText(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const f = requestFailure(e);
  const parts: string[] = [];
  if (f.status !== undefined) parts.push(f.status === 0 ? "no answer" : String(f.status));
  if (f.call) parts.push(f.call);
  if (f.operation) parts.push(`operation ${f.operation}`);
  if (f.paths) parts.push(`at ${f.paths.join(", ")}`);
  if (f.requestId) parts.push(`request ${f.requestId}`);
  return parts.length === 0 ? message : `${message} (${parts.join(", ")})`;
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
