/**
 * The app's real runtime (Probot → queue → lease → `reconcileRepo` over the Octokit port) on
 * GitHub Enterprise Server: REST under `/api/v3`, GraphQL at `/api/graphql`. Probot builds
 * its Octokit from GHE_HOST; the port gets its URLs from the same variables, explicitly.
 */
import nock from "nock";
import { Probot, ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { apiBaseUrl, appFromEnv, readAppEnv } from "../../src/app/app-env.js";
import type { ConveyorApp } from "../../src/app/conveyor-app.js";
import { APP_ID, example, INSTALLATION, privateKey, SECRET } from "./probot-harness.js";

const HOST = "ghe.example.com";
const REPO = "/repos/Codertocat/Hello-World";

let conveyor: ConveyorApp | undefined;
beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  conveyor?.stop();
  nock.cleanAll();
  nock.enableNetConnect();
});

function emptyRepository() {
  return {
    data: {
      repository: {
        deleteBranchOnMerge: false,
        issues: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [] },
        board: { nodes: [] },
        defaultBranchRef: {
          name: "main",
          target: {
            oid: "c0",
            file: null,
            history: { nodes: [{ oid: "c0", message: "Initial", statusCheckRollup: null }] },
          },
        },
      },
    },
  };
}

describe("GitHub Enterprise Server (GHE_HOST)", () => {
  it("a pass sends GraphQL to /api/graphql and REST under /api/v3, and logs no error", async () => {
    const read = readAppEnv({
      APP_ID: String(APP_ID),
      PRIVATE_KEY: privateKey,
      WEBHOOK_SECRET: SECRET,
      GHE_HOST: HOST,
      SWEEP_MINUTES: "0",
      CONVEYOR_SETTLE_MS: "0",
      CONVEYOR_BOT_LOGIN: "conveyor-test[bot]",
    });
    if (!read.ok) throw new Error(read.errors.join("; "));
    expect(apiBaseUrl(read.env)).toBe(`https://${HOST}/api/v3`);
    // What `probot run` builds from GHE_HOST.
    const probot = new Probot({
      appId: APP_ID,
      privateKey,
      secret: SECRET,
      baseUrl: apiBaseUrl(read.env),
      Octokit: ProbotOctokit.defaults((o: Record<string, unknown>) => ({
        ...o,
        retry: { enabled: false },
        throttle: { enabled: false },
      })),
      logLevel: "fatal",
    });
    const paths: string[] = [];
    const scope = nock(`https://${HOST}`).persist();
    scope.on("request", (req: { method: string; path: string }) =>
      paths.push(`${req.method} ${req.path}`),
    );
    scope
      .post(`/api/v3/app/installations/${INSTALLATION}/access_tokens`)
      .reply(201, { token: "ghs_test", expires_at: "2999-01-01T00:00:00Z", permissions: {} })
      .post(`/api/v3${REPO}/git/trees`)
      .reply(201, { sha: "t0" })
      .post(`/api/v3${REPO}/git/commits`)
      .reply(201, { sha: "lease1" })
      .post(`/api/v3${REPO}/git/refs`)
      .reply(201, { ref: "refs/conveyor/lock", object: { sha: "lease1" } })
      .get(`/api/v3${REPO}/git/ref/conveyor%2Flock`)
      .reply(200, { ref: "refs/conveyor/lock", object: { sha: "lease1", type: "commit" } })
      .delete(`/api/v3${REPO}/git/refs/conveyor%2Flock`)
      .reply(204)
      .post("/api/graphql")
      .reply(200, (_uri, body) =>
        /createCommitOnBranch/.test((body as { query: string }).query)
          ? { data: { createCommitOnBranch: { commit: { oid: "c1" } } } }
          : emptyRepository(),
      );

    conveyor = appFromEnv(read.env);
    await probot.load(conveyor.app);
    const errors: string[] = [];
    probot.log.error = ((line: string) => errors.push(line)) as never;
    probot.log.warn = ((line: string) => errors.push(line)) as never;

    await probot.receive({
      id: "ghe-1",
      name: "issues",
      payload: example("issues", "opened"),
    } as never);
    await conveyor.idle();

    expect(errors).toEqual([]);
    expect(paths).toContain("POST /api/graphql");
    expect(paths.filter((p) => !/^(POST \/api\/graphql|\w+ \/api\/v3\/)/.test(p))).toEqual([]);
  });
});
