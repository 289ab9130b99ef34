import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { checkGraphQL } from "./graphql-check.js";

/**
 * Checks HTTP requests against GitHub's published OpenAPI description
 * (`@octokit/openapi`, `generated/api.github.com.json`): the route exists for the method,
 * path and query parameters are declared and well-typed, required ones are present, and the
 * JSON body matches the operation's request-body schema. A small validator for the subset
 * of JSON Schema the description uses: type (+nullable), required, properties, enum, items,
 * oneOf / anyOf / allOf, $ref. Unknown body keys count as errors too (they catch typos such
 * as `return_run_detail`), unless the schema allows additional properties explicitly.
 *
 * Load the spec once per test file (13 MB): `const spec = loadGitHubSpec()`.
 */

type Schema = Record<string, unknown>;

interface Operation {
  method: string;
  template: string;
  regex: RegExp;
  params: string[];
  literalSegments: number;
  operationId: string;
  parameters: Schema[];
  body?: Schema;
  bodyRequired: boolean;
}

const SLASHY_PARAMS = new Set(["path", "ref", "branch", "tag"]);

export interface GitHubSpec {
  operations: Operation[];
  root: Schema;
}

const cached = new Map<string, GitHubSpec>();

/**
 * Parses a description `@octokit/openapi` ships (`api.github.com`, or a GHES release such as
 * `ghes-3.19`: see `newestGhesDescription`) and indexes its operations (cached per process).
 */
export function loadGitHubSpec(description = "api.github.com"): GitHubSpec {
  const hit = cached.get(description);
  if (hit) return hit;
  const require = createRequire(import.meta.url);
  const file = require.resolve(`@octokit/openapi/generated/${description}.json`);
  const root = JSON.parse(readFileSync(file, "utf8")) as Schema;
  const operations: Operation[] = [];
  const paths = root.paths as Record<string, Record<string, Schema>>;
  for (const [template, item] of Object.entries(paths)) {
    for (const method of ["get", "post", "put", "patch", "delete"]) {
      const op = item[method];
      if (!op) continue;
      const params: string[] = [];
      const segments = template.split("/");
      const pattern = segments
        .map((seg, i) => {
          const m = /^\{(.+)\}$/.exec(seg);
          if (!m) return escapeRegex(seg);
          params.push(m[1]!);
          // Only a last parameter that is a file path or a ref may hold slashes; any other
          // (e.g. {repo}) must not swallow the rest of a path that no route has.
          return i === segments.length - 1 && SLASHY_PARAMS.has(m[1]!) ? "(.+)" : "([^/]+)";
        })
        .join("/");
      const parameters = [
        ...((item.parameters as Schema[] | undefined) ?? []),
        ...((op.parameters as Schema[] | undefined) ?? []),
      ].map((p) => resolve(root, p));
      const requestBody = op.requestBody ? resolve(root, op.requestBody as Schema) : undefined;
      const content = requestBody?.content as Record<string, Schema> | undefined;
      const json = content?.["application/json"]?.schema as Schema | undefined;
      operations.push({
        method: method.toUpperCase(),
        template,
        regex: new RegExp(`^${pattern}$`),
        params,
        literalSegments: segments.filter((s) => !s.startsWith("{")).length,
        operationId: String(op.operationId),
        parameters,
        ...(json ? { body: json } : {}),
        bodyRequired: requestBody?.required === true,
      });
    }
  }
  const spec = { operations, root };
  cached.set(description, spec);
  return spec;
}

/** The newest GitHub Enterprise Server description `@octokit/openapi` ships (`ghes-3.19`). */
export function newestGhesDescription(): string {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve("@octokit/openapi/generated/api.github.com.json"));
  const versions = readdirSync(dir)
    .map((f) => /^ghes-(\d+)\.(\d+)\.json$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]) || Number(a[2]) - Number(b[2]));
  const newest = versions.at(-1);
  if (!newest) throw new Error(`no GHES description in ${dir}`);
  return `ghes-${newest[1]}.${newest[2]}`;
}

