import type { Octokit } from "@octokit/rest";
import { httpStatus } from "./http-errors.js";
import { GitHubError } from "./port.js";

/** What the port needs of an Octokit (an @octokit/rest instance or Probot's installation Octokit). */
export type OctokitLike = Pick<Octokit, "request">;

type Json = Record<string, unknown>;

/** Where the server's APIs are, derived once from the REST base. */
export interface GitHubUrls {
  /** REST base: `https://api.github.com`, or `https://host/api/v3` on GitHub Enterprise Server. */
  api: string;
  /** GraphQL: `https://api.github.com/graphql`, or `https://host/api/graphql` on GHE. */
  graphql: string;
  /** The web address, for links: `https://github.com`, or `https://host` on GHE. */
  web: string;
}

export const GITHUB_API = "https://api.github.com";

/**
 * The URLs of a server from its REST base. GitHub Enterprise Server serves REST at
 * `https://host/api/v3` and GraphQL at `https://host/api/graphql` (not `/api/v3/graphql`).
 * `graphql` and `web` override what the base implies (the Actions runner tells both:
 * GITHUB_GRAPHQL_URL, GITHUB_SERVER_URL).
 */
export function githubUrls(
  api: string = GITHUB_API,
  overrides: { graphql?: string | undefined; web?: string | undefined } = {},
): GitHubUrls {
  const base = api.replace(/\/+$/, "");
  const ghe = /^(.*)\/api\/v3$/.exec(base);
  const graphql = ghe ? `${ghe[1]}/api/graphql` : `${base}/graphql`;
  let web: string;
  if (ghe) web = ghe[1]!;
  else if (base === GITHUB_API) web = "https://github.com";
  else web = base;
  return {
    api: base,
    graphql: overrides.graphql?.replace(/\/+$/, "") || graphql,
    web: overrides.web?.replace(/\/+$/, "") || web,
  };
}

/** The REST base an Octokit was built with (`request.endpoint.DEFAULTS.baseUrl`), if it tells. */
export function baseUrlOf(octokit: unknown): string | undefined {
  const request = (octokit as { request?: { endpoint?: { DEFAULTS?: { baseUrl?: unknown } } } })
    ?.request;
  const base = request?.endpoint?.DEFAULTS?.baseUrl;
  return typeof base === "string" && base ? base : undefined;
}

/** ETags of list and read answers, kept across passes in the repository's memo. */
export type EtagCache = Map<string, { etag: string; items: unknown[]; complete: boolean }>;

export interface TransportOptions {
  /** Default: from the Octokit's own base URL, else api.github.com. */
  urls?: GitHubUrls;
  /** Default: a new, empty cache. */
  etags?: EtagCache;
}

/** Per-request options: no automatic retry (@octokit/plugin-retry reads `request.retries`). */
const NO_RETRY = { retries: 0 } as const;

export const PER_PAGE = 100;
/** Pages read at most per list (10,000 items); a bigger list is cut, not looped forever. */
const MAX_PAGES = 100;

export interface GqlError {
  type?: string;
  message: string;
  path?: (string | number)[];
}

/**
 * How the port talks HTTP: REST calls at the REST base, GraphQL at the GraphQL URL (both
 * given, never guessed from the Octokit), lists paginated by hand with the first page sent
 * as a conditional request (ETag; a 304 costs no rate limit), and every HTTP request counted
 * (retries included: the count sits at the fetch). Every failure becomes a `GitHubError`
 * with the status, the method and URL, the request id and, for GraphQL, the operation and
 * the paths of its errors.
 */
export class OctokitTransport {
  readonly urls: GitHubUrls;
  private readonly etags: EtagCache;
  private sent = 0;

  constructor(
    private readonly octokit: OctokitLike,
    readonly owner: string,
    readonly repo: string,
    options: TransportOptions = {},
  ) {
    this.urls = options.urls ?? githubUrls(baseUrlOf(octokit));
    this.etags = options.etags ?? new Map();
  }

  /** HTTP requests sent so far. */
  requestsSent(): number {
    return this.sent;
  }

  /** `request` options: the counting fetch, and no retries when asked. */
  private requestOptions(noRetry: boolean): Json {
    const defaults = (
      this.octokit.request as { endpoint?: { DEFAULTS?: { request?: { fetch?: unknown } } } }
    ).endpoint?.DEFAULTS?.request;
    const inner = defaults?.fetch as typeof fetch | undefined;
    const counting: typeof fetch = (input, init) => {
      this.sent++;
      return (inner ?? globalThis.fetch)(input, init);
    };
    return { fetch: counting, ...(noRetry ? NO_RETRY : {}) };
  }

  private async send(
    route: string,
    params: Json,
    noRetry = false,
  ): Promise<{ data: unknown; headers: Record<string, unknown> }> {
    try {
      return (await this.octokit.request(route, {
        baseUrl: this.urls.api,
        owner: this.owner,
        repo: this.repo,
        ...params,
        request: this.requestOptions(noRetry),
      })) as { data: unknown; headers: Record<string, unknown> };
    } catch (e: unknown) {
      throw toGitHubError(e, this.describe(route, params));
    }
  }

  /** `GET https://api.github.com/repos/{owner}/{repo}/…` with owner and repo filled in. */
  private describe(route: string, params: Json): string {
    const [method = "GET", path = ""] = route.split(" ");
    if (/^https?:/.test(path)) return route;
    const all: Json = { owner: this.owner, repo: this.repo, ...params };
    const filled = path.replace(/\{(\w+)\}/g, (m, name: string) =>
      all[name] === undefined ? m : encodeURIComponent(String(all[name])),
    );
    return `${method} ${this.urls.api}${filled}`;
  }

