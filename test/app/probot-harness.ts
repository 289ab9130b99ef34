/**
 * Probot in the documented test style: retry and throttle off, fatal-only logs, nock at
 * the HTTP edge with the network disabled. Every request nock answers is recorded, so a
 * test can check it against GitHub's OpenAPI description.
 */
import { createHmac, generateKeyPairSync } from "node:crypto";
import { createRequire } from "node:module";
import type { WebhookDefinition } from "@octokit/webhooks-examples";
import nock from "nock";
import { Probot, ProbotOctokit } from "probot";
import { afterEach, beforeEach, expect } from "vitest";
import {
  type ConveyorApp,
  type ConveyorAppOptions,
  createConveyorApp,
} from "../../src/app/conveyor-app.js";
import { createGitHubRuntime } from "../../src/app/github-runtime.js";
import type { GitHubPort } from "../../src/github/port.js";
import { checkRequest, loadGitHubSpec } from "../github/openapi-check.js";

const examples = createRequire(import.meta.url)(
  "@octokit/webhooks-examples",
) as WebhookDefinition[];

export const API = "https://api.github.com";
export const APP_ID = 123;
export const INSTALLATION = 4242;
export const BOT = "conveyor-test[bot]";
export const SECRET = "test-webhook-secret";

export const privateKey = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
}).privateKey;

export function newProbot(): Probot {
  return new Probot({
    appId: APP_ID,
    privateKey,
    secret: SECRET,
    // The documented `ProbotOctokit.defaults({ throttle: { enabled: false } })` does not hold
    // in probot 14.3: Probot's own defaults replace the whole `throttle` object, so writes
    // are spaced one second apart. The function form runs last and keeps it off.
    Octokit: ProbotOctokit.defaults((options: Record<string, unknown>) => ({
      ...options,
      retry: { enabled: false },
      throttle: { enabled: false },
    })),
    logLevel: "fatal",
  });
}

export const SUBSCRIBED_EVENTS = [
  "issues",
  "issue_comment",
  "pull_request",
  "pull_request_review",
  "workflow_run",
  "check_run",
  "push",
] as const;

export type Payload = Record<string, unknown> & {
  repository: { name: string; owner: { login: string }; full_name: string };
  sender: { login: string; type: string };
};

/** A deep copy of a real payload, with an installation id (most examples lack one). */
export function example(name: string, action?: string, index = 0): Payload {
  const def = examples.find((d) => d.name === name);
  const found = (def?.examples ?? []).filter(
    (e) => action === undefined || (e as { action?: string }).action === action,
  )[index];
  if (!found) throw new Error(`no example ${name}.${action ?? ""}[${index}]`);
  const copy = structuredClone(found) as unknown as Payload;
  copy.installation = { id: INSTALLATION, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI0Mg==" };
  return copy;
}

/** Every example of the subscribed events, named `<event>.<action>[i]`. */
export function allExamples(): { label: string; name: string; payload: Payload }[] {
  const out: { label: string; name: string; payload: Payload }[] = [];
  for (const name of SUBSCRIBED_EVENTS) {
    const def = examples.find((d) => d.name === name);
    (def?.examples ?? []).forEach((e, i) => {
      const copy = structuredClone(e) as unknown as Payload;
      copy.installation = { id: INSTALLATION };
      out.push({
        label: `${name}.${(e as { action?: string }).action ?? "-"}[${i}]`,
        name,
        payload: copy,
      });
    });
  }
  return out;
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
}

/** A nock scope on api.github.com that records each request it answers. */
export function github(recorded: RecordedRequest[]): nock.Scope {
  const scope = nock(API);
  scope.on("request", (req: { method: string; path: string }, _i: unknown, body: string) => {
    let parsed: unknown = body;
    try {
      parsed = body ? JSON.parse(body) : undefined;
    } catch {
      // Not JSON: keep the text.
    }
    recorded.push({ method: req.method, path: req.path, body: parsed });
  });
  return scope;
}

export function nockToken(scope: nock.Scope, installationId = INSTALLATION): nock.Scope {
  return scope
    .post(`/app/installations/${installationId}/access_tokens`)
    .reply(201, { token: "ghs_test", expires_at: "2999-01-01T00:00:00Z", permissions: {} });
}

/** A free lease: tree (first time only), commit, create ref, then read + delete on release. */
export function nockLease(
  scope: nock.Scope,
  repo: string,
  opts: { tree?: boolean; times?: number } = {},
): nock.Scope {
  const times = opts.times ?? 1;
  if (opts.tree ?? true) scope.post(`/repos/${repo}/git/trees`).reply(201, { sha: "t0" });
  return scope
    .post(`/repos/${repo}/git/commits`)
    .times(times)
    .reply(201, { sha: "lease1" })
    .post(`/repos/${repo}/git/refs`, { ref: "refs/conveyor/lock", sha: "lease1" })
    .times(times)
    .reply(201, { ref: "refs/conveyor/lock", object: { sha: "lease1" } })
    .get(`/repos/${repo}/git/ref/conveyor%2Flock`)
    .times(times)
    .reply(200, { ref: "refs/conveyor/lock", object: { sha: "lease1", type: "commit" } })
    .delete(`/repos/${repo}/git/refs/conveyor%2Flock`)
    .times(times)
    .reply(204);
}

/**
 * The pass's one read of the default branch (GraphQL `DefaultBranch`: the config file, the
 * head and its checks, the tracked issues) answered for an empty repository whose
 * `.github/conveyor.yml` holds `config` (none when undefined).
 */
export function nockConfig(
  scope: nock.Scope,
  config: string | undefined,
  { path = "/graphql", times = 1 }: { path?: string; times?: number } = {},
): nock.Scope {
  return scope
    .post(path, (b: { query?: string }) => /query DefaultBranch/.test(b.query ?? ""))
    .times(times)
    .reply(200, {
      data: {
        repository: {
          deleteBranchOnMerge: false,
          issues: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [] },
          board: { nodes: [] },
          defaultBranchRef: {
            name: "main",
            target: {
              oid: "c0",
              file: config === undefined ? null : { object: { text: config } },
              history: { nodes: [{ oid: "c0", message: "Initial", statusCheckRollup: null }] },
            },
          },
        },
      },
    });
}

