import type nock from "nock";
import { describe, expect, it } from "vitest";
import type { CommandService } from "../../src/app/pass-context.js";
import {
  BOT,
  example,
  github,
  loadConveyor,
  nockConfig,
  nockLease,
  nockNoConfig,
  nockToken,
  useProbotTest,
} from "./probot-harness.js";

// Ticking a box on the dashboard (`- [ ] retry #9`) is the same as commenting the command it
// names: the app runs it for an editor with the configured permission, and only for the boxes
// that edit ticked, only on Conveyor's own dashboard issue.

const REPO = "Codertocat/Hello-World";
const DASHBOARD = 50;

/** Probot, the recorded requests and the app of the current test. */
const t = useProbotTest();
let n = 0;

const BEFORE = [
  "# Conveyor board",
  "",
  "- [ ] resume — **dispatching is paused**",
  "- [ ] retry #9 — Fix login: escalated in testing: the tests failed twice",
  "- [x] retry #12 — Old: ticked earlier, not yet unticked",
].join("\n");

function edited(after: string, login = "Codertocat", before = BEFORE) {
  const payload = example("issues", "edited");
  const issue = payload.issue as { number: number; body: string; title: string };
  issue.number = DASHBOARD;
  issue.body = after;
  issue.title = "Conveyor board";
  payload.changes = { body: { from: before } };
  payload.sender = { ...payload.sender, login, type: "User" };
  return payload;
}

async function send(payload: unknown) {
  await t.probot.receive({ id: `box-${++n}`, name: "issues", payload } as never);
  await t.conveyor.idle();
}

function fakeCommands(applied: string[]): CommandService<string> {
  return {
    parse: (body) => {
      const m = /^\/conveyor\s*(\S*)/m.exec(body);
      if (!m) return undefined;
      return { ok: true, command: m[1]!, text: `/conveyor ${m[1]}` };
    },
    apply: async (_ctx, { issue, command, actor }) => {
      applied.push(`#${issue} ${command} by ${actor}`);
      return { accepted: true };
    },
  };
}

async function load(commands: CommandService<unknown>, reconciles: string[] = []) {
  t.conveyor = await loadConveyor(t.probot, {
    commands,
    reconcile: async (input) => {
      reconciles.push(input.repo);
    },
  });
}

function nockPass(dashboard = { title: "Conveyor board", login: BOT }) {
  const scope = github(t.recorded);
  nockToken(scope);
  nockLease(scope, REPO);
  scope.get(`/repos/${REPO}/issues/${DASHBOARD}`).reply(200, {
    number: DASHBOARD,
    title: dashboard.title,
    body: "",
    user: { login: dashboard.login, type: "Bot" },
  });
  return scope;
}

function withPermission(scope: nock.Scope, permission: string, login = "Codertocat") {
  return scope
    .get(`/repos/${REPO}/collaborators/${login}/permission`)
    .reply(200, { permission, role_name: permission });
}

const comments = () =>
  t.recorded
    .filter((r) => r.method === "POST" && r.path.endsWith("/comments"))
    .map((r) => ({ path: r.path, body: (r.body as { body: string }).body }));

describe("dashboard boxes (issues.edited on the dashboard)", () => {
  it("a box ticked by a maintainer runs the command it names on its task, then the pass runs", async () => {
    const applied: string[] = [];
    const reconciles: string[] = [];
    const scope = nockPass();
    nockNoConfig(scope, REPO);
    withPermission(scope, "write");
    await load(fakeCommands(applied), reconciles);
    await send(edited(BEFORE.replace("- [ ] retry #9", "- [x] retry #9")));
    expect(applied).toEqual(["#9 retry by Codertocat"]);
    expect(reconciles).toEqual(["Hello-World"]);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("resume is a repository command", async () => {
    const applied: string[] = [];
    const scope = nockPass();
    nockNoConfig(scope, REPO);
    withPermission(scope, "admin");
    await load(fakeCommands(applied));
    await send(edited(BEFORE.replace("- [ ] resume", "- [x] resume")));
    expect(applied).toEqual([`#${DASHBOARD} resume by Codertocat`]);
  });

  it("an editor below the configured permission is refused, on the dashboard, and nothing runs", async () => {
    const applied: string[] = [];
    const scope = nockPass();
    nockConfig(scope, "permissions:\n  schedule: admin\n");
    withPermission(scope, "write");
    scope.post(`/repos/${REPO}/issues/${DASHBOARD}/comments`).reply(201, { id: 1 });
    await load(fakeCommands(applied));
    await send(edited(BEFORE.replace("- [ ] retry #9", "- [x] retry #9")));
    expect(applied).toEqual([]);
    const answer = comments();
    expect(answer).toHaveLength(1);
    expect(answer[0]!.path).toBe(`/repos/${REPO}/issues/${DASHBOARD}/comments`);
    expect(answer[0]!.body).toMatch(/^@Codertocat I did not run `retry #9`: .*admin/);
  });

  it("only the boxes this edit ticked count (one ticked before is someone else's)", async () => {
    const applied: string[] = [];
    const scope = nockPass();
    nockNoConfig(scope, REPO);
    withPermission(scope, "maintain");
    await load(fakeCommands(applied));
    const after = BEFORE.replace("- [ ] retry #9", "- [x] retry #9");
    await send(edited(after));
    expect(applied).toEqual(["#9 retry by Codertocat"]);
    expect(applied.some((a) => a.startsWith("#12"))).toBe(false);
  });

  it("boxes on an issue that is not the bot's dashboard run nothing", async () => {
    const applied: string[] = [];
    const scope = nockPass({ title: "Conveyor board", login: "mallory" });
    await load(fakeCommands(applied));
    await send(edited(BEFORE.replace("- [ ] retry #9", "- [x] retry #9"), "mallory"));
    expect(applied).toEqual([]);
    expect(comments()).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("an edit that ticks no box is a plain event (no step, no reads for it)", async () => {
    const applied: string[] = [];
    const reconciles: string[] = [];
    const scope = github(t.recorded);
    nockToken(scope);
    nockLease(scope, REPO);
    await load(fakeCommands(applied), reconciles);
    await send(edited(`${BEFORE}\nmore text`));
    expect(applied).toEqual([]);
    expect(reconciles).toEqual(["Hello-World"]);
    expect(t.recorded.some((r) => r.path.endsWith(`/issues/${DASHBOARD}`))).toBe(false);
  });
});