  /** One REST request; its data. */
  async call<T>(route: string, params: Json, noRetry = false): Promise<T> {
    return (await this.send(route, params, noRetry)).data as T;
  }

  /** A GET whose 404 means "absent". */
  async optional<T>(route: string, params: Json): Promise<T | undefined> {
    try {
      return await this.call<T>(route, params);
    } catch (e: unknown) {
      if (e instanceof GitHubError && e.status === 404) return undefined;
      throw e;
    }
  }

  /**
   * A GET sent with the ETag of its last answer (`If-None-Match`): a 304 returns that
   * answer again and costs no rate limit. For reads repeated each pass.
   */
  async conditional<T>(route: string, params: Json): Promise<T> {
    const key = `${route} ${JSON.stringify(params)}`;
    const cached = this.etags.get(key);
    try {
      const res = await this.send(route, {
        ...params,
        ...(cached ? { headers: { "if-none-match": cached.etag } } : {}),
      });
      if (typeof res.headers.etag === "string") {
        if (this.etags.size >= 1000) this.etags.clear();
        this.etags.set(key, { etag: res.headers.etag, items: [res.data], complete: true });
      }
      return res.data as T;
    } catch (e: unknown) {
      if (cached && httpStatus(e) === 304) return cached.items[0] as T;
      throw e;
    }
  }

  /**
   * A paginated list. The first page goes with `If-None-Match` when we saw it before: a 304
   * means the whole list is unchanged (when it fitted in one page) and costs nothing.
   */
  async list(route: string, params: Json, key?: string): Promise<Json[]> {
    const cacheKey = `${route} ${JSON.stringify(params)}`;
    const cached = this.etags.get(cacheKey);
    const items: Json[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      let res: { data: unknown; headers: Record<string, unknown> };
      try {
        res = await this.send(route, {
          ...params,
          per_page: PER_PAGE,
          page,
          ...(page === 1 && cached?.complete ? { headers: { "if-none-match": cached.etag } } : {}),
        });
      } catch (e: unknown) {
        if (page === 1 && cached && httpStatus(e) === 304) return cached.items as Json[];
        throw e;
      }
      const data = res.data as Json | Json[];
      const pageItems =
        (key ? ((data as Json)[key] as Json[] | undefined) : (data as Json[])) ?? [];
      items.push(...pageItems);
      if (page === 1 && typeof res.headers.etag === "string") {
        if (this.etags.size >= 1000) this.etags.clear();
        this.etags.set(cacheKey, {
          etag: res.headers.etag,
          items: pageItems,
          complete: pageItems.length < PER_PAGE,
        });
      }
      if (pageItems.length < PER_PAGE) break;
    }
    return items;
  }

  /**
   * A GraphQL request at the server's GraphQL URL. GraphQL answers 200 with `errors` for
   * most failures: they become a GitHubError like a REST one (NOT_FOUND 404, a stale
   * expected head 409, FORBIDDEN 403, RATE_LIMITED 429, others 422), naming the operation
   * and the error paths. `ignore` lets some errors pass (the data of the other fields is
   * returned).
   */
  async graphql<T>(
    query: string,
    variables: Json,
    what: string,
    noRetry = false,
    ignore?: (error: GqlError) => boolean,
  ): Promise<T> {
    const call = `POST ${this.urls.graphql}`;
    const operation = operationName(query);
    let res: { data: unknown; headers: Record<string, unknown> };
    try {
      res = (await this.octokit.request(call, {
        query,
        variables,
        request: this.requestOptions(noRetry),
      })) as { data: unknown; headers: Record<string, unknown> };
    } catch (e: unknown) {
      const err = toGitHubError(e, call, operation);
      throw new GitHubError(err.status, `${what}: ${err.message}`, err.call, err);
    }
    const body = (res.data ?? {}) as { data?: T | null; errors?: GqlError[] };
    const errors = (body.errors ?? []).filter((e) => !ignore?.(e));
    if (errors.length > 0 || !body.data) {
      const first = errors[0] ?? { message: "no data in the answer" };
      const requestId = res.headers?.["x-github-request-id"];
      throw new GitHubError(gqlStatus(first), `${what}: ${first.message}`, call, {
        ...(typeof requestId === "string" ? { requestId } : {}),
        ...(operation ? { operation } : {}),
        paths: errors.filter((e) => e.path).map((e) => (e.path ?? []).join(".")),
      });
    }
    return body.data;
  }
}

/** `DefaultBranch` of `query DefaultBranch($owner: …) {…}`. */
function operationName(query: string): string | undefined {
  return /^\s*(?:query|mutation)\s+(\w+)/.exec(query)?.[1];
}

export function gqlStatus(e: GqlError): number {
  if (/expectedHeadOid|expected branch to point to/i.test(e.message) || e.type === "STALE_DATA")
    return 409;
  switch (e.type) {
    case "NOT_FOUND":
      return 404;
    case "FORBIDDEN":
      return 403;
    case "RATE_LIMITED":
      return 429;
    default:
      return 422;
  }
}

/** Octokit's RequestError (or any throw) as a GitHubError that says which call failed. */
export function toGitHubError(e: unknown, call: string, operation?: string): GitHubError {
  if (e instanceof GitHubError) return e;
  const o = e as {
    request?: { method?: unknown; url?: unknown };
    response?: { headers?: Record<string, unknown> };
  } | null;
  const status = httpStatus(e) ?? 0;
  const message = e instanceof Error ? e.message : String(e);
  const method = o?.request?.method;
  const url = o?.request?.url;
  const requestId = o?.response?.headers?.["x-github-request-id"];
  return new GitHubError(
    status,
    message,
    typeof method === "string" && typeof url === "string" ? `${method} ${url}` : call,
    {
      ...(typeof requestId === "string" ? { requestId } : {}),
      ...(operation ? { operation } : {}),
    },
  );
}
