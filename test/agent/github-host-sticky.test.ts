/**
 * Quiet mode on the agent side (issue 12): the first run of a task creates its one result
 * comment, every later run edits it (edits notify nobody), and only a comment a publishing
 * identity wrote is ever edited.
 */
import { Octokit } from "@octokit/rest";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GitHubHost } from "../../src/agent/github-host.js";
import type { AgentResult } from "../../src/core/board.js";
import { readMarker } from "../../src/core/markers.js";
import { STICKY_RESULTS_HEADER, stickyEntries } from "../../src/core/sticky-results.js";

const API = "https://api.github.com";
const R = "/repos/acme/widgets";
const NOW = new Date("2026-11-25T10:00:00.000Z");
const host = (runId: string) =>
  new GitHubHost({
    octokit: new Octokit({ auth: "t", request: { retries: 0 } }),
    owner: "acme",
    repo: "widgets",
    comments: "sticky",
    runId,
    now: () => NOW,
  });

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});
afterAll(() => nock.enableNetConnect());

const task: AgentResult = {
  correlationId: "7/task/0/1",
  role: "task",
  outcome: "ok",
  summary: "did it",
};
const review: AgentResult = {
  correlationId: "7/reviewer/0/2",
  role: "reviewer",
  outcome: "ok",
  verdict: "approve",
  summary: "fine",
};

const entriesOf = (body: string) =>
  stickyEntries(readMarker("results", body))?.map((e) => [e.result.correlationId, e.runId]);

describe("GitHubHost in quiet mode", () => {
  it("the first run creates the task's result comment; the next run edits it", async () => {
    let created = "";
    nock(API)
      .get(`${R}/issues/7/comments`)
      .query(true)
      .reply(200, [{ id: 3, body: "### Conveyor status\n\n…", user: { login: "conveyor[bot]" } }])
      .post(`${R}/issues/7/comments`, (b: { body: string }) => {
        created = b.body;
        return true;
      })
      .reply(201, { id: 9 });
    await host("501").publishResult({ task: "7", result: task, body: "unused in quiet mode" });
    expect(created.startsWith(`${STICKY_RESULTS_HEADER}\n`)).toBe(true);
    expect(entriesOf(created)).toEqual([["7/task/0/1", "501"]]);
    expect(stickyEntries(readMarker("results", created))![0]!.publishedAt).toBe(NOW.toISOString());

    let edited = "";
    nock(API)
      .get(`${R}/issues/7/comments`)
      .query(true)
      .reply(200, [{ id: 9, body: created, user: { login: "github-actions[bot]" } }])
      .patch(`${R}/issues/comments/9`, (b: { body: string }) => {
        edited = b.body;
        return true;
      })
      .reply(200, { id: 9 });
    await host("502").publishResult({ task: "7", result: review, body: "unused" });
    expect(entriesOf(edited)).toEqual([
      ["7/reviewer/0/2", "502"],
      ["7/task/0/1", "501"],
    ]);
  });

  it("never edits someone else's look-alike: it creates its own comment", async () => {
    const planted = `${STICKY_RESULTS_HEADER}\n\n<!-- conveyor:results {"results":[]} -->`;
    nock(API)
      .get(`${R}/issues/7/comments`)
      .query(true)
      .reply(200, [{ id: 5, body: planted, user: { login: "mallory" } }])
      .post(`${R}/issues/7/comments`)
      .reply(201, { id: 10 });
    await host("501").publishResult({ task: "7", result: task, body: "unused" });
  });
});
