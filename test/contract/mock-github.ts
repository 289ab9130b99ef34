/**
 * A stand-in for GitHub built from GitHub's own published descriptions, for the contract run:
 * an HTTP server that checks every request against the REST description
 * (`@octokit/openapi`: github.com's for github.com paths, the newest GHES release's for GHES
 * paths, so an endpoint or a key GHES lacks fails there) with test/github/openapi-check.ts and
 * answers with the operation's own example (or data built from its response schema), and a
 * GraphQL endpoint that validates every document and its variables against
 * `@octokit/graphql-schema` (test/github/graphql-check.ts) and answers schema-valid data
 * (`@graphql-tools/mock`).
 *
 * Two layouts: github.com (`/repos/…`, GraphQL at `/graphql`) and GitHub Enterprise Server
 * (`/api/v3/repos/…`, GraphQL at `/api/graphql`). GraphQL sent anywhere else, an unknown
 * route or a request the description does not allow is answered as GitHub would (404, 422)
 * and recorded in `problems`.
 *
 * (Prism, `@stoplight/prism-cli`, does the REST half too; this server keeps the run small on a
 * shared 2-core machine — one process, the spec parsed once — and answers from the
 * description's examples, deterministically.)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { schema as github } from "@octokit/graphql-schema";
import { checkGraphQL } from "../github/graphql-check.js";
import {
  checkRequest,
  type GitHubSpec,
  loadGitHubSpec,
  newestGhesDescription,
} from "../github/openapi-check.js";

type Schema = Record<string, unknown>;

// @graphql-tools/mock and the schema it mocks must share one copy of graphql: both are
// loaded through require (the checks in graphql-check.ts use their own, ESM, copy).
const require = createRequire(import.meta.url);
const { buildSchema, graphql } = require("graphql") as typeof import("graphql");
const { addMocksToSchema } = require("@graphql-tools/mock") as typeof import("@graphql-tools/mock");

export type Layout = "github.com" | "ghes";

export interface MockRequest {
  method: string;
  path: string;
  status: number;
  operation?: string;
}

export interface MockGitHub {
  url: string;
  /** The REST base a client is given: `url`, or `url/api/v3` for GHES. */
  apiUrl: string;
  graphqlUrl: string;
  requests: MockRequest[];
  /** Requests the descriptions do not allow, unknown routes, GraphQL at the wrong path. */
  problems: string[];
  close(): Promise<void>;
}

export interface MockOptions {
  layout: Layout;
  /** Problems that are the documented answer of that server (e.g. a GHES without a new key). */
  expected?: (problem: string) => boolean;
}

const REST_PREFIX: Record<Layout, string> = { "github.com": "", ghes: "/api/v3" };
const GRAPHQL_PATH: Record<Layout, string> = { "github.com": "/graphql", ghes: "/api/graphql" };

/** The REST description each layout is checked against: GHES paths against GHES's own. */
export const descriptionOf = (layout: Layout): string =>
  layout === "ghes" ? newestGhesDescription() : "api.github.com";

