/**
 * Read, then interpret (issue 16): the board from plain GitHub facts, no client involved.
 * Each rule is a table of fixtures; one test checks that `fetchFacts` sends the reads of a
 * round together.
 */
import { describe, expect, it } from "vitest";
import type { AgentResult } from "../../src/core/board.js";
import { type Config, defaultConfig } from "../../src/core/config.js";
import { encodeMarker, resultHeader } from "../../src/core/markers.js";
import { stageLabels } from "../../src/core/stage-labels.js";
import { fetchFacts } from "../../src/github/fetch-facts.js";
import { ESCALATION_HEADER } from "../../src/github/format-escalation.js";
import { STATUS_HEADER } from "../../src/github/format-status-comment.js";
import {
  approvedByMaintainer,
  commentView,
  type GitHubFacts,
  headedToMerge,
  interpretFacts,
  pullsOfTasks,
  resultsOfRuns,
  trackedView,
} from "../../src/github/interpret-facts.js";
import type { GhComment, GhIssue, GhPull, GhRun } from "../../src/github/port.js";
import { FakeGitHub } from "../support/fake-github/index.js";

const BOT = "conveyor[bot]";
const AGENT = "github-actions[bot]";
const config: Config = defaultConfig();
const stageOf = stageLabels(config);
const T0 = "2026-11-25T09:00:00.000Z";
const T1 = "2026-11-25T09:30:00.000Z";

const issue = (number: number, labels: string[], more: Partial<GhIssue> = {}): GhIssue => ({
  number,
  title: `Task ${number}`,
  body: "",
  labels,
  state: "open",
  author: "maintainer",
  createdAt: T0,
  updatedAt: T0,
  isPullRequest: false,
  ...more,
});

const pull = (number: number, headRef: string, more: Partial<GhPull> = {}): GhPull => ({
  number,
  title: `PR ${number}`,
  headSha: `${number}`.padStart(40, "a"),
  headRef,
  baseRef: "main",
  state: "open",
  merged: false,
  mergeable: true,
  labels: [],
  ...more,
});

let nextId = 1;
const comment = (issue: number, body: string, author = BOT, createdAt = T1): GhComment => ({
  id: nextId++,
  issue,
  body,
  author,
  createdAt,
  updatedAt: createdAt,
});

const status = (issue: number, memory: object) =>
  comment(issue, `${STATUS_HEADER}\n\n${encodeMarker("state", memory)}`);

const result = (
  on: number,
  value: { correlationId: string; role: "task" | "reviewer" | "tester" } & Record<string, unknown>,
  author = AGENT,
  createdAt = T1,
) =>
  comment(
    on,
    `${resultHeader(value.role)} ok\n\n${encodeMarker("result", { outcome: "ok", summary: "s", ...value })}`,
    author,
    createdAt,
  );

const run = (correlationId: string, createdAt = T0, more: Partial<GhRun> = {}): GhRun => ({
  id: nextId++,
  title: `conveyor ${correlationId}`,
  status: "completed",
  conclusion: "success",
  createdAt,
  url: "https://github.com/o/r/actions/runs/1",
  ...more,
});

const facts = (more: Partial<GitHubFacts> = {}): GitHubFacts => ({
  owner: "o",
  repo: "r",
  botLogin: BOT,
  baseBranch: "main",
  defaultBranch: "main",
  tracked: { issues: [], boards: [] },
  comments: [],
  openPulls: [],
  namedPulls: new Map(),
  runs: [],
  merging: new Map(),
  resultAuthors: [],
  configErrors: [],
  ...more,
});

const said = (comments: GhComment[]) => commentView(comments, BOT, new Set([AGENT]));

describe("which issues are tasks", () => {
  it.each([
    ["an open issue with a stage label", issue(1, ["conveyor:todo"]), ["1"]],
    ["an open issue without one", issue(1, ["bug"]), []],
    ["a PR carrying a stage label", issue(1, ["conveyor:review"], { isPullRequest: true }), []],
    ["escalated is not a stage", issue(1, ["conveyor:escalated"]), []],
  ])("%s", (_, i, ids) => {
    const view = trackedView({ issues: [i], boards: [] }, stageOf, BOT);
    expect(view.tasks.map((t) => String(t.number))).toEqual(ids);
  });

  it("closed issues of work under way are tasks too, and listed as closed", () => {
    const closed = issue(2, ["conveyor:review"], { state: "closed" });
    const view = trackedView(
      { issues: [issue(1, ["conveyor:todo"])], boards: [], closed: [closed] },
      stageOf,
      BOT,
    );
    expect(view.tasks.map((t) => t.number)).toEqual([1, 2]);
    expect(view.closedUnderWay.map((t) => t.number)).toEqual([2]);
  });

  it.each([
    ["the bot's issue with the board title", { author: BOT }, 9],
    ["someone else's look-alike", { author: "mallory" }, undefined],
    ["the bot's issue with another title", { author: BOT, title: "Other" }, undefined],
  ])("dashboard: %s", (_, more, expected) => {
    const board = issue(9, ["conveyor:board"], { title: "Conveyor board", ...more });
    expect(trackedView({ issues: [], boards: [board] }, stageOf, BOT).dashboard?.number).toBe(
      expected,
    );
  });
});

