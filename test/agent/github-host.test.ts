import { Octokit } from "@octokit/rest";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GitHubHost } from "../../src/agent/github-host.js";
import type { AgentResult } from "../../src/core/board.js";
import { encodeMarker } from "../../src/core/markers.js";
import { checkGraphQL } from "../github/graphql-check.js";

const API = "https://api.github.com";
const R = "/repos/acme/widgets";
const host = () =>
  new GitHubHost({
    octokit: new Octokit({ auth: "t", request: { retries: 0 } }),
    owner: "acme",
    repo: "widgets",
  });

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});
afterAll(() => nock.enableNetConnect());

const result: AgentResult = {
  correlationId: "7/task/0/1",
  role: "task",
  outcome: "ok",
  summary: "done",
};

describe("GitHubHost", () => {
  it("reads the issue and its comments, leaving out Conveyor's own", async () => {
    nock(API)
      .get(`${R}/issues/7`)
      .reply(200, { number: 7, title: "Fix add", body: "It subtracts" })
      .get(`${R}/issues/7/comments`)
      .query(true)
      .reply(200, [
        { id: 1, body: "Please hurry" },
        { id: 2, body: `status ${encodeMarker("state", {})}` },
      ]);
    expect(await host().readIssue("7")).toEqual({
      id: "7",
      title: "Fix add",
      body: "It subtracts",
      comments: ["Please hurry"],
    });
  });

  it("opens a PR when none is open for the branch, updates the open one otherwise", async () => {
    nock(API)
      .get(`${R}/pulls`)
      .query({ head: "acme:conveyor/7-fix-add", state: "open", per_page: "1" })
      .reply(200, [])
      .post(`${R}/pulls`, {
        head: "conveyor/7-fix-add",
        base: "main",
        title: "Fix add",
        body: "Closes #7",
      })
      .reply(201, { number: 12, html_url: "https://github.com/acme/widgets/pull/12" });
    expect(
      await host().openOrUpdatePr({
        branch: "conveyor/7-fix-add",
        base: "main",
        title: "Fix add",
        body: "Closes #7",
      }),
    ).toEqual({ number: 12, url: "https://github.com/acme/widgets/pull/12" });
    nock(API)
      .get(`${R}/pulls`)
      .query(true)
      .reply(200, [{ number: 12 }])
      .patch(`${R}/pulls/12`, { title: "Fix add", body: "v2" })
      .reply(200, { number: 12, html_url: "u" });
    expect(
      (
        await host().openOrUpdatePr({
          branch: "conveyor/7-fix-add",
          base: "main",
          title: "Fix add",
          body: "v2",
        })
      ).number,
    ).toBe(12);
  });

  it("reads the PR's review threads through GraphQL (resolved state included), page by page", async () => {
    const bodies: unknown[] = [];
    const page = (hasNextPage: boolean, endCursor: string | null, nodes: unknown[]) => ({
      data: {
        repository: {
          pullRequest: { reviewThreads: { pageInfo: { hasNextPage, endCursor }, nodes } },
        },
      },
    });
    nock(API)
      .post("/graphql", (b) => bodies.push(b) > 0)
      .reply(
        200,
        page(true, "c1", [
          {
            isResolved: true,
            isOutdated: false,
            path: "src/a.ts",
            line: 3,
            originalLine: 3,
            comments: { nodes: [{ author: { login: "alice" }, body: "nit" }] },
          },
        ]),
      )
      .post("/graphql", (b) => bodies.push(b) > 0)
      .reply(
        200,
        page(false, null, [
          {
            isResolved: false,
            isOutdated: true,
            path: "src/b.ts",
            line: null,
            originalLine: 9,
            comments: { nodes: [{ author: null, body: "why?" }] },
          },
        ]),
      );
    expect(await host().reviewThreads(12)).toEqual([
      {
        path: "src/a.ts",
        line: 3,
        resolved: true,
        outdated: false,
        comments: [{ author: "alice", body: "nit" }],
      },
      {
        path: "src/b.ts",
        line: 9,
        resolved: false,
        outdated: true,
        comments: [{ author: "ghost", body: "why?" }],
      },
    ]);
    expect(bodies.map((b) => (b as { variables: unknown }).variables)).toEqual([
      { owner: "acme", repo: "widgets", pr: 12, cursor: null },
      { owner: "acme", repo: "widgets", pr: 12, cursor: "c1" },
    ]);
    for (const b of bodies) expect(checkGraphQL(b)).toEqual([]);
  });

  it("posts ONE review with inline comments, falling back to COMMENT on its own PR", async () => {
    const bodies: unknown[] = [];
    nock(API)
      .post(`${R}/pulls/12/reviews`, (b) => {
        bodies.push(b);
        return true;
      })
      .reply(422, { message: "Can not request changes on your own pull request" })
      .post(`${R}/pulls/12/reviews`, (b) => {
        bodies.push(b);
        return true;
      })
      .reply(200, { id: 1 });
    await host().postReview({
      pr: 12,
      headSha: "abc",
      verdict: "request_changes",
      body: "Needs a test",
      comments: [{ path: "src/a.ts", line: 3, body: "here" }],
    });
    expect(bodies).toEqual([
      {
        commit_id: "abc",
        body: "Needs a test",
        comments: [{ path: "src/a.ts", line: 3, side: "RIGHT", body: "here" }],
        event: "REQUEST_CHANGES",
      },
      expect.objectContaining({ event: "COMMENT" }),
    ]);
  });

  it("folds the line comments into the body when GitHub refuses a line", async () => {
    const bodies: { event: string; body: string; comments: unknown[] }[] = [];
    const record = (b: (typeof bodies)[number]) => {
      bodies.push(b);
      return true;
    };
    nock(API)
      .post(`${R}/pulls/12/reviews`, record)
      .reply(422, { message: "Can not approve your own pull request" })
      .post(`${R}/pulls/12/reviews`, record)
      .reply(422, { message: "Line could not be resolved" })
      .post(`${R}/pulls/12/reviews`, record)
      .reply(200, { id: 2 });
    await host().postReview({
      pr: 12,
      headSha: "abc",
      verdict: "approve",
      body: "Fine",
      comments: [{ path: "src/a.ts", line: 99, body: "nit" }],
    });
    expect(bodies.map((b) => [b.event, b.comments.length])).toEqual([
      ["APPROVE", 1],
      ["COMMENT", 1],
      ["COMMENT", 0],
    ]);
    expect(bodies[2]!.body).toBe("Fine\n\nLine comments:\n- `src/a.ts:99`: nit");
  });

  it("publishes a completed check run on the SHA", async () => {
    nock(API)
      .post(`${R}/check-runs`, {
        name: "conveyor/test",
        head_sha: "abc",
        status: "completed",
        conclusion: "success",
        output: { title: "Targeted tests passed", summary: "ok" },
      })
      .reply(201, { id: 5 });
    await host().publishCheck({
      name: "conveyor/test",
      headSha: "abc",
      conclusion: "success",
      title: "Targeted tests passed",
      summary: "ok",
    });
  });

  it("publishes one result comment per run (a re-publication updates it)", async () => {
    nock(API)
      .get(`${R}/issues/7/comments`)
      .query(true)
      .reply(200, [])
      .post(`${R}/issues/7/comments`, { body: "first" })
      .reply(201, { id: 9 });
    await host().publishResult({ task: "7", result, body: "first" });
    nock(API)
      .get(`${R}/issues/7/comments`)
      .query(true)
      .reply(200, [
        {
          id: 9,
          body: `**Conveyor Task agent**: ok\n\n${encodeMarker("result", result)}`,
          user: { login: "github-actions[bot]" },
        },
      ])
      .patch(`${R}/issues/comments/9`, { body: "second" })
      .reply(200, { id: 9 });
    await host().publishResult({ task: "7", result, body: "second" });
  });

  it("never edits a comment someone else pre-posted with the run's marker: it posts its own", async () => {
    const planted = `**Conveyor Task agent**: ok\n\n${encodeMarker("result", result)}`;
    nock(API)
      .get(`${R}/issues/7/comments`)
      .query(true)
      .reply(200, [
        { id: 5, body: planted, user: { login: "mallory" } },
        { id: 6, body: planted, user: { login: "conveyor-agent[bot]" } },
      ])
      .post(`${R}/issues/7/comments`, { body: "mine" })
      .reply(201, { id: 10 });
    await host().publishResult({ task: "7", result, body: "mine" });
  });

  it("with the agent App, updates the comment the App wrote", async () => {
    const app = new GitHubHost({
      octokit: new Octokit({ auth: "t", request: { retries: 0 } }),
      owner: "acme",
      repo: "widgets",
      publishers: ["conveyor-agent[bot]"],
    });
    const body = `**Conveyor Task agent**: ok\n\n${encodeMarker("result", result)}`;
    nock(API)
      .get(`${R}/issues/7/comments`)
      .query(true)
      .reply(200, [{ id: 6, body, user: { login: "conveyor-agent[bot]" } }])
      .patch(`${R}/issues/comments/6`, { body: "again" })
      .reply(200, { id: 6 });
    await app.publishResult({ task: "7", result, body: "again" });
  });

  it("reads the PR's files and diff", async () => {
    nock(API)
      .get(`${R}/pulls/12/files`)
      .query(true)
      .reply(200, [{ filename: "src/a.ts" }])
      .get(`${R}/pulls/12`)
      .matchHeader("accept", /diff/)
      .reply(200, "diff --git a/src/a.ts b/src/a.ts\n");
    expect(await host().prDiff(12)).toEqual({
      files: ["src/a.ts"],
      diff: "diff --git a/src/a.ts b/src/a.ts\n",
    });
  });
});
