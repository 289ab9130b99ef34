import { Octokit } from "@octokit/rest";
import nock from "nock";
import { ProbotOctokit } from "probot";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OctokitPort } from "../../src/github/octokit-port.js";
import type { GitHubError } from "../../src/github/port.js";
import { checkRequest, loadGitHubSpec, OpenApiRecorder } from "./openapi-check.js";

const API = "https://api.github.com";
const R = "/repos/o/r";
const spec = loadGitHubSpec();
let recorder: OpenApiRecorder;

function github() {
  const scope = nock(API);
  recorder.attach(scope);
  return scope;
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const port = () => new OctokitPort(new Octokit({ auth: "test-token", log: quiet }), "o", "r");

const issue = (n: number, labels: string[], extra: Record<string, unknown> = {}) => ({
  number: n,
  title: `Issue ${n}`,
  body: "## Location\n- `src/a.ts`",
  labels: labels.map((name) => ({ name })),
  state: "open",
  user: { login: "maintainer" },
  created_at: "2026-11-25T09:00:00Z",
  updated_at: "2026-11-25T09:30:00Z",
  ...extra,
});

/** An issue as GitHub's GraphQL API answers it. */
const gqlIssue = (n: number, extra: Record<string, unknown> = {}) => ({
  number: n,
  title: `Issue ${n}`,
  body: "b",
  state: "OPEN",
  createdAt: "2026-11-20T09:00:00Z",
  updatedAt: "2026-11-25T09:00:00Z",
  author: { __typename: "User", login: "maintainer" },
  labels: { nodes: [{ name: "conveyor:todo" }] },
  ...extra,
});

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  nock.cleanAll();
});

describe("the OpenAPI checker", () => {
  recorder = new OpenApiRecorder(spec);
  it.each([
    ["PUT", `${R}/pulls/4/merge`, { sha: "abc", merge_method: "merge" }, []],
    ["PUT", `${R}/pulls/4/merge`, { sha: "abc", merge_method: "fast" }, ["is not one of"]],
    ["PUT", `${R}/pulls/four/merge`, { sha: "abc" }, ["is not an integer"]],
    ["POST", `${R}/issues/4/labelz`, { labels: ["x"] }, ["no such route"]],
    ["GET", `${R}/no-such-thing`, undefined, ["no such route"]],
    ["GET", `${R}/contents/docs/a/b.md`, undefined, []],
    ["GET", `${R}/issues?state=opened`, undefined, ["is not one of"]],
    ["GET", `${R}/issues?colour=red`, undefined, ["unknown query parameter"]],
    [
      "POST",
      `${R}/actions/workflows/a.yml/dispatches`,
      { ref: "main", return_run_detail: true },
      ["unknown property"],
    ],
    [
      "POST",
      `${R}/actions/workflows/a.yml/dispatches`,
      { inputs: {} },
      ['missing required property "ref"'],
    ],
    [
      "POST",
      `${R}/git/trees`,
      { tree: [{ path: "a", mode: "100644", type: "blob", sha: null }] },
      [],
    ],
    [
      "POST",
      "/graphql",
      { query: 'query { repository(owner: "o", name: "r") { nameWithOwner } }' },
      [],
    ],
    [
      "POST",
      "/graphql",
      { query: 'query { repository(owner: "o", name: "r") { colour } }' },
      ['Cannot query field "colour"'],
    ],
    [
      "POST",
      "/graphql",
      {
        query:
          'query($n: Int!) { repository(owner: "o", name: "r") { pullRequest(number: $n) { id } } }',
        variables: { n: "seven" },
      },
      ['Variable "$n" got invalid value'],
    ],
    [
      "POST",
      "/graphql",
      {
        query:
          "mutation($input: CreateCommitOnBranchInput!) { createCommitOnBranch(input: $input) { commit { oid } } }",
        variables: { input: { branch: { branchName: "main" }, message: { headline: "m" } } },
      },
      ['Field "expectedHeadOid" of required type "GitObjectID!" was not provided'],
    ],
  ])("%s %s is checked", (method, path, body, expected) => {
    const problems = checkRequest(spec, method, path, body);
    if (expected.length === 0) expect(problems).toEqual([]);
    for (const e of expected) expect(problems.join("\n")).toContain(e);
  });
});