describe("what the comments say", () => {
  it.each([
    ["the bot's status comment", [status(1, { runs: 2 })], 2],
    ["the first of two", [status(1, { runs: 2 }), status(1, { runs: 5 })], 2],
    [
      "someone else's status comment",
      [{ ...status(1, { runs: 2 }), author: "mallory" }],
      undefined,
    ],
    [
      "a state marker in a result comment",
      [comment(1, `${resultHeader("task")} ok\n\n${encodeMarker("state", { runs: 7 })}`)],
      undefined,
    ],
    [
      "a malformed marker",
      [comment(1, `${STATUS_HEADER}\n\n<!-- conveyor:state {x -->`)],
      undefined,
    ],
  ])("memory: %s", (_, comments, runs) => {
    expect(said(comments).memories.get("1")?.runs).toBe(runs);
  });

  it("escalation notices: the bot's, per issue, with when they were posted", () => {
    const view = said([
      comment(1, `${ESCALATION_HEADER}\n\nchoose`, BOT, T0),
      comment(1, `${ESCALATION_HEADER}\n\nchoose`, "mallory", T0),
      comment(1, `${ESCALATION_HEADER}\n\nchoose`, BOT, T1),
    ]);
    expect(view.escalationNotices.get("1")).toEqual([T0, T1]);
  });

  it.each([
    ["by the agent's identity", AGENT, "task", 1],
    ["by someone else", "mallory", "task", 0],
    ["with an unknown role", AGENT, "hacker", 0],
  ])("results: %s", (_, author, role, count) => {
    const c = result(1, { correlationId: "1/task/0/1", role: role as "task" }, author);
    expect(said([c]).results).toHaveLength(count);
  });
});

describe("the PR of each task", () => {
  const inReview = issue(1, ["conveyor:review"]);
  it.each([
    ["an open PR on the task's branch", [pull(5, "conveyor/1-a")], 5],
    ["not another task's branch", [pull(5, "conveyor/12-a")], undefined],
    [
      "never a fork's, whatever its branch",
      [pull(5, "conveyor/1-a", { fromFork: true })],
      undefined,
    ],
    [
      "open before merged, merged before closed",
      [pull(5, "conveyor/1-a", { state: "closed" }), pull(6, "conveyor/1-b")],
      6,
    ],
  ])("listed: %s", (_, open, expected) => {
    const view = trackedView({ issues: [inReview], boards: [] }, stageOf, BOT);
    expect(pullsOfTasks(view, said([]), open, new Map()).get("1")?.number).toBe(expected);
  });

  it("the PR a task agent's result names wins, even read by number", () => {
    const view = trackedView({ issues: [inReview], boards: [] }, stageOf, BOT);
    const named = said([result(1, { correlationId: "1/task/0/1", role: "task", pr: 7 })]);
    const merged = pull(7, "my-branch", { state: "closed", merged: true });
    const pulls = pullsOfTasks(view, named, [pull(5, "conveyor/1-a")], new Map([[7, merged]]));
    expect(pulls.get("1")?.number).toBe(7);
  });
});

describe("results count only after their run was created, on the task's own issue or PR", () => {
  const taskIds = new Set(["1", "2"]);
  const pulls = new Map([["1", pull(5, "conveyor/1-a")]]);
  const created = new Map([["1/task/0/1", T0]]);
  it.each([
    ["on its issue after its run", result(1, { correlationId: "1/task/0/1", role: "task" }), true],
    ["on its PR", result(5, { correlationId: "1/task/0/1", role: "task" }), true],
    ["on another task's issue", result(2, { correlationId: "1/task/0/1", role: "task" }), false],
    [
      "before its run was created",
      result(1, { correlationId: "1/task/0/1", role: "task" }, AGENT, "2026-11-25T08:00:00.000Z"),
      false,
    ],
    [
      "of a run that does not exist",
      result(1, { correlationId: "1/task/0/9", role: "task" }),
      false,
    ],
  ])("%s", (_, c, counted) => {
    const results = resultsOfRuns(said([c]), taskIds, pulls, created);
    expect(Object.keys(results).length > 0).toBe(counted);
  });
});

