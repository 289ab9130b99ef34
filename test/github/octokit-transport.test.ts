/**
 * How the Octokit port talks HTTP: where requests go (github.com and GHE), how many it sends,
 * and what a failure says about itself. nock answers at the HTTP edge.
 */
import { Octokit } from "@octokit/rest";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { emptyMemory } from "../../src/core/board.js";
import { defaultConfig } from "../../src/core/config.js";
import { executeEffects } from "../../src/github/executor.js";
import { errorText } from "../../src/github/http-errors.js";
import { loadSnapshot } from "../../src/github/load-board.js";
import { makeOctokit } from "../../src/github/make-octokit.js";
import { OctokitPort } from "../../src/github/octokit-port.js";
import { githubUrls } from "../../src/github/octokit-transport.js";
import { FakeGitHub } from "../support/fake-github/index.js";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const GHE = "https://ghe.example.com";
const NOW = new Date("2026-11-25T10:00:00.000Z");

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

const refState = { data: { repository: { object: { statusCheckRollup: { state: "SUCCESS" } } } } };

describe("the server's URLs, derived once from the REST base", () => {
  it.each([
    ["https://api.github.com", "https://api.github.com/graphql", "https://github.com"],
    ["https://api.github.com/", "https://api.github.com/graphql", "https://github.com"],
    [`${GHE}/api/v3`, `${GHE}/api/graphql`, GHE],
    [`${GHE}/api/v3/`, `${GHE}/api/graphql`, GHE],
    ["http://127.0.0.1:4010", "http://127.0.0.1:4010/graphql", "http://127.0.0.1:4010"],
  ])("%s: GraphQL at %s, pages at %s", (api, graphql, web) => {
    expect(githubUrls(api)).toEqual({ api: api.replace(/\/$/, ""), graphql, web });
  });

  it("the runner's GITHUB_GRAPHQL_URL and GITHUB_SERVER_URL win", () => {
    expect(
      githubUrls("http://mock/api/v3", { graphql: "http://mock/gql", web: "http://web" }),
    ).toEqual({ api: "http://mock/api/v3", graphql: "http://mock/gql", web: "http://web" });
  });
});

describe("GitHub Enterprise Server", () => {
  it("an Octokit that hides its endpoint (a wrapper) still reaches /api/graphql and /api/v3", async () => {
    const octokit = new Octokit({ auth: "t", baseUrl: `${GHE}/api/v3`, log: quiet });
    // Only `request`, as the app's old wrapper had: nothing to guess the base URL from.
    const wrapper = {
      request: ((route: string, params?: Record<string, unknown>) =>
        octokit.request(route, params)) as Octokit["request"],
    };
    nock(GHE)
      .post("/api/graphql")
      .reply(200, refState)
      .get("/api/v3/repos/o/r/pulls/1/files")
      .query(true)
      .reply(200, [{ filename: "a.ts" }]);
    const port = new OctokitPort(wrapper, "o", "r", { urls: githubUrls(`${GHE}/api/v3`) });
    expect(await port.refState("main")).toBe("success");
    expect(await port.listPullFiles(1)).toEqual(["a.ts"]);
    expect(port.webUrl).toBe(GHE);
  });

  it("with Octokit's own base URL and no URLs given, the port derives them from it", async () => {
    nock(GHE).post("/api/graphql").reply(200, refState);
    const port = new OctokitPort(
      new Octokit({ auth: "t", baseUrl: `${GHE}/api/v3`, log: quiet }),
      "o",
      "r",
    );
    expect(await port.refState("main")).toBe("success");
  });
});

describe("requests are counted at the HTTP level", () => {
  it("every page of a list and every GraphQL request counts, a retried one twice", async () => {
    const page = Array.from({ length: 100 }, (_, i) => ({ filename: `f${i}` }));
    nock("https://api.github.com")
      .get("/repos/o/r/pulls/1/files")
      .query({ per_page: "100", page: "1" })
      .reply(403, { message: "You have exceeded a secondary rate limit" }, { "retry-after": "1" })
      .get("/repos/o/r/pulls/1/files")
      .query({ per_page: "100", page: "1" })
      .reply(200, page)
      .get("/repos/o/r/pulls/1/files")
      .query({ per_page: "100", page: "2" })
      .reply(200, [{ filename: "last" }])
      .post("/graphql")
      .reply(200, refState);
    const port = new OctokitPort(makeOctokit("t", "https://api.github.com"), "o", "r");
    expect(await port.listPullFiles(1)).toHaveLength(101);
    expect(await port.refState("main")).toBe("success");
    // Two port calls, four HTTP requests (a rate-limited page and its retry, a second page, GraphQL).
    expect(port.requestsSent()).toBe(4);
  });
});

