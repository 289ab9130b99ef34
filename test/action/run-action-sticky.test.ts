/**
 * Quiet mode through the agent Action (issue 12): with `comments: sticky` in the config, a
 * task run writes its result into the task's one result comment, named by the Actions run
 * (GITHUB_RUN_ID) that publishes it, instead of a result comment of its own.
 */
import nock from "nock";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { runAction } from "../../src/action/run-action.js";
import { readMarker } from "../../src/core/markers.js";
import { STICKY_RESULTS_HEADER, stickyEntries } from "../../src/core/sticky-results.js";
import {
  type FakeMessagesServer,
  startFakeMessagesServer,
} from "../../src/replay/fake-messages-server.js";
import { script } from "../../src/replay/script.js";
import { type Fixture, makeFixture } from "../agent/support/git-fixture.js";

const API = "https://api.github.com";
const R = "/repos/acme/widgets";

let fx: Fixture | undefined;
let server: FakeMessagesServer | undefined;

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  fx?.cleanup();
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});
afterAll(() => nock.enableNetConnect());

it("mode task with comments: sticky edits the task's result comment instead of posting one", async () => {
  fx = makeFixture({
    "src/math.js": "export const add = (a, b) => a - b;\n",
    ".github/conveyor.yml": "comments: sticky\n",
  });
  server = await startFakeMessagesServer({
    apiKey: "sk-test",
    scripts: {
      "7/task/1/4": script()
        .edit("src/math.js", "a - b", "a + b")
        .finish({ summary: "add adds", found: "minus", fixed: "plus" })
        .turns(),
    },
  });
  const earlier = `${STICKY_RESULTS_HEADER}\n\n- earlier\n\n<!-- conveyor:results ${JSON.stringify({
    results: [
      {
        result: { correlationId: "7/task/0/1", role: "task", outcome: "failed", summary: "no" },
        runId: "50",
        publishedAt: "2026-11-25T09:00:00.000Z",
      },
    ],
  })} -->`;
  let edited = "";
  nock(API)
    .get(`${R}/issues/7`)
    .reply(200, {
      number: 7,
      title: "Fix add",
      body: "It subtracts.\n\n## Location\n- `src/math.js`\n",
    })
    .get(`${R}/issues/7/comments`)
    .query(true)
    .reply(200, [])
    .get(R)
    .reply(200, { default_branch: "main" })
    .get(`${R}/pulls`)
    .query(true)
    .reply(200, [])
    .post(`${R}/pulls`)
    .reply(201, { number: 12, html_url: "https://github.com/acme/widgets/pull/12" })
    .get(`${R}/issues/7/comments`)
    .query(true)
    .reply(200, [{ id: 5, body: earlier, user: { login: "github-actions[bot]" } }])
    .patch(`${R}/issues/comments/5`, (b: { body: string }) => {
      edited = b.body;
      return true;
    })
    .reply(200, { id: 5 });
  const r = await runAction({
    getInput: (name: string) =>
      (
        ({
          "github-token": "ghs_x",
          "anthropic-api-key": "sk-test",
          mode: "task",
          issue: "7",
          attempt: "1",
          "correlation-id": "7/task/1/4",
        }) as Record<string, string>
      )[name] ?? "",
    env: {
      GITHUB_REPOSITORY: "acme/widgets",
      GITHUB_WORKSPACE: fx.work,
      GITHUB_RUN_ID: "99",
      ANTHROPIC_BASE_URL: server.url,
    },
    cwd: fx.work,
    log: () => {},
  });
  expect(r.failure).toBeUndefined();
  const entries = stickyEntries(readMarker("results", edited))!;
  expect(entries.map((e) => [e.result.correlationId, e.result.outcome, e.runId])).toEqual([
    ["7/task/1/4", "ok", "99"],
    ["7/task/0/1", "failed", "50"],
  ]);
});
