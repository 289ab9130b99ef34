/**
 * The whole app path with the real backend: Probot delivery → handler → queue → lease →
 * label check → `reconcileRepo` (real loader, planner, executor) over the in-memory fake
 * GitHub. Every request of a pass (lease, config, permission, label check) goes through the
 * pass's port, here the fake; nock answers only the installation token.
 */
import nock from "nock";
import type { Probot } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ConveyorApp } from "../../src/app/conveyor-app.js";
import { FakeGitHub } from "../support/fake-github/index.js";
import {
  BOT,
  example,
  github,
  loadOverPort,
  newProbot,
  nockToken,
  openApiProblems,
  type RecordedRequest,
} from "./probot-harness.js";

let probot: Probot;
let conveyor: ConveyorApp;
let recorded: RecordedRequest[];
let gh: FakeGitHub;
let n = 0;

beforeEach(async () => {
  nock.disableNetConnect();
  probot = newProbot();
  recorded = [];
  gh = new FakeGitHub({ owner: "Codertocat", repo: "Hello-World", botLogin: BOT });
  conveyor = await loadOverPort(probot, gh, { now: gh.now });
});
afterEach(() => {
  expect(openApiProblems(recorded)).toEqual([]);
  conveyor.stop();
  nock.cleanAll();
  nock.enableNetConnect();
});

function labeled(issue: number, label: string, login: string, type = "User") {
  const payload = example("issues", "labeled");
  (payload.issue as { number: number }).number = issue;
  (payload.label as { name: string }).name = label;
  payload.sender = { ...payload.sender, login, type };
  return payload;
}

const receive = async (payload: unknown) => {
  await probot.receive({ id: `fake-${++n}`, name: "issues", payload } as never);
  await conveyor.idle();
};

describe("the app over the real reconcile", () => {
  it("a maintainer's conveyor:todo label leads to one dispatch; the app's own echoes start nothing", async () => {
    const issue = gh.addIssue({ title: "Add a thing", labels: ["conveyor:todo", "priority:high"] });
    nockToken(github(recorded));
    gh.permissions.set("Codertocat", "admin");

    await receive(labeled(issue, "conveyor:todo", "Codertocat"));
    expect(gh.issues.get(issue)?.labels).toContain("conveyor:in-progress");
    expect(gh.runs).toHaveLength(1);

    // The app's own label move comes back as a webhook: filtered by sender, no pass.
    await receive(labeled(issue, "conveyor:in-progress", BOT, "Bot"));
    expect(conveyor.queue.stats.passes).toBe(1);

    // A burst of unrelated deliveries: passes re-plan from GitHub, nothing is dispatched twice.
    for (let i = 0; i < 6; i++) {
      const p = example("issues", "edited");
      (p.issue as { number: number }).number = issue;
      await probot.receive({ id: `fake-${++n}`, name: "issues", payload: p } as never);
    }
    await conveyor.idle();
    expect(conveyor.queue.stats.passes).toBeLessThanOrEqual(3);
    expect(gh.runs).toHaveLength(1);
    nock.cleanAll();
  });

  it("a label from a reader is removed before the reconcile can see it: nothing is dispatched", async () => {
    const issue = gh.addIssue({ title: "Sneaky", labels: ["conveyor:todo"] });
    gh.labelAs("mallory", issue, ["conveyor:todo"]);
    gh.permissions.set("mallory", "read");
    nockToken(github(recorded));
    await receive(labeled(issue, "conveyor:todo", "mallory"));
    expect(gh.runs).toHaveLength(0);
    expect(gh.issues.get(issue)?.labels).not.toContain("conveyor:todo");
    expect(gh.issues.get(issue)?.labels).not.toContain("conveyor:in-progress");
    // Removed by the label check, through the port, and read once in the pass.
    expect(gh.writeCalls()).toContain("Codertocat/Hello-World#1:-conveyor:todo");
    expect(gh.calls.filter((c) => c === "GET permission mallory")).toHaveLength(1);
  });
});