/** No `.github/conveyor.yml`: the defaults. */
export function nockNoConfig(scope: nock.Scope, _repo?: string): nock.Scope {
  return nockConfig(scope, undefined);
}

/** The app loaded into `probot` for a test: bot login, holder, no settle delay, no sweep. */
export async function loadConveyor(
  probot: Probot,
  options: Partial<ConveyorAppOptions> = {},
): Promise<ConveyorApp> {
  const conveyor = createConveyorApp({
    reconcile: async () => undefined,
    botLogin: BOT,
    holder: "test",
    settleMs: 0,
    sweepMinutes: 0,
    ...options,
  });
  await probot.load(conveyor.app);
  return conveyor;
}

/**
 * The app with the real backend over `port` (the fake GitHub): every request of a pass goes
 * through it (lease, config, permissions, commands, reconcile); nock answers only the token.
 */
export function loadOverPort(
  probot: Probot,
  port: GitHubPort,
  options: Partial<ConveyorAppOptions> = {},
): Promise<ConveyorApp> {
  const runtime = createGitHubRuntime({ portFor: () => port });
  return loadConveyor(probot, {
    openPass: runtime.open,
    reconcile: runtime.reconcile,
    commands: runtime.commands,
    ...options,
  });
}

/** Requests that do not match GitHub's OpenAPI description (route, parameters, body). */
export function openApiProblems(requests: readonly RecordedRequest[]): string[] {
  const spec = loadGitHubSpec();
  return requests.flatMap((r) => checkRequest(spec, r.method, r.path, r.body));
}

/** `X-Hub-Signature-256` of a payload, as GitHub computes it. */
export function signature(secret: string, payload: string): string {
  return `sha256=${createHmac("sha256", secret).update(payload).digest("hex")}`;
}

/** What one app test works with: a fresh Probot, the requests nock answered, the app. */
export interface ProbotTest {
  probot: Probot;
  /** Every request nock answered in this test (checked against the OpenAPI description). */
  recorded: RecordedRequest[];
  /** The app under test (set by the test), stopped after each test. */
  conveyor: ConveyorApp;
}

/**
 * The per-test set-up the app tests share: the network off, a fresh Probot and request log
 * before each test; afterwards every request checked against GitHub's OpenAPI description,
 * the app stopped and nock reset.
 */
export function useProbotTest(): ProbotTest {
  const t = { recorded: [] } as unknown as ProbotTest;
  beforeEach(() => {
    nock.disableNetConnect();
    t.probot = newProbot();
    t.recorded = [];
    delete (t as Partial<ProbotTest>).conveyor;
  });
  afterEach(() => {
    expect(openApiProblems(t.recorded)).toEqual([]);
    t.conveyor?.stop();
    nock.cleanAll();
    nock.enableNetConnect();
  });
  return t;
}
