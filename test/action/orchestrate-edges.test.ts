/**
 * The orchestrator Action's edges: a GitHub read that fails, and what the job summary counts.
 * `runAction` in orchestrate mode over the real Octokit port, nock at the HTTP edge.
 */
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runAction } from "../../src/action/run-action.js";

const API = "https://api.github.com";

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

function deps(env: Record<string, string> = {}) {
  const logs: string[] = [];
  return {
    logs,
    deps: {
      getInput: (name: string) =>
        ({ "github-token": "ghs_x", mode: "orchestrate", "dry-run": "true" })[name] ?? "",
      env: { GITHUB_REPOSITORY: "o/r", GITHUB_RUN_ID: "1", ...env },
      cwd: process.cwd(),
      log: (l: string) => logs.push(l),
      now: () => new Date("2026-11-25T10:00:00Z"),
    },
  };
}

const gqlIssue = (n: number) => ({
  number: n,
  title: `Issue ${n}`,
  body: "b",
  state: "OPEN",
  createdAt: "2026-11-25T09:00:00Z",
  updatedAt: "2026-11-25T09:00:00Z",
  author: { __typename: "User", login: "m" },
  labels: { nodes: [{ name: "conveyor:done" }] },
  timelineItems: { nodes: [] },
  closedByPullRequestsReferences: { nodes: [] },
});

describe("orchestrate: a failed GitHub read", () => {
  it("fails the step in one line that names the call, with a job summary and outputs", async () => {
    nock(API).post("/graphql").reply(502, "Bad Gateway", { "x-github-request-id": "AB:12" });
    const { deps: d } = deps();
    const result = await runAction(d);
    expect(result.failure).toBeDefined();
    expect(result.failure).not.toContain("\n");
    expect(result.failure).toContain("502");
    expect(result.failure).toContain("POST https://api.github.com/graphql");
    expect(result.failure).toContain("request AB:12");
    expect(result.summary).toContain("### Conveyor dry run on o/r");
    expect(result.summary).toContain("**Failed:**");
    expect(result.summary).toContain("1 GitHub requests");
    expect(result.outputs).toEqual({ result: "", pr: "", verdict: "", tokens: "0", cost: "0" });
  });

  it("on GHE (GITHUB_API_URL …/api/v3) the board read goes to /api/graphql", async () => {
    nock("https://ghe.example.com").post("/api/graphql").reply(503, "down");
    const { deps: d } = deps({
      GITHUB_API_URL: "https://ghe.example.com/api/v3",
      GITHUB_SERVER_URL: "https://ghe.example.com",
    });
    const result = await runAction(d);
    expect(result.failure).toContain("POST https://ghe.example.com/api/graphql");
  });
});

describe("orchestrate: the summary counts HTTP requests, not port calls", () => {
  it("a board read of two pages is two requests", async () => {
    let seen = 0;
    const scope = nock(API);
    scope.on("request", () => seen++);
    scope
      .post("/graphql", (b) => /query DefaultBranch/.test(b.query))
      .reply(200, {
        data: {
          repository: {
            deleteBranchOnMerge: false,
            issues: { pageInfo: { hasNextPage: true, endCursor: "c1" }, nodes: [gqlIssue(1)] },
            board: { nodes: [] },
            defaultBranchRef: {
              name: "main",
              target: { oid: "c0", file: null, history: { nodes: [] } },
            },
          },
        },
      })
      .post("/graphql", (b) => /query Tracked/.test(b.query))
      .reply(200, {
        data: {
          repository: {
            issues: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [gqlIssue(2)] },
          },
        },
      })
      .get(/\/repos\/o\/r\/.*/)
      .times(20)
      .optionally()
      .reply(200, []);
    const { deps: d } = deps();
    const result = await runAction(d);
    expect(result.failure).toBeUndefined();
    expect(seen).toBeGreaterThanOrEqual(2);
    expect(result.summary).toContain(`${seen} GitHub requests`);
  });
});
