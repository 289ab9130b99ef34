/**
 * Conveyor never waits on itself (issue 12): the base branch's checks gate every dispatch,
 * and Conveyor writes check runs of its own (`Conveyor` in quiet mode, `Conveyor config`).
 * Those are left out of the state a commit's checks are read as; the queries that read it
 * are checked against GitHub's GraphQL schema.
 */
import { Octokit } from "@octokit/rest";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ciState, type GqlRollup } from "../../src/github/octokit-mappers.js";
import { OctokitPort } from "../../src/github/octokit-port.js";
import { checkGraphQL } from "./graphql-check.js";

const API = "https://api.github.com";
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const port = () => new OctokitPort(new Octokit({ auth: "t", log: quiet }), "o", "r");

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

const run = (name: string, status: string, conclusion: string | null = null) => ({
  __typename: "CheckRun",
  name,
  status,
  conclusion,
});
const status = (context: string, state: string) => ({
  __typename: "StatusContext",
  context,
  state,
});
const rollup = (
  state: string,
  nodes: NonNullable<GqlRollup["contexts"]>["nodes"],
  totalCount = nodes.length,
): GqlRollup => ({
  state,
  contexts: { totalCount, nodes },
});

describe("a commit's checks without Conveyor's own", () => {
  it.each([
    [
      "CI passed, the Conveyor check in progress",
      rollup("PENDING", [run("test", "COMPLETED", "SUCCESS"), run("Conveyor", "IN_PROGRESS")]),
      "success",
    ],
    [
      "CI passed, the config check failed",
      rollup("FAILURE", [
        run("test", "COMPLETED", "SUCCESS"),
        run("Conveyor config", "COMPLETED", "FAILURE"),
      ]),
      "success",
    ],
    ["only Conveyor's own checks", rollup("PENDING", [run("Conveyor", "IN_PROGRESS")]), "success"],
    [
      "CI failed",
      rollup("FAILURE", [run("test", "COMPLETED", "FAILURE"), run("Conveyor", "IN_PROGRESS")]),
      "failure",
    ],
    [
      "CI still running",
      rollup("PENDING", [run("test", "QUEUED"), run("Conveyor", "COMPLETED", "SUCCESS")]),
      "pending",
    ],
    [
      "a failing commit status",
      rollup("FAILURE", [status("ci/legacy", "ERROR"), run("Conveyor", "IN_PROGRESS")]),
      "failure",
    ],
    ["none of ours: GitHub's state", rollup("PENDING", [run("test", "IN_PROGRESS")]), "pending"],
    [
      "a commit status named Conveyor is no check run of ours: it counts",
      rollup("PENDING", [run("Conveyor", "IN_PROGRESS"), status("Conveyor", "PENDING")]),
      "pending",
    ],
    [
      "more checks than one read lists: GitHub's state",
      rollup("PENDING", [run("Conveyor", "IN_PROGRESS")], 80),
      "pending",
    ],
    ["no checks at all", null, "success"],
  ] as const)("%s: %s", (_, value, want) => {
    expect(ciState(value as GqlRollup | null)).toBe(want);
  });

  it("refState leaves the Conveyor check out, with a query GitHub's schema accepts", async () => {
    let body: unknown;
    nock(API)
      .post("/graphql", (b) => {
        body = b;
        return true;
      })
      .reply(200, {
        data: {
          repository: {
            object: {
              statusCheckRollup: rollup("PENDING", [
                run("build", "COMPLETED", "SUCCESS"),
                run("Conveyor", "IN_PROGRESS"),
              ]),
            },
          },
        },
      });
    expect(await port().refState("c1")).toBe("success");
    expect(checkGraphQL(body)).toEqual([]);
  });

  it("the default branch's recent checks leave it out too, with a valid query", async () => {
    let body: unknown;
    nock(API)
      .post("/graphql", (b) => {
        body = b;
        return true;
      })
      .reply(200, {
        data: {
          repository: {
            deleteBranchOnMerge: false,
            defaultBranchRef: {
              name: "main",
              target: {
                oid: "c1",
                file: null,
                history: {
                  nodes: [
                    {
                      oid: "c1",
                      message: "Merge PR",
                      statusCheckRollup: rollup("FAILURE", [
                        run("build", "COMPLETED", "SUCCESS"),
                        run("Conveyor config", "COMPLETED", "FAILURE"),
                      ]),
                    },
                  ],
                },
              },
            },
          },
        },
      });
    const read = await port().readDefaultBranch(".github/conveyor.yml", 5);
    expect(read.history).toEqual([{ sha: "c1", state: "success", message: "Merge PR" }]);
    expect(checkGraphQL(body)).toEqual([]);
  });
});
