/**
 * The orchestrator Action honours the dashboard's boxes as the app does: an `issues.edited`
 * run whose edit ticked `- [ ] resume` resumes dispatching (same permission check as a
 * comment command), and the pass then rewrites the dashboard without the ticked box.
 */
import { Octokit } from "@octokit/rest";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { encodeMarker, readMarker, upsertMarker } from "../../src/core/markers.js";
import { STATUS_HEADER } from "../../src/github/format-status-comment.js";
import { type DashboardEdit, runOrchestrate } from "../../src/github/orchestrate.js";
import { examplePayload, orchestrateOptionsFor } from "../support/action-event.js";
import { FakeGitHub } from "../support/fake-github/index.js";

const BOT = "github-actions[bot]";

function editedPayload(before: string, after: string, login: string, issue: number) {
  const p = examplePayload("issues", "edited");
  p.issue!.number = issue;
  p.issue!.body = after;
  p.changes = { body: { from: before } };
  p.sender = { ...p.sender, login, type: "User" };
  return p;
}

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

const octokit = () => new Octokit({ auth: "t", request: { retries: 0 } });

function pausedRepo() {
  const gh = new FakeGitHub({ botLogin: BOT });
  gh.addIssue({ title: "Add a thing", labels: ["conveyor:todo", "priority:low"] });
  const dashboard = gh.addIssue({
    title: "Conveyor board",
    labels: ["conveyor:board"],
    author: BOT,
    body: upsertMarker("board", "# Conveyor board", {
      memory: { paused: true, pausedReason: "freeze", dispatches: [] },
    }),
  });
  return { gh, dashboard };
}

async function pass(gh: FakeGitHub, dashboardEdit?: DashboardEdit) {
  return runOrchestrate({
    octokit: octokit(),
    port: gh,
    owner: "o",
    repo: "r",
    configPath: "",
    dryRun: false,
    log: () => {},
    now: gh.now,
    ...(dashboardEdit ? { dashboardEdit } : {}),
  });
}

describe("the orchestrator Action and the dashboard's boxes", () => {
  it("an issues.edited run hands the ticked boxes to the pass", async () => {
    const before = "- [ ] resume — paused";
    const seen = await orchestrateOptionsFor(
      "issues",
      editedPayload(before, "- [x] resume — paused", "boss", 9),
      "o/r",
    );
    expect(seen.map((o) => o.dashboardEdit)).toEqual([
      { issue: 9, before, after: "- [x] resume — paused", actor: { login: "boss", type: "User" } },
    ]);
  });

  it("a maintainer ticking resume resumes dispatching; the box is gone after the pass", async () => {
    const { gh, dashboard } = pausedRepo();
    await pass(gh);
    const before = gh.issue(dashboard).body;
    expect(before).toContain("- [ ] resume");
    const after = before.replace("- [ ] resume", "- [x] resume");
    gh.issue(dashboard).body = after;
    gh.permissions.set("boss", "admin");
    const out = await pass(gh, {
      issue: dashboard,
      before,
      after,
      actor: { login: "boss", type: "User" },
    });
    expect(out.summary).toContain("Dashboard boxes: accepted");
    const body = gh.issue(dashboard).body;
    expect((readMarker("board", body) as { memory: { paused: boolean } }).memory.paused).toBe(
      false,
    );
    expect(body).not.toMatch(/- \[[xX ]\] resume/);
    expect(gh.runs.length).toBeGreaterThan(0);
  });

  it("a reader ticking resume changes nothing and is told why on the dashboard", async () => {
    const { gh, dashboard } = pausedRepo();
    await pass(gh);
    const before = gh.issue(dashboard).body;
    const after = before.replace("- [ ] resume", "- [x] resume");
    gh.permissions.set("mallory", "read");
    await pass(gh, { issue: dashboard, before, after, actor: { login: "mallory", type: "User" } });
    const replies = gh
      .commentsOn(dashboard)
      .filter((c) => c.author === BOT)
      .map((c) => c.body);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatch(/^@mallory I did not run `resume`/);
    const body = gh.issue(dashboard).body;
    expect((readMarker("board", body) as { memory: { paused: boolean } }).memory.paused).toBe(true);
    expect(gh.runs).toHaveLength(0);
  });

  it("a maintainer ticking retry on an escalated task clears its escalation, as /conveyor retry does", async () => {
    const gh = new FakeGitHub({ botLogin: BOT });
    const task = gh.addIssue({
      title: "Fix login",
      labels: ["conveyor:review", "conveyor:escalated", "priority:high"],
    });
    const escalation = {
      reason: "the reviewer failed twice",
      at: gh.now().toISOString(),
      stage: "review",
    };
    gh.addComment(
      task,
      `${STATUS_HEADER}\n\n${encodeMarker("state", { runs: 2, attempts: { reviewer: 2 }, escalation })}`,
      BOT,
    );
    await pass(gh);
    const dashboard = [...gh.issues.values()].find((i) => i.title === "Conveyor board")!;
    const before = dashboard.body;
    expect(before).toContain(`- [ ] retry #${task}`);
    const after = before.replace(`- [ ] retry #${task}`, `- [x] retry #${task}`);
    gh.issue(dashboard.number).body = after;
    gh.permissions.set("boss", "write");
    await pass(gh, {
      issue: dashboard.number,
      before,
      after,
      actor: { login: "boss", type: "User" },
    });
    expect(gh.issue(task).labels).not.toContain("conveyor:escalated");
    expect(gh.issue(dashboard.number).body).not.toContain(`retry #${task}`);
  });
});