/** Problems with one request; empty when it matches the description. */
export function checkRequest(
  spec: GitHubSpec,
  method: string,
  url: string,
  body: unknown,
): string[] {
  const parsed = new URL(url, "https://api.github.com");
  const path = parsed.pathname;
  // GraphQL is not in the REST description: checked against the GraphQL schema instead.
  if (method.toUpperCase() === "POST" && path === "/graphql")
    return checkGraphQL(typeof body === "string" ? JSON.parse(body) : body);
  const candidates = spec.operations
    .filter((o) => o.method === method.toUpperCase())
    .map((o) => ({ o, m: o.regex.exec(path) }))
    .filter((x): x is { o: Operation; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => b.o.literalSegments - a.o.literalSegments);
  const hit = candidates[0];
  if (!hit) return [`${method} ${path}: no such route in GitHub's OpenAPI description`];
  const { o, m } = hit;
  const where = `${method} ${o.template} (${o.operationId})`;
  const problems: string[] = [];

  const pathParams = o.parameters.filter((p) => p.in === "path");
  o.params.forEach((name, i) => {
    const value = decodeURIComponent(m[i + 1]!);
    const decl = pathParams.find((p) => p.name === name);
    if (!decl) return;
    problems.push(...checkScalar(spec, decl.schema as Schema, value, `${where}: path {${name}}`));
  });

  const queryDecls = o.parameters.filter((p) => p.in === "query");
  for (const [name, value] of parsed.searchParams) {
    const decl = queryDecls.find((p) => p.name === name);
    if (!decl) {
      problems.push(`${where}: unknown query parameter "${name}"`);
      continue;
    }
    problems.push(...checkScalar(spec, decl.schema as Schema, value, `${where}: query ${name}`));
  }
  for (const decl of queryDecls)
    if (decl.required === true && !parsed.searchParams.has(String(decl.name)))
      problems.push(`${where}: missing required query parameter "${String(decl.name)}"`);

  const hasBody = body !== undefined && body !== "" && body !== null;
  if (hasBody && !o.body) problems.push(`${where}: sends a body the operation does not take`);
  if (!hasBody && o.body && o.bodyRequired) problems.push(`${where}: body required`);
  if (hasBody && o.body) {
    let value: unknown = body;
    if (typeof body === "string") {
      try {
        value = JSON.parse(body);
      } catch {
        problems.push(`${where}: body is not JSON`);
        return problems;
      }
    }
    problems.push(...validate(spec, o.body, value, `${where}: body`));
  }
  return problems;
}

/** JSON-schema validation of the subset the description uses. */
export function validate(spec: GitHubSpec, schemaIn: Schema, value: unknown, at: string): string[] {
  const schema = resolve(spec.root, schemaIn);
  if (value === null) {
    if (schema.nullable === true || schema.type === "null") return [];
    if (Array.isArray(schema.type) && schema.type.includes("null")) return [];
    if (!schema.type && !schema.oneOf && !schema.anyOf) return [];
    if (schema.oneOf || schema.anyOf) {
      const branches = ((schema.oneOf ?? schema.anyOf) as Schema[]).map((s) =>
        resolve(spec.root, s),
      );
      if (branches.some((b) => b.nullable === true || b.type === "null")) return [];
    }
    return [`${at}: null is not allowed`];
  }
  if (schema.allOf) return (schema.allOf as Schema[]).flatMap((s) => validate(spec, s, value, at));
  const alternatives = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (alternatives) {
    const results = alternatives.map((s) => validate(spec, s, value, at));
    if (results.some((r) => r.length === 0)) return [];
    return [
      `${at}: matches none of the ${alternatives.length} alternatives (${results.map((r) => r[0]).join(" | ")})`,
    ];
  }
  const problems: string[] = [];
  if (schema.enum && !(schema.enum as unknown[]).includes(value))
    problems.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  const types = Array.isArray(schema.type)
    ? (schema.type as string[])
    : schema.type
      ? [String(schema.type)]
      : [];
  if (types.length > 0 && !types.some((t) => hasType(value, t))) {
    problems.push(`${at}: expected ${types.join(" or ")}, got ${JSON.stringify(value)}`);
    return problems;
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => {
      problems.push(...validate(spec, schema.items as Schema, item, `${at}[${i}]`));
    });
  }
  if (isPlainObject(value) && (schema.properties || schema.required)) {
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const key of (schema.required as string[] | undefined) ?? [])
      if (!(key in value)) problems.push(`${at}: missing required property "${key}"`);
    for (const [key, v] of Object.entries(value)) {
      const prop = props[key];
      if (prop) problems.push(...validate(spec, prop, v, `${at}.${key}`));
      else if (schema.additionalProperties === undefined || schema.additionalProperties === false)
        problems.push(`${at}: unknown property "${key}"`);
      else if (typeof schema.additionalProperties === "object")
        problems.push(...validate(spec, schema.additionalProperties as Schema, v, `${at}.${key}`));
    }
  }
  return problems;
}

function checkScalar(
  spec: GitHubSpec,
  schemaIn: Schema | undefined,
  raw: string,
  at: string,
): string[] {
  if (!schemaIn) return [];
  const schema = resolve(spec.root, schemaIn);
  if (schema.type === "integer" && !/^-?\d+$/.test(raw))
    return [`${at}: "${raw}" is not an integer`];
  if (schema.type === "boolean" && raw !== "true" && raw !== "false")
    return [`${at}: "${raw}" is not a boolean`];
  if (schema.enum && !(schema.enum as unknown[]).map(String).includes(raw))
    return [`${at}: "${raw}" is not one of ${JSON.stringify(schema.enum)}`];
  return [];
}

function resolve(root: Schema, s: Schema): Schema {
  let current = s;
  for (let i = 0; i < 10 && typeof current.$ref === "string"; i++) {
    const parts = (current.$ref as string).replace(/^#\//, "").split("/");
    let node: unknown = root;
    for (const p of parts) node = (node as Schema)[p.replace(/~1/g, "/").replace(/~0/g, "~")];
    current = node as Schema;
  }
  return current;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
    case "array":
      return Array.isArray(value);
    case "object":
      return isPlainObject(value);
    case "null":
      return value === null;
    default:
      return true;
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Collects the problems of every request a nock scope intercepts. Attach it to each scope;
 * `assertClean()` in `afterEach` fails the test when any request did not match.
 */
export class OpenApiRecorder {
  readonly problems: string[] = [];
  readonly requests: string[] = [];

  constructor(private readonly spec: GitHubSpec = loadGitHubSpec()) {}

  /** Checks one request (call it from a nock reply function or a scope "request" event). */
  check(method: string, path: string, body: unknown): void {
    this.requests.push(`${method} ${path}`);
    this.problems.push(...checkRequest(this.spec, method, path, body));
  }

  /** Listens to a nock scope's `request` events. */
  attach(scope: {
    on: (event: "request", cb: (req: RequestLike, i: unknown, body: string) => void) => unknown;
  }): void {
    scope.on("request", (req, _interceptor, body) => {
      this.check(req.method ?? "GET", req.path ?? "/", body === "" ? undefined : body);
    });
  }

  assertClean(): void {
    if (this.problems.length > 0)
      throw new Error(
        `requests that do not match GitHub's OpenAPI description:\n${this.problems.join("\n")}`,
      );
  }
}

interface RequestLike {
  method?: string;
  path?: string;
}