describe("OctokitPort over nock, every request checked against OpenAPI", () => {
  beforeAll(() => {
    recorder = new OpenApiRecorder(spec);
  });
  afterEach(() => {
    const problems = [...recorder.problems];
    const seen = recorder.requests.length;
    recorder.problems.length = 0;
    recorder.requests.length = 0;
    expect(seen).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  it("reads refs, files and config", async () => {
    const scope = github()
      .get(`${R}/git/ref/heads%2Ftrunk`)
      .reply(200, { object: { sha: "s1" } })
      .get(`${R}/git/ref/heads%2Fgone`)
      .reply(404, { message: "Not Found" })
      .get(`${R}/contents/.github%2Fconveyor.yml`)
      .query({ ref: "s1" })
      .reply(200, {
        type: "file",
        content: Buffer.from("capacity:\n  agents: 3\n").toString("base64"),
      })
      .get(`${R}/contents/missing.yml`)
      .query({ ref: "s1" })
      .reply(404, { message: "Not Found" });
    const p = port();
    expect(await p.getBranchSha("trunk")).toBe("s1");
    expect(await p.getBranchSha("gone")).toBeUndefined();
    expect(await p.getFileText(".github/conveyor.yml", "s1")).toBe("capacity:\n  agents: 3\n");
    expect(await p.getFileText("missing.yml", "s1")).toBeUndefined();
    expect(scope.isDone()).toBe(true);
  });

  it("the base's branch head is asked with the ETag of its last answer: a 304 reuses it", async () => {
    const scope = github()
      .get(`${R}/git/ref/heads%2Fmain`)
      .reply(200, { object: { sha: "s1" } }, { etag: '"r1"' })
      .get(`${R}/git/ref/heads%2Fmain`)
      .matchHeader("if-none-match", '"r1"')
      .reply(304);
    const p = port();
    expect(await p.getBranchSha("main")).toBe("s1");
    expect(await p.getBranchSha("main")).toBe("s1");
    expect(scope.isDone()).toBe(true);
  });

  it.each([
    ["SUCCESS", "success"],
    ["FAILURE", "failure"],
    ["ERROR", "failure"],
    ["PENDING", "pending"],
    ["EXPECTED", "pending"],
    [null, "success"],
  ] as const)(
    "the status check rollup %s reads as %s, in one GraphQL request",
    async (state, want) => {
      const scope = github()
        .post("/graphql", (b) => b.variables?.ref === "c1" && /statusCheckRollup/.test(b.query))
        .reply(200, {
          data: { repository: { object: { statusCheckRollup: state ? { state } : null } } },
        });
      expect(await port().refState("c1")).toBe(want);
      expect(scope.isDone()).toBe(true);
    },
  );

  it("reads the default branch, the config's text and the recent checks in one request", async () => {
    const scope = github()
      .post(
        "/graphql",
        (b) => b.variables?.file === ".github/conveyor.yml" && b.variables?.depth === 20,
      )
      .reply(200, {
        data: {
          repository: {
            deleteBranchOnMerge: true,
            defaultBranchRef: {
              name: "trunk",
              target: {
                oid: "c2",
                file: { object: { text: "capacity:\n  agents: 3\n" } },
                history: {
                  nodes: [
                    { oid: "c2", message: "Conveyor: mirror [skip ci]", statusCheckRollup: null },
                    { oid: "c1", message: "Fix", statusCheckRollup: { state: "FAILURE" } },
                  ],
                },
              },
            },
          },
        },
      })
      .post("/graphql")
      .reply(200, {
        data: { repository: { deleteBranchOnMerge: false, defaultBranchRef: null } },
      });
    const p = port();
    expect(await p.readDefaultBranch(".github/conveyor.yml", 20)).toEqual({
      name: "trunk",
      head: "c2",
      fileText: "capacity:\n  agents: 3\n",
      deleteBranchOnMerge: true,
      history: [
        { sha: "c2", state: "success", message: "Conveyor: mirror [skip ci]" },
        { sha: "c1", state: "failure", message: "Fix" },
      ],
    });
    // An empty repository: no branch yet, the defaults apply.
    expect(await p.readDefaultBranch(".github/conveyor.yml", 20)).toMatchObject({
      head: "",
      fileText: undefined,
      history: [],
    });
    expect(scope.isDone()).toBe(true);
  });

  it("lists the tracked issues by label (any of them) in pages, with their label events and the board", async () => {
    const events = {
      timelineItems: {
        nodes: [
          {
            createdAt: "2026-11-21T09:00:00Z",
            label: { name: "conveyor:todo" },
            actor: { __typename: "User", login: "a" },
          },
          {
            createdAt: "2026-11-24T09:00:00Z",
            label: { name: "conveyor:todo" },
            actor: { __typename: "User", login: "b" },
          },
          {
            createdAt: "2026-11-24T10:00:00Z",
            label: { name: "conveyor:review" },
            actor: { __typename: "Bot", login: "conveyor" },
          },
        ],
      },
    };
    const labels = ["conveyor:todo", "conveyor:review"];
    const scope = github()
      .post("/graphql", (b) => b.variables?.after === null && b.variables?.withBoard === true)
      .reply(200, {
        data: {
          repository: {
            issues: {
              pageInfo: { hasNextPage: true, endCursor: "c1" },
              nodes: [gqlIssue(1, events)],
            },
            closed: {
              nodes: [
                gqlIssue(4, {
                  state: "CLOSED",
                  labels: { nodes: [{ name: "conveyor:review" }] },
                  closedByPullRequestsReferences: {
                    nodes: [
                      {
                        number: 5,
                        title: "Fix #4",
                        headRefOid: "h5",
                        headRefName: "conveyor/4-fix",
                        baseRefName: "main",
                        state: "MERGED",
                        merged: true,
                        mergeable: "UNKNOWN",
                        labels: { nodes: [] },
                      },
                    ],
                  },
                }),
              ],
            },
            board: {
              nodes: [
                gqlIssue(9, {
                  title: "Conveyor board",
                  state: "CLOSED",
                  author: { __typename: "Bot", login: "conveyor" },
                  labels: { nodes: [{ name: "conveyor:board" }] },
                }),
              ],
            },
          },
        },
      })
      .post(
        "/graphql",
        (b) =>
          b.variables?.after === "c1" &&
          b.variables?.withBoard === false &&
          JSON.stringify(b.variables?.labels) === JSON.stringify(labels),
      )
      .reply(200, {
        data: {
          repository: {
            issues: {
              pageInfo: { hasNextPage: false, endCursor: null },
              nodes: [gqlIssue(2, { timelineItems: { nodes: [] } })],
            },
          },
        },
      });
    const got = await port().listTracked(labels, "conveyor:board", ["conveyor:review"]);
    expect(got.issues.map((i) => i.number)).toEqual([1, 2]);
    expect(got.issues[0]).toMatchObject({
      author: "maintainer",
      labels: ["conveyor:todo"],
      isPullRequest: false,
      labeled: [
        { label: "conveyor:todo", at: "2026-11-24T09:00:00Z", by: "b" },
        { label: "conveyor:review", at: "2026-11-24T10:00:00Z", by: "conveyor[bot]" },
      ],
    });
    expect(got.boards).toMatchObject([{ number: 9, state: "closed", author: "conveyor[bot]" }]);
    expect(got.closed).toMatchObject([
      {
        number: 4,
        state: "closed",
        linkedPulls: [{ number: 5, headRef: "conveyor/4-fix", state: "closed", merged: true }],
      },
    ]);
    expect(scope.isDone()).toBe(true);
  });

  it("reads each task's first comments with it, authors named as REST names them", async () => {
    const comment = (id: string, author: unknown, createdAt: string) => ({
      fullDatabaseId: id,
      body: `comment ${id}`,
      createdAt,
      updatedAt: createdAt,
      author,
    });
    const scope = github()
      .post("/graphql", (b) => /comments\(first: 100\)/.test(b.query))
      .reply(200, {
        data: {
          repository: {
            issues: {
              pageInfo: { hasNextPage: false, endCursor: null },
              nodes: [
                gqlIssue(1, {
                  timelineItems: { nodes: [] },
                  comments: {
                    totalCount: 3,
                    nodes: [
                      // Comment ids have outgrown a 32-bit Int: the BigInt comes as a string.
                      comment(
                        "2400000001",
                        { __typename: "Bot", login: "conveyor" },
                        "2026-11-25T09:01:00Z",
                      ),
                      comment("2400000002", null, "2026-11-25T09:02:00Z"),
                      comment(
                        "2400000003",
                        { __typename: "User", login: "maintainer" },
                        "2026-11-25T09:03:00Z",
                      ),
                    ],
                  },
                }),
                gqlIssue(2, {
                  timelineItems: { nodes: [] },
                  comments: {
                    totalCount: 140,
                    nodes: [comment("7", null, "2026-11-25T09:04:00Z")],
                  },
                }),
              ],
            },
            closed: {
              nodes: [
                gqlIssue(4, {
                  state: "CLOSED",
                  comments: {
                    totalCount: 1,
                    nodes: [
                      comment(
                        "8",
                        { __typename: "Bot", login: "github-actions" },
                        "2026-11-25T09:05:00Z",
                      ),
                    ],
                  },
                }),
              ],
            },
            board: { nodes: [gqlIssue(9, { title: "Conveyor board" })] },
          },
        },
      });
    const got = await port().listTracked(["conveyor:todo"], "conveyor:board", ["conveyor:review"]);
    expect(got.issues[0]!.comments).toEqual([
      {
        id: 2400000001,
        issue: 1,
        body: "comment 2400000001",
        author: "conveyor[bot]",
        createdAt: "2026-11-25T09:01:00Z",
        updatedAt: "2026-11-25T09:01:00Z",
      },
      expect.objectContaining({ id: 2400000002, author: "" }),
      expect.objectContaining({ id: 2400000003, author: "maintainer" }),
    ]);
    expect(got.issues.map((i) => i.commentCount)).toEqual([3, 140]);
    expect(got.issues[1]!.comments).toMatchObject([{ id: 7, issue: 2 }]);
    expect(got.closed?.[0]).toMatchObject({
      commentCount: 1,
      comments: [{ id: 8, issue: 4, author: "github-actions[bot]" }],
    });
    expect(got.boards[0]!.comments).toBeUndefined();
    expect(scope.isDone()).toBe(true);
  });

  it("a comment read without its id leaves the issue's comments to the REST list", async () => {
    const scope = github()
      .post("/graphql")
      .reply(200, {
        data: {
          repository: {
            issues: {
              pageInfo: { hasNextPage: false, endCursor: null },
              nodes: [
                gqlIssue(1, {
                  comments: {
                    totalCount: 1,
                    nodes: [
                      {
                        fullDatabaseId: null,
                        body: "x",
                        createdAt: "2026-11-25T09:01:00Z",
                        updatedAt: "2026-11-25T09:01:00Z",
                        author: null,
                      },
                    ],
                  },
                }),
              ],
            },
            board: { nodes: [] },
          },
        },
      });
    const got = await port().listTracked(["conveyor:todo"], "conveyor:board");
    expect(got.issues[0]).not.toHaveProperty("comments");
    expect(got.issues[0]).not.toHaveProperty("commentCount");
    expect(scope.isDone()).toBe(true);
  });

  it("reads the tracked issues with the default branch, the pages past 100 with the paged query", async () => {
    const scope = github()
      .post(
        "/graphql",
        (b) => /defaultBranchRef/.test(b.query) && b.variables?.withTracked === true,
      )
      .reply(200, {
        data: {
          repository: {
            deleteBranchOnMerge: false,
            defaultBranchRef: {
              name: "main",
              target: { oid: "c1", file: null, history: { nodes: [] } },
            },
            issues: {
              pageInfo: { hasNextPage: true, endCursor: "p1" },
              nodes: Array.from({ length: 100 }, (_, i) =>
                gqlIssue(i + 1, { timelineItems: { nodes: [] } }),
              ),
            },
            board: { nodes: [] },
          },
        },
      })
      .post(
        "/graphql",
        (b) =>
          /query Tracked/.test(b.query) &&
          b.variables?.after === "p1" &&
          b.variables?.withBoard === false,
      )
      .reply(200, {
        data: {
          repository: {
            issues: {
              pageInfo: { hasNextPage: false, endCursor: null },
              nodes: [gqlIssue(101, { timelineItems: { nodes: [] } })],
            },
          },
        },
      });
    const read = await port().readDefaultBranch(".github/conveyor.yml", 20, {
      labels: ["conveyor:todo"],
      boardLabel: "conveyor:board",
    });
    expect(read.tracked?.issues).toHaveLength(101);
    expect(read.tracked?.boards).toEqual([]);
    expect(scope.isDone()).toBe(true);
  });

  it("reads who added each label of a PR from its timeline", async () => {
    const scope = github()
      .post("/graphql", (b) => /issueOrPullRequest/.test(b.query) && b.variables?.n === 12)
      .reply(200, {
        data: {
          repository: {
            issueOrPullRequest: {
              timelineItems: {
                nodes: [
                  {
                    createdAt: "2026-11-25T09:00:00Z",
                    label: { name: "merge-queue" },
                    actor: { __typename: "User", login: "trish" },
                  },
                ],
              },
            },
          },
        },
      });
    expect(await port().labelEvents(12)).toEqual([
      { label: "merge-queue", at: "2026-11-25T09:00:00Z", by: "trish" },
    ]);
    expect(scope.isDone()).toBe(true);
  });

  it("on GitHub Enterprise Server, GraphQL goes to /api/graphql beside /api/v3", async () => {
    const ghes = nock("https://ghe.example.com")
      .post("/api/graphql", (b) => /statusCheckRollup/.test(b.query))
      .reply(200, {
        data: { repository: { object: { statusCheckRollup: { state: "SUCCESS" } } } },
      });
    recorder.requests.push("POST /graphql (GHES)"); // nothing to check against api.github.com's description
    const octokit = new Octokit({
      auth: "t",
      baseUrl: "https://ghe.example.com/api/v3",
      log: quiet,
    });
    expect(await new OctokitPort(octokit, "o", "r").refState("main")).toBe("success");
    expect(ghes.isDone()).toBe(true);
  });

  it("a ref GitHub does not know is a 404", async () => {
    github()
      .post("/graphql")
      .reply(200, { data: { repository: { object: null } } });
    await expect(port().refState("nope")).rejects.toMatchObject({ status: 404 });
  });

  it("lists with pagination and answers a 304 from its cache", async () => {
    const pull = (n: number) => ({
      number: n,
      title: `PR ${n}`,
      head: { sha: `h${n}`, ref: `conveyor/${n}-x` },
      base: { ref: "main" },
      state: "open",
      labels: [{ name: "merge-queue" }],
    });
    const page1 = Array.from({ length: 100 }, (_, i) => pull(i + 1));
    const commentsPage = { per_page: "100", page: "1" };
    const scope = github()
      .get(`${R}/pulls`)
      .query({ state: "open", per_page: "100", page: "1" })
      .reply(200, page1, { etag: '"e1"' })
      .get(`${R}/pulls`)
      .query({ state: "open", per_page: "100", page: "2" })
      .reply(200, [pull(101)])
      .get(`${R}/issues/4/comments`)
      .query(commentsPage)
      .reply(200, [], { etag: '"c1"' })
      .get(`${R}/issues/4/comments`)
      .query(commentsPage)
      .matchHeader("if-none-match", '"c1"')
      .reply(304);
    const p = port();
    const pulls = await p.listOpenPulls();
    expect(pulls).toHaveLength(101);
    expect(pulls[0]).toMatchObject({
      number: 1,
      headSha: "h1",
      headRef: "conveyor/1-x",
      labels: ["merge-queue"],
      mergeable: null,
    });
    expect(await p.listIssueComments(4)).toEqual([]);
    expect(await p.listIssueComments(4)).toEqual([]);
    expect(scope.isDone()).toBe(true);
  });

  it("writes labels, comments, issues and reactions", async () => {
    const scope = github()
      .put(`${R}/issues/3/labels`, { labels: ["conveyor:review", "priority:high"] })
      .reply(200, [])
      .post(`${R}/issues/3/labels`, { labels: ["conveyor:escalated"] })
      .reply(200, [])
      .delete(`${R}/issues/3/labels/conveyor%3Aescalated`)
      .reply(200, [])
      .patch(`${R}/issues/3`, {
        labels: ["conveyor:done"],
        state: "closed",
        state_reason: "completed",
      })
      .reply(200, issue(3, ["conveyor:done"]))
      .post(`${R}/issues/3/comments`, { body: "hello" })
      .reply(201, {
        id: 9,
        body: "hello",
        user: { login: "bot[bot]" },
        issue_url: `${API}${R}/issues/3`,
        created_at: "t",
        updated_at: "t",
      })
      .patch(`${R}/issues/comments/9`, { body: "edited" })
      .reply(200, {})
      .post(`${R}/issues/comments/9/reactions`, { content: "+1" })
      .reply(201, {})
      .post(`${R}/issues`, { title: "Conveyor board", body: "b", labels: [] })
      .reply(201, issue(20, [], { title: "Conveyor board" }))
      .get(`${R}/issues/3/comments`)
      .query({ per_page: "100", page: "1" })
      .reply(200, [
        {
          id: 9,
          body: "x",
          user: { login: "u" },
          issue_url: `${API}${R}/issues/3`,
          created_at: "t",
          updated_at: "t",
        },
      ])
      .get(`${R}/collaborators/alice/permission`)
      .reply(200, { permission: "write", role_name: "maintain" })
      .get(`${R}/collaborators/bob/permission`)
      .reply(404, { message: "Not Found" });
    const p = port();
    await p.setLabels(3, ["conveyor:review", "priority:high"]);
    await p.addLabels(3, ["conveyor:escalated"]);
    await p.removeLabel(3, "conveyor:escalated");
    await p.updateIssue(3, {
      labels: ["conveyor:done"],
      state: "closed",
      stateReason: "completed",
    });
    expect(await p.createComment(3, "hello")).toMatchObject({ id: 9, issue: 3 });
    await p.updateComment(9, "edited");
    await p.addReaction(9, "+1");
    expect((await p.createIssue("Conveyor board", "b")).number).toBe(20);
    expect(await p.listIssueComments(3)).toEqual([
      { id: 9, issue: 3, body: "x", author: "u", createdAt: "t", updatedAt: "t" },
    ]);
    expect(await p.getPermission("alice")).toBe("maintain");
    expect(await p.getPermission("bob")).toBe("none");
    expect(scope.isDone()).toBe(true);
  });

  it("pull requests: list, get with mergeable, files, pinned merge", async () => {
    const pull = {
      number: 7,
      title: "t",
      head: { sha: "h1", ref: "conveyor/3-x" },
      base: { ref: "main" },
      state: "open",
      merged: false,
      mergeable: null,
      labels: [],
    };
    const scope = github()
      .get(`${R}/pulls/7`)
      .reply(200, pull)
      .get(`${R}/pulls/7/files`)
      .query({ per_page: "100", page: "1" })
      .reply(200, [{ filename: "src/a.ts" }])
      .put(`${R}/pulls/7/merge`, { sha: "h1", merge_method: "merge" })
      .reply(200, { sha: "m1", merged: true })
      .get(`${R}/compare/b1...main`)
      .query({ per_page: "100" })
      .reply(200, { files: [{ filename: "src/b.ts" }] });
    const p = port();
    expect(await p.getPull(7)).toMatchObject({
      mergeable: null,
      headSha: "h1",
      headRef: "conveyor/3-x",
    });
    expect(await p.listPullFiles(7)).toEqual(["src/a.ts"]);
    expect(await p.mergePull(7, "h1", "merge")).toBe("m1");
    expect(await p.compareFiles("b1", "main")).toEqual(["src/b.ts"]);
    expect(scope.isDone()).toBe(true);
  });

  it("dispatches with return_run_details, falls back when the server does not know it", async () => {
    const inputs = {
      mode: "task",
      issue: "3",
      pr: "",
      attempt: "0",
      feedback: "",
      "correlation-id": "3/task/0/1",
      model: "m",
    };
    const scope = github()
      .post(`${R}/actions/workflows/conveyor-agent.yml/dispatches`, {
        ref: "main",
        inputs,
        return_run_details: true,
      })
      .reply(200, {
        workflow_run_id: 55,
        run_url: `${API}${R}/actions/runs/55`,
        html_url: "https://github.com/o/r/actions/runs/55",
      })
      .post(`${R}/actions/workflows/conveyor-agent.yml/dispatches`, {
        ref: "main",
        inputs,
        return_run_details: true,
      })
      .reply(422, { message: "Invalid request: return_run_details is not a permitted key." })
      .post(`${R}/actions/workflows/conveyor-agent.yml/dispatches`, { ref: "main", inputs })
      .reply(204)
      .get(`${R}/actions/workflows/conveyor-agent.yml/runs`)
      .query({ created: ">=2026-11-25T10:00:00Z", per_page: "100", page: "1" })
      .reply(200, {
        total_count: 1,
        workflow_runs: [
          {
            id: 55,
            display_title: "conveyor 3/task/0/1",
            status: "queued",
            conclusion: null,
            created_at: "2026-11-25T10:00:01Z",
            html_url: "u",
          },
        ],
      })
      .post(`${R}/actions/runs/55/cancel`)
      .reply(202, {})
      .post(`${R}/actions/runs/55/force-cancel`)
      .reply(202, {});
    const p = port();
    expect(await p.dispatchWorkflow("conveyor-agent.yml", "main", inputs)).toEqual({
      runId: 55,
      url: "https://github.com/o/r/actions/runs/55",
    });
    expect(await p.dispatchWorkflow("conveyor-agent.yml", "main", inputs)).toEqual({});
    expect(await p.listWorkflowRuns("conveyor-agent.yml", "2026-11-25T10:00:00.000Z")).toEqual([
      {
        id: 55,
        title: "conveyor 3/task/0/1",
        status: "queued",
        conclusion: null,
        createdAt: "2026-11-25T10:00:01Z",
        url: "u",
      },
    ]);
    await p.cancelRun(55, false);
    await p.cancelRun(55, true);
    expect(scope.isDone()).toBe(true);
  });

  it("reads one run by id (a run older than the runs listed); a missing run is undefined", async () => {
    const scope = github()
      .get(`${R}/actions/runs/55`)
      .reply(200, {
        id: 55,
        display_title: "conveyor 3/task/0/1",
        status: "in_progress",
        conclusion: null,
        created_at: "2026-11-25T07:00:01Z",
        run_started_at: "2026-11-25T07:00:30Z",
        html_url: "u",
      })
      .get(`${R}/actions/runs/56`)
      .reply(404, { message: "Not Found" });
    const p = port();
    expect(await p.getWorkflowRun(55)).toEqual({
      id: 55,
      title: "conveyor 3/task/0/1",
      status: "in_progress",
      conclusion: null,
      createdAt: "2026-11-25T07:00:01Z",
      startedAt: "2026-11-25T07:00:30Z",
      url: "u",
    });
    expect(await p.getWorkflowRun(56)).toBeUndefined();
    expect(scope.isDone()).toBe(true);
  });

  it("commits several files as one commit in one request, pinned to the head it read", async () => {
    let sent: Record<string, unknown> | undefined;
    const scope = github()
      .post("/graphql", (b) => {
        sent = b.variables?.input;
        return /createCommitOnBranch/.test(b.query);
      })
      .reply(200, { data: { createCommitOnBranch: { commit: { oid: "c2" } } } });
    const oid = await port().commitOnBranch("main", "c1", "Conveyor: mirror [skip ci]\n\nwhy", [
      { path: "TODO.md", content: "# To do\n" },
      { path: "OLD.md", content: null },
    ]);
    expect(oid).toBe("c2");
    expect(sent).toEqual({
      branch: { repositoryNameWithOwner: "o/r", branchName: "main" },
      expectedHeadOid: "c1",
      message: { headline: "Conveyor: mirror [skip ci]", body: "why" },
      fileChanges: {
        additions: [{ path: "TODO.md", contents: Buffer.from("# To do\n").toString("base64") }],
        deletions: [{ path: "OLD.md" }],
      },
    });
    expect(scope.isDone()).toBe(true);
  });

  it("a commit on a branch that moved is a 409; a missing branch a 404", async () => {
    github()
      .post("/graphql")
      .reply(200, {
        data: { createCommitOnBranch: null },
        errors: [
          {
            type: "STALE_DATA",
            path: ["createCommitOnBranch"],
            message: 'Expected branch to point to "c1" but it did not. Pull and try again.',
          },
        ],
      })
      .post("/graphql")
      .reply(200, {
        data: { createCommitOnBranch: null },
        errors: [{ type: "NOT_FOUND", message: 'Could not resolve to a Ref "refs/heads/gone".' }],
      });
    const p = port();
    const entries = [{ path: "TODO.md", content: "x" }];
    await expect(p.commitOnBranch("main", "c1", "m", entries)).rejects.toMatchObject({
      status: 409,
    });
    await expect(p.commitOnBranch("gone", "c1", "m", entries)).rejects.toMatchObject({
      status: 404,
    });
  });

  it("reads several PRs in one GraphQL request; a missing one is left out", async () => {
    const node = (n: number, extra: Record<string, unknown> = {}) => ({
      number: n,
      title: `PR ${n}`,
      headRefOid: `h${n}`,
      headRefName: `conveyor/${n}-task`,
      baseRefName: "main",
      state: "OPEN",
      merged: false,
      mergeable: "MERGEABLE",
      labels: { nodes: [{ name: "merge-queue" }] },
      files: { nodes: [{ path: `src/${n}.ts` }], pageInfo: { hasNextPage: false } },
      ...extra,
    });
    const scope = github()
      .post("/graphql", (b) => b.variables?.n0 === 7 && b.variables?.n2 === 9)
      .reply(200, {
        data: {
          repository: {
            pr0: node(7),
            pr1: node(8, {
              mergeable: "UNKNOWN",
              files: { nodes: [{ path: "a" }], pageInfo: { hasNextPage: true } },
            }),
            pr2: null,
          },
        },
        errors: [{ type: "NOT_FOUND", path: ["repository", "pr2"], message: "Could not resolve" }],
      })
      .get(`${R}/pulls/8/files`)
      .query({ per_page: "100", page: "1" })
      .reply(200, [{ filename: "a" }, { filename: "b" }]);
    const got = await port().getPulls([7, 8, 9], { files: true });
    expect([...got.keys()]).toEqual([7, 8]);
    expect(got.get(7)).toMatchObject({
      headSha: "h7",
      headRef: "conveyor/7-task",
      state: "open",
      mergeable: true,
      labels: ["merge-queue"],
      files: ["src/7.ts"],
    });
    expect(got.get(8)).toMatchObject({ mergeable: null, files: ["a", "b"] });
    expect(scope.isDone()).toBe(true);
  });

  it("refs for locks and check runs", async () => {
    const scope = github()
      .post(`${R}/git/refs`, { ref: "refs/conveyor/lock", sha: "c1" })
      .reply(201, {})
      .delete(`${R}/git/refs/conveyor%2Flock`)
      .reply(204)
      .post(`${R}/check-runs`, {
        head_sha: "h1",
        name: "Conveyor tests",
        status: "completed",
        conclusion: "success",
        output: { title: "Tests: pass", summary: "s" },
      })
      .reply(201, { id: 77 })
      .patch(`${R}/check-runs/77`, {
        name: "Conveyor tests",
        status: "completed",
        conclusion: "failure",
        output: { title: "Tests: fail", summary: "s" },
      })
      .reply(200, {});
    const p = port();
    await p.createRef("conveyor/lock", "c1");
    await p.deleteRef("conveyor/lock");
    const check = {
      name: "Conveyor tests",
      headSha: "h1",
      status: "completed" as const,
      title: "Tests: pass",
      summary: "s",
    };
    expect(await p.createCheckRun({ ...check, conclusion: "success" })).toBe(77);
    await p.updateCheckRun(77, { ...check, conclusion: "failure", title: "Tests: fail" });
    expect(scope.isDone()).toBe(true);
  });
});

describe("no automatic retry of dispatch and merge (Probot's Octokit, retry plugin on)", () => {
  beforeAll(() => {
    recorder = new OpenApiRecorder(spec);
  });

  const retrying = () =>
    new OctokitPort(
      new ProbotOctokit({
        auth: { token: "t" },
        log: quiet,
        retry: { enabled: true, retryAfterBaseValue: 1 },
        throttle: { enabled: false },
      }) as unknown as Octokit,
      "o",
      "r",
    );

  it("a merge answered 500 is sent once; a read answered 500 is retried", async () => {
    const scope = github()
      .put(`${R}/pulls/7/merge`)
      .once()
      .reply(500, { message: "Server Error" })
      .get(`${R}/pulls/7`)
      .reply(500, { message: "Server Error" })
      .get(`${R}/pulls/7`)
      .reply(200, {
        number: 7,
        head: { sha: "h", ref: "b" },
        base: { ref: "main" },
        state: "closed",
        merged: true,
        labels: [],
      });
    const p = retrying();
    const err = await p.mergePull(7, "h", "merge").catch((e: unknown) => e);
    expect((err as GitHubError).status).toBe(500);
    expect((await p.getPull(7)).merged).toBe(true);
    expect(scope.isDone()).toBe(true);
    expect(recorder.problems).toEqual([]);
  });

  it("a dispatch answered 502 is sent once", async () => {
    const scope = github()
      .post(`${R}/actions/workflows/conveyor-agent.yml/dispatches`)
      .once()
      .reply(502, { message: "Bad Gateway" });
    const err = await retrying()
      .dispatchWorkflow("conveyor-agent.yml", "main", { mode: "task" })
      .catch((e: unknown) => e);
    expect((err as GitHubError).status).toBe(502);
    expect(scope.isDone()).toBe(true);
    expect(recorder.problems).toEqual([]);
  });
});