export async function startMockGitHub(options: MockOptions): Promise<MockGitHub> {
  const spec = loadGitHubSpec(descriptionOf(options.layout));
  const mocked = addMocksToSchema({
    schema: buildSchema(github.idl, { assumeValidSDL: true }),
    mocks: SCALAR_MOCKS,
  });
  const requests: MockRequest[] = [];
  const problems: string[] = [];
  const prefix = REST_PREFIX[options.layout];
  const graphqlPath = GRAPHQL_PATH[options.layout];
  const note = (found: string[]) => {
    for (const p of found) if (!options.expected?.(p)) problems.push(p);
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      problems.push(`${req.method} ${req.url}: the mock failed: ${String(e)}`);
      send(res, 500, { message: "mock failure" });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://mock");
    const text = await readBody(req);
    const body = text ? safeJson(text) : undefined;
    const record = (status: number, operation?: string) =>
      requests.push({
        method,
        path: url.pathname + url.search,
        status,
        ...(operation ? { operation } : {}),
      });

    if (/graphql\/?$/.test(url.pathname)) {
      if (url.pathname !== graphqlPath) {
        problems.push(`${method} ${url.pathname}: GraphQL sent to the wrong path (${graphqlPath})`);
        record(404);
        return send(res, 404, { message: "Not Found" });
      }
      const found = checkGraphQL(body);
      const operation = /^\s*(?:query|mutation)\s+(\w+)/.exec(
        String((body as { query?: unknown })?.query ?? ""),
      )?.[1];
      if (found.length > 0) {
        note(found);
        record(200, operation);
        return send(res, 200, { errors: found.map((message) => ({ message })) });
      }
      const { query, variables } = body as { query: string; variables?: Record<string, unknown> };
      const result = await graphql({
        schema: mocked,
        source: query,
        variableValues: variables ?? {},
      });
      if (result.errors?.length)
        note(result.errors.map((e) => `GraphQL ${operation}: ${e.message}`));
      record(200, operation);
      return send(res, 200, result);
    }

    if (!url.pathname.startsWith(`${prefix}/`)) {
      problems.push(`${method} ${url.pathname}: outside the REST API (${prefix || "/"})`);
      record(404);
      return send(res, 404, { message: "Not Found" });
    }
    const path = url.pathname.slice(prefix.length) + url.search;
    const found = checkRequest(spec, method, path, body);
    if (found.length > 0) {
      note(found);
      const unknown = found.some((p) => p.includes("no such route"));
      record(unknown ? 404 : 422);
      return send(
        res,
        unknown ? 404 : 422,
        unknown
          ? { message: "Not Found" }
          : { message: `Invalid request.\n\n${found.join("\n")}`, status: "422" },
      );
    }
    const answer = answerFor(spec, method, url.pathname.slice(prefix.length));
    record(answer.status);
    send(res, answer.status, answer.body);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    apiUrl: `${url}${prefix}`,
    graphqlUrl: `${url}${graphqlPath}`,
    requests,
    problems,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Scalars of GitHub's schema, with values a client can parse (dates, ids, URLs). */
const SCALAR_MOCKS = {
  Boolean: () => false,
  Int: () => 1,
  Float: () => 1,
  String: () => "text",
  ID: () => "MDQ6VXNlcjE=",
  DateTime: () => "2026-01-01T00:00:00Z",
  Date: () => "2026-01-01",
  GitTimestamp: () => "2026-01-01T00:00:00Z",
  PreciseDateTime: () => "2026-01-01T00:00:00.000Z",
  GitObjectID: () => "0123456789abcdef0123456789abcdef01234567",
  GitSSHRemote: () => "git@example.com:o/r.git",
  GitRefname: () => "refs/heads/main",
  URI: () => "https://example.com/",
  HTML: () => "<p>text</p>",
  X509Certificate: () => "cert",
  Base64String: () => "dGV4dA==",
  BigInt: () => "1",
};

/** The success answer of the matching operation: its example, else data from its schema. */
function answerFor(
  spec: GitHubSpec,
  method: string,
  path: string,
): { status: number; body: unknown } {
  const op = spec.operations
    .filter((o) => o.method === method && o.regex.test(path))
    .sort((a, b) => b.literalSegments - a.literalSegments)[0];
  if (!op) return { status: 404, body: { message: "Not Found" } };
  const paths = spec.root.paths as Record<string, Record<string, Schema>>;
  const responses = (paths[op.template]?.[method.toLowerCase()]?.responses ?? {}) as Record<
    string,
    Schema
  >;
  const code = Object.keys(responses)
    .filter((c) => /^2\d\d$/.test(c))
    .sort()[0];
  if (!code) return { status: 204, body: undefined };
  const response = resolveRef(spec.root, responses[code]!);
  const media = (response.content as Record<string, Schema> | undefined)?.["application/json"];
  if (!media) return { status: Number(code), body: undefined };
  const examples = media.examples as Record<string, Schema> | undefined;
  const first = examples ? Object.values(examples)[0] : undefined;
  if (first) return { status: Number(code), body: resolveRef(spec.root, first).value };
  return { status: Number(code), body: sample(spec.root, media.schema as Schema, 0) };
}

function resolveRef(root: Schema, s: Schema): Schema {
  let out = s;
  for (let i = 0; i < 20 && typeof out.$ref === "string"; i++) {
    const parts = (out.$ref as string).replace(/^#\//, "").split("/");
    out = parts.reduce<Schema>((o, k) => (o[k.replace(/~1/g, "/")] as Schema) ?? {}, root);
  }
  return out;
}

/** Schema-valid data for a response without an example (required properties, first choices). */
function sample(root: Schema, schemaIn: Schema | undefined, depth: number): unknown {
  if (!schemaIn || depth > 8) return null;
  const s = resolveRef(root, schemaIn);
  if (s.example !== undefined) return s.example;
  if (Array.isArray(s.enum)) return s.enum[0];
  const choice = (s.oneOf ?? s.anyOf) as Schema[] | undefined;
  if (choice?.[0]) return sample(root, choice[0], depth + 1);
  if (Array.isArray(s.allOf))
    return Object.assign({}, ...(s.allOf as Schema[]).map((p) => sample(root, p, depth + 1)));
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      const props = (s.properties ?? {}) as Record<string, Schema>;
      for (const key of (s.required as string[] | undefined) ?? [])
        out[key] = sample(root, props[key], depth + 1);
      return out;
    }
    case "array":
      return [];
    case "integer":
    case "number":
      return 1;
    case "boolean":
      return false;
    case "string":
      return s.format === "date-time" ? "2026-01-01T00:00:00Z" : "text";
    default:
      return null;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (body === undefined || status === 204) {
    res.writeHead(status === 200 && body === undefined ? 204 : status);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "x-github-request-id": `MOCK:${Math.random().toString(16).slice(2, 10)}`,
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
