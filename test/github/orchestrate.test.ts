import { Octokit } from "@octokit/rest";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runOrchestrate } from "../../src/github/orchestrate.js";
import { loadGitHubSpec, OpenApiRecorder } from "./openapi-check.js";

const API = "https://api.github.com";
const R = "/repos/o/r";
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const recorder = new OpenApiRecorder(loadGitHubSpec());
const NOW = new Date("2026-11-25T10:00:00.000Z");

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  nock.cleanAll();
  recorder.problems.length = 0;
  recorder.requests.length = 0;
});

describe("mode: orchestrate, one pass through the real Octokit port (nock, OpenAPI-checked)", () => {
  it("a labelled issue: label moved, status comment, agent dispatched, mirror commit, dashboard", async () => {
    const bodies: Record<string, unknown> = {};
    const keep = (name: string) => (body: Record<string, unknown>) => {
      bodies[name] = body;
      return true;
    };
    const scope = nock(API)
      .post("/graphql", (b) => /defaultBranchRef/.test(b.query))
      .reply(200, {
        data: {
          repository: {
            deleteBranchOnMerge: false,
            issues: {
              pageInfo: { hasNextPage: false, endCursor: null },
              nodes: [
                {
                  number: 1,
                  title: "Add a health endpoint",
                  body: "## Location\n- `src/server.ts`",
                  state: "OPEN",
                  createdAt: "2026-11-25T09:00:00Z",
                  updatedAt: "2026-11-25T09:00:00Z",
                  author: { __typename: "User", login: "maintainer" },
                  labels: { nodes: [{ name: "conveyor:todo" }, { name: "priority:high" }] },
                  timelineItems: {
                    nodes: [
                      {
                        createdAt: "2026-11-25T09:30:00Z",
                        label: { name: "conveyor:todo" },
                        actor: { __typename: "User", login: "maintainer" },
                      },
                    ],
                  },
                  comments: { totalCount: 0, nodes: [] },
                },
              ],
            },
            board: { nodes: [] },
            defaultBranchRef: {
              name: "main",
              target: {
                oid: "c0",
                file: null,
                history: {
                  nodes: [
                    { oid: "c0", message: "Initial", statusCheckRollup: { state: "SUCCESS" } },
                  ],
                },
              },
            },
          },
        },
      })
      // Who added the todo label (from the issue's timeline) may schedule work.
      .get(`${R}/collaborators/maintainer/permission`)
      .reply(200, { permission: "write", role_name: "maintain", user: { login: "maintainer" } })
      .put(`${R}/issues/1/labels`, keep("labels"))
      .reply(200, [])
      .post(`${R}/issues/1/comments`, keep("status"))
      .reply(201, {
        id: 5,
        body: "",
        user: { login: "github-actions[bot]" },
        issue_url: `${API}${R}/issues/1`,
        created_at: "t",
        updated_at: "t",
      })
      .post(`${R}/actions/workflows/conveyor-agent.yml/dispatches`, keep("dispatch"))
      .reply(200, {
        workflow_run_id: 77,
        run_url: `${API}${R}/actions/runs/77`,
        html_url: "https://github.com/o/r/actions/runs/77",
      })
      .post("/graphql", keep("commit"))
      .reply(200, { data: { createCommitOnBranch: { commit: { oid: "c1" } } } })
      .post(`${R}/issues`, keep("dashboard"))
      .reply(201, {
        number: 2,
        title: "Conveyor board",
        body: "",
        labels: [],
        state: "open",
        user: { login: "github-actions[bot]" },
        created_at: "t",
        updated_at: "t",
      });
    recorder.attach(scope);

    const logs: string[] = [];
    const { summary } = await runOrchestrate({
      octokit: new Octokit({ auth: "t", log: quiet }),
      owner: "o",
      repo: "r",
      configPath: ".github/conveyor.yml",
      dryRun: false,
      log: (l) => logs.push(l),
      now: () => NOW,
    });

    expect(recorder.problems).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(bodies.labels).toEqual({ labels: ["priority:high", "conveyor:in-progress"] });
    expect(bodies.dispatch).toEqual({
      ref: "main",
      inputs: {
        mode: "task",
        issue: "1",
        pr: "",
        attempt: "0",
        feedback: "",
        "correlation-id": "1/task/0/1",
        model: "claude-sonnet-5-5",
      },
      return_run_details: true,
    });
    expect(bodies.commit).toMatchObject({
      variables: {
        input: {
          branch: { repositoryNameWithOwner: "o/r", branchName: "main" },
          expectedHeadOid: "c0",
          message: { headline: "Conveyor: update the tracking files [skip ci]" },
        },
      },
    });
    const added = (
      bodies.commit as { variables: { input: { fileChanges: { additions: { path: string }[] } } } }
    ).variables.input.fileChanges.additions.map((a) => a.path);
    expect(added.sort()).toEqual(["IN_PROGRESS.md", "REVIEW.md", "TESTING.md", "TODO.md"]);
    expect((bodies.dashboard as { title: string }).title).toBe("Conveyor board");
    expect(summary).toMatchInlineSnapshot(`
      "### Conveyor pass on o/r

      Agents 1/6 · in flight 1/6 · 7 GitHub requests

      Done:
      - #1: todo -> in-progress (picked up: an agent slot is free)
      - #1: save memory (runs 1, attempts task 0, reviewer 0, tester 0, merge 0)
      - #1: dispatch task attempt 0 [1/task/0/1] model claude-sonnet-5-5
      - write mirror: IN_PROGRESS.md, REVIEW.md, TESTING.md, TODO.md
      - repo: update the dashboard"
    `);
  });

  it("dry-run reads and writes nothing", async () => {
    const scope = nock(API)
      .post("/graphql", (b) => /defaultBranchRef/.test(b.query))
      .reply(200, {
        data: {
          repository: {
            deleteBranchOnMerge: true,
            issues: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [] },
            board: { nodes: [] },
            defaultBranchRef: {
              name: "main",
              target: {
                oid: "c0",
                file: { object: { text: "capacity: {agents: 0}\n" } },
                history: { nodes: [] },
              },
            },
          },
        },
      });
    recorder.attach(scope);
    const { summary } = await runOrchestrate({
      octokit: new Octokit({ auth: "t", log: quiet }),
      owner: "o",
      repo: "r",
      configPath: ".github/conveyor.yml",
      dryRun: true,
      log: () => {},
      now: () => NOW,
    });
    expect(recorder.problems).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(summary).toContain("capacity.agents");
  });

  it("refuses something that is not an Octokit", async () => {
    await expect(
      runOrchestrate({
        octokit: {},
        owner: "o",
        repo: "r",
        configPath: "",
        dryRun: false,
        log: () => {},
      }),
    ).rejects.toThrow("needs an authenticated Octokit");
  });
});