describe("the PRs on their way to the merge (a fact, not a guess at the plan)", () => {
  const head = pull(5, "conveyor/1-a").headSha;
  const cid = "1/tester/0/3";
  const testerRun = { role: "tester", attempt: 0, correlationId: cid, dispatchedAt: T0 };
  const passing = { correlationId: cid, role: "tester", outcome: "ok", summary: "s", passed: true };
  const cases: [
    string,
    string[],
    object,
    Record<string, unknown> | undefined,
    string | undefined,
  ][] = [
    [
      "queued: the base of its passing verdict",
      ["merge-queue"],
      { verdicts: { test: { value: "pass", baseSha: "b1" } } },
      undefined,
      "b1",
    ],
    ["queued without a verdict: base unknown", ["merge-queue"], {}, undefined, ""],
    [
      "testing, its tester passed this head",
      ["conveyor:testing"],
      { run: testerRun },
      { ...passing, headSha: head, baseSha: "b2" },
      "b2",
    ],
    [
      "testing, its tester failed",
      ["conveyor:testing"],
      { run: testerRun },
      { ...passing, passed: false },
      undefined,
    ],
    [
      "testing, passed another head",
      ["conveyor:testing"],
      { run: testerRun },
      { ...passing, headSha: "f".repeat(40) },
      undefined,
    ],
    ["testing, no result yet", ["conveyor:testing"], { run: testerRun }, undefined, undefined],
    ["in review", ["conveyor:review"], {}, undefined, undefined],
  ];
  it.each(cases)("%s", (_, labels, memory, res, expected) => {
    const view = trackedView({ issues: [issue(1, labels)], boards: [] }, stageOf, BOT);
    const text = said([status(1, memory)]);
    const results: Record<string, AgentResult> = res ? { [cid]: res as never } : {};
    const out = headedToMerge(
      view,
      text,
      new Map([["1", pull(5, "conveyor/1-a")]]),
      results,
      config,
    );
    expect(out.get(5)).toBe(expected);
  });

  it("a closed PR is not on its way to the merge", () => {
    const view = trackedView({ issues: [issue(1, ["merge-queue"])], boards: [] }, stageOf, BOT);
    const closed = pull(5, "conveyor/1-a", { state: "closed" });
    expect(headedToMerge(view, said([]), new Map([["1", closed]]), {}, config).size).toBe(0);
  });
});

describe("a maintainer's approval of the head", () => {
  const head = "h".repeat(40);
  it.each([
    [
      "an admin approved this head",
      [{ author: "ann", state: "APPROVED", commitId: head }],
      { ann: "admin" },
      true,
    ],
    [
      "a reader approved it",
      [{ author: "rob", state: "APPROVED", commitId: head }],
      { rob: "read" },
      false,
    ],
    [
      "an admin approved an older head",
      [{ author: "ann", state: "APPROVED", commitId: "old" }],
      { ann: "admin" },
      false,
    ],
    [
      "then requested changes",
      [
        { author: "ann", state: "APPROVED", commitId: head },
        { author: "ann", state: "CHANGES_REQUESTED", commitId: head },
      ],
      { ann: "admin" },
      false,
    ],
    [
      "a later comment does not take it back",
      [
        { author: "ann", state: "APPROVED", commitId: head },
        { author: "ann", state: "COMMENTED", commitId: head },
      ],
      { ann: "admin" },
      true,
    ],
    [
      "a bot approved it",
      [{ author: "helper[bot]", state: "APPROVED", commitId: head }],
      {},
      false,
    ],
  ] as const)("%s: %s", (_, reviews, permissions, approved) => {
    expect(
      approvedByMaintainer(
        { reviews: [...reviews], permissions: { ...permissions } },
        head,
        config,
      ),
    ).toBe(approved);
  });
});