describe("a failure says which call failed and how", () => {
  it("a REST answer without a JSON message (Prism's problem+json): status, method and URL, request id", async () => {
    nock("https://api.github.com").get("/repos/o/r/pulls/9").reply(404, "<html>nope</html>", {
      "content-type": "application/problem+json",
      "x-github-request-id": "CAFE:1234",
    });
    const port = new OctokitPort(new Octokit({ auth: "t", log: quiet }), "o", "r");
    const err = await port.getPull(9).catch((e: unknown) => e);
    const text = errorText(err);
    expect(text).toContain("404");
    expect(text).toContain("GET https://api.github.com/repos/o/r/pulls/9");
    expect(text).toContain("request CAFE:1234");
  });

  it("GraphQL errors in a 200 answer: the operation and the error paths", async () => {
    nock("https://api.github.com")
      .post("/graphql")
      .reply(
        200,
        {
          data: null,
          errors: [
            { type: "NOT_FOUND", message: "Could not resolve", path: ["repository", "object"] },
          ],
        },
        { "x-github-request-id": "BEEF:1" },
      );
    const port = new OctokitPort(new Octokit({ auth: "t", log: quiet }), "o", "r");
    const text = errorText(await port.refState("nope").catch((e: unknown) => e));
    expect(text).toContain("404");
    expect(text).toContain("POST https://api.github.com/graphql");
    expect(text).toContain("operation RefState");
    expect(text).toContain("at repository.object");
    expect(text).toContain("request BEEF:1");
  });

  it("anything else is its message", () => {
    expect(errorText(new Error("boom"))).toBe("boom");
    expect(errorText("plain")).toBe("plain");
  });
});

describe("dispatch answered 204 (older servers, GHE): the run is found by its run name", () => {
  it("with several runs listed, the one named after the correlation id is recorded, and its link", async () => {
    const gh = new FakeGitHub({ now: () => NOW, botLogin: "conveyor[bot]" });
    gh.addIssue({ title: "T", labels: ["conveyor:in-progress"] });
    const config = defaultConfig();
    const snapshot = await loadSnapshot(gh, config, NOW, {
      botLogin: "conveyor[bot]",
      defaultBranch: "main",
    });
    const run = (id: number, title: string) => ({
      id,
      display_title: title,
      status: "queued",
      conclusion: null,
      created_at: "2026-11-25T10:00:01Z",
      html_url: `${GHE}/o/r/actions/runs/${id}`,
    });
    nock(`${GHE}/api/v3`)
      .post("/repos/o/r/actions/workflows/conveyor-agent.yml/dispatches")
      .reply(204)
      .get("/repos/o/r/actions/workflows/conveyor-agent.yml/runs")
      .query(true)
      .reply(200, {
        total_count: 4,
        workflow_runs: [
          run(71, "conveyor 1/task/0/2"),
          run(72, "conveyor 1/task/0/10"),
          run(73, "conveyor 1/task/0/1"),
          run(74, "conveyor 11/task/0/1"),
        ],
      });
    const port = new OctokitPort(
      new Octokit({ auth: "t", baseUrl: `${GHE}/api/v3`, log: quiet }),
      "o",
      "r",
    );
    const report = await executeEffects(
      port,
      snapshot,
      [
        {
          type: "dispatch",
          task: "1",
          role: "task",
          attempt: 0,
          correlationId: "1/task/0/1",
          model: "m",
          timeoutMinutes: 15,
        },
      ],
      { dryRun: false, log: () => {}, config, now: NOW },
    );
    expect(report.failed).toBeUndefined();
    expect(report.dispatched).toEqual([
      { correlationId: "1/task/0/1", runId: "73", url: `${GHE}/o/r/actions/runs/73` },
    ]);
  });
});

describe("links point at the server the port talks to", () => {
  it("the status comment links the agent workflow on the GHE host, not github.com", async () => {
    const gh = new FakeGitHub({ now: () => NOW, botLogin: "conveyor[bot]" });
    gh.addIssue({ title: "T", labels: ["conveyor:in-progress"] });
    Object.defineProperty(gh, "webUrl", { value: GHE });
    const config = defaultConfig();
    const snapshot = await loadSnapshot(gh, config, NOW, {
      botLogin: "conveyor[bot]",
      defaultBranch: "main",
    });
    const memory = {
      ...emptyMemory(),
      runs: 1,
      run: {
        role: "task" as const,
        attempt: 0,
        correlationId: "1/task/0/1",
        dispatchedAt: NOW.toISOString(),
      },
    };
    await executeEffects(gh, snapshot, [{ type: "save-memory", task: "1", memory }], {
      dryRun: false,
      log: () => {},
      config,
      now: NOW,
    });
    const body = gh.commentsOn(1).at(-1)?.body ?? "";
    expect(body).toContain(`(${GHE}/o/r/actions/workflows/conveyor-agent.yml)`);
    expect(body).not.toContain("https://github.com");
  });
});