describe("the board from the facts", () => {
  it("a queued task's PR takes the fresh read: mergeable, head, files, drift, approval", () => {
    const listed = pull(5, "conveyor/1-a", { mergeable: null });
    const fresh = { ...listed, mergeable: true, headSha: "b".repeat(40) };
    const { board, github } = interpretFacts(
      facts({
        tracked: { issues: [issue(1, ["merge-queue"], { linkedPulls: [listed] })], boards: [] },
        merging: new Map([
          [
            5,
            {
              pull: fresh,
              files: [".github/workflows/ci.yml"],
              reviews: [{ author: "ann", state: "APPROVED", commitId: fresh.headSha }],
              permissions: { ann: "maintain" },
              baseDrift: ["docs/x.md"],
            },
          ],
        ]),
      }),
      config,
    );
    expect(board.tasks[0]!.pr).toEqual({
      number: 5,
      headSha: fresh.headSha,
      branch: "conveyor/1-a",
      changedFiles: [".github/workflows/ci.yml"],
      merged: false,
      mergeable: true,
      touchesProtectedPaths: true,
      maintainerApproved: true,
      baseDrift: ["docs/x.md"],
    });
    expect(github.pullLabels.get(5)).toEqual([]);
  });

  it("a PR queued by hand puts its task in the merge queue and says so", () => {
    const queued = pull(5, "conveyor/1-a", { labels: ["merge-queue"] });
    const { board, github } = interpretFacts(
      facts({
        tracked: { issues: [issue(1, ["conveyor:review"], { linkedPulls: [queued] })], boards: [] },
      }),
      config,
    );
    expect(board.tasks[0]!.stage).toBe("merge-queue");
    expect(github.queuedByHand.get("1")).toEqual({ pr: 5, stage: "review" });
  });

  it.each([
    ["closed by a person", [], true],
    [
      "closed by its merged PR",
      [pull(5, "conveyor/1-a", { state: "closed", merged: true })],
      false,
    ],
  ])("an issue of work under way %s", (_, linkedPulls, byPerson) => {
    const closed = issue(1, ["conveyor:review"], { state: "closed", linkedPulls });
    const { github } = interpretFacts(
      facts({ tracked: { issues: [], boards: [], closed: [closed] } }),
      config,
    );
    expect(github.closed.has("1")).toBe(true);
    expect(github.closedByPerson.has("1")).toBe(byPerson);
  });

  it("who scheduled the task and who added each stage label, from the timeline", () => {
    const labeled = [
      { label: "conveyor:todo", at: T0, by: "ann" },
      { label: "conveyor:review", at: T1, by: "mallory" },
    ];
    const { board, github } = interpretFacts(
      facts({ tracked: { issues: [issue(1, ["conveyor:review"], { labeled })], boards: [] } }),
      config,
    );
    expect(github.scheduledBy.get("1")).toBe("ann");
    expect(github.stageLabeledBy.get("1")).toEqual([
      { label: "conveyor:review", by: "mallory", at: "2026-11-25T09:30:00.000Z" },
    ]);
    expect(board.tasks[0]!.createdAt).toBe(T0);
  });

  it("runs by correlation id, the newest one first seen; results matched to them", () => {
    const cid = "1/task/0/1";
    const { board } = interpretFacts(
      facts({
        tracked: { issues: [issue(1, ["conveyor:in-progress"])], boards: [] },
        comments: [result(1, { correlationId: cid, role: "task" })],
        runs: [run(cid, T0), run(cid, "2026-11-25T08:00:00.000Z", { status: "in_progress" })],
        resultAuthors: [AGENT],
      }),
      config,
    );
    expect(board.runs[cid]).toMatchObject({ status: "completed", conclusion: "success" });
    expect(Object.keys(board.results)).toEqual([cid]);
  });

  it("config errors and the dashboard's memory come along", () => {
    const dashboard = issue(9, ["conveyor:board"], {
      title: "Conveyor board",
      author: BOT,
      body: encodeMarker("board", { memory: { paused: true, dispatches: [] }, mirror: "abc" }),
    });
    const { board, github } = interpretFacts(
      facts({ tracked: { issues: [], boards: [dashboard] }, configErrors: ["labels: bad"] }),
      config,
    );
    expect(board.repoMemory.paused).toBe(true);
    expect(board.configErrors).toEqual(["labels: bad"]);
    expect(github.mirrorDigest).toBe("abc");
    expect(github.dashboard).toEqual({ number: 9, body: dashboard.body });
  });
});

describe("fetchFacts reads in rounds", () => {
  it("the open PRs and the agent runs are asked for together, not one after the other", async () => {
    const now = new Date("2026-11-25T10:00:00.000Z");
    const gh = new FakeGitHub({ botLogin: BOT, now: () => now });
    gh.addIssue({ title: "A", labels: ["conveyor:in-progress"] });
    const events: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Each read waits until the other one started (at most 2 s: a sequential fetch then
    // shows one read answered before the other started).
    const held =
      <T>(name: string, read: () => Promise<T>) =>
      async () => {
        events.push(`start ${name}`);
        if (events.length === 2) release();
        await Promise.race([gate, new Promise((r) => setTimeout(r, 2000))]);
        events.push(`answer ${name}`);
        return read();
      };
    const port = Object.create(gh) as FakeGitHub;
    port.listOpenPulls = held("pulls", () => gh.listOpenPulls());
    const runs = gh.listWorkflowRuns.bind(gh);
    port.listWorkflowRuns = (w, since) => held("runs", () => runs(w, since))();
    // Another base branch: the links cannot serve, so the open PRs are listed.
    const config = { ...defaultConfig(), baseBranch: "develop" };
    await fetchFacts(port, config, now, { botLogin: BOT, defaultBranch: "main" });
    expect(events.slice(0, 2).sort()).toEqual(["start pulls", "start runs"]);
    expect(events).toHaveLength(4);
  });
});
