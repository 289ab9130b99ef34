import { describe, expect, it } from "vitest";
import type { createConveyorApp } from "../../src/app/conveyor-app.js";
import type { CommandService } from "../../src/app/pass-context.js";
import { FakeGitHub } from "../support/fake-github/index.js";
import {
  BOT,
  example,
  github,
  loadConveyor,
  loadOverPort,
  nockLease,
  nockNoConfig,
  nockToken,
  useProbotTest,
} from "./probot-harness.js";

const REPO = "Codertocat/Hello-World";

/** Probot, the recorded requests and the app of the current test. */
const t = useProbotTest();
let n = 0;
/** The comment as GitHub stores it (what the app reads back by id). */
let stored: { id: number; body: string; user: { login: string; type: string } } | undefined;

function comment(body: string, login = "Codertocat", issue = 1) {
  const payload = example("issue_comment", "created");
  (payload.comment as { body: string; id: number }).body = body;
  (payload.comment as { id: number }).id = 777;
  (payload.issue as { number: number }).number = issue;
  payload.sender = { ...payload.sender, login, type: "User" };
  stored = { id: 777, body, user: { login, type: "User" } };
  return payload;
}

async function send(payload: unknown) {
  await t.probot.receive({ id: `cmd-${++n}`, name: "issue_comment", payload } as never);
  await t.conveyor.idle();
}

/** A command service that accepts everything but `abandon` and answers `status`. */
function fakeCommands(applied: string[]): CommandService<string> {
  return {
    parse: (body) => {
      const m = /^\/conveyor\s*(\S*)/m.exec(body);
      if (!m) return undefined;
      if (!m[1]) return { ok: false, error: "`/conveyor` needs a command" };
      return { ok: true, command: m[1], text: `/conveyor ${m[1]}` };
    },
    apply: async (_ctx, { issue, command, actor }) => {
      applied.push(`#${issue} ${command} by ${actor}`);
      if (command === "abandon")
        return { accepted: false, reason: "`/conveyor abandon` needs a reason" };
      if (command === "status") return { accepted: true, reply: "#1 is in review." };
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

function nockPass(permission: string) {
  const scope = github(t.recorded);
  nockToken(scope);
  nockLease(scope, REPO);
  nockNoConfig(scope, REPO);
  nockStored(scope);
  scope
    .get(`/repos/${REPO}/collaborators/Codertocat/permission`)
    .reply(200, { permission, role_name: permission });
  return scope;
}

function nockStored(scope: ReturnType<typeof github>) {
  return scope.get(`/repos/${REPO}/issues/comments/777`).reply(200, () => stored);
}

const bodies = () =>
  t.recorded
    .filter((r) => r.method === "POST" && r.path.endsWith("/comments"))
    .map((r) => (r.body as { body: string }).body);

describe("comment commands (fake command service)", () => {
  it("an accepted command gets a +1 reaction, then the repository is reconciled", async () => {
    const applied: string[] = [];
    const reconciles: string[] = [];
    const scope = nockPass("write");
    scope.post(`/repos/${REPO}/issues/comments/777/reactions`, { content: "+1" }).reply(201, {});
    await load(fakeCommands(applied), reconciles);
    await send(comment("/conveyor retry"));
    expect(applied).toEqual(["#1 retry by Codertocat"]);
    expect(reconciles).toEqual(["Hello-World"]);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("status answers with the reply as well as the reaction", async () => {
    const scope = nockPass("admin");
    scope
      .post(`/repos/${REPO}/issues/comments/777/reactions`)
      .reply(201, {})
      .post(`/repos/${REPO}/issues/1/comments`)
      .reply(201, { id: 1 });
    await load(fakeCommands([]));
    await send(comment("Let me check.\n/conveyor status"));
    expect(bodies()).toEqual(["#1 is in review."]);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it.each([
    [
      "a user without write access",
      "read",
      "/conveyor retry",
      "@Codertocat I did not run `/conveyor retry`: this needs at least `write` permission on the repository, and @Codertocat has `read`.",
    ],
    [
      "a malformed command",
      "write",
      "/conveyor",
      "@Codertocat I did not run `/conveyor`: `/conveyor` needs a command.",
    ],
    [
      "a command the planner refuses",
      "write",
      "/conveyor abandon",
      "@Codertocat I did not run `/conveyor abandon`: `/conveyor abandon` needs a reason.",
    ],
  ])(
    "%s is answered with the reason, and nothing is reacted to",
    async (_case, permission, body, answer) => {
      const scope = nockPass(permission);
      scope.post(`/repos/${REPO}/issues/1/comments`).reply(201, { id: 1 });
      await load(fakeCommands([]));
      await send(comment(body));
      expect(bodies()).toEqual([answer]);
      expect(t.recorded.some((r) => r.path.includes("/reactions"))).toBe(false);
      expect(scope.pendingMocks()).toEqual([]);
    },
  );

  it("the comment is read back by id: a payload that names a maintainer for mallory's comment runs nothing", async () => {
    const applied: string[] = [];
    const scope = github(t.recorded);
    nockToken(scope);
    nockLease(scope, REPO);
    nockNoConfig(scope, REPO);
    scope
      .get(`/repos/${REPO}/issues/comments/777`)
      .reply(200, { id: 777, body: "/conveyor retry", user: { login: "mallory", type: "User" } })
      .get(`/repos/${REPO}/collaborators/mallory/permission`)
      .reply(200, { permission: "read", role_name: "read" })
      .post(`/repos/${REPO}/issues/1/comments`)
      .reply(201, { id: 1 });
    await load(fakeCommands(applied));
    // The forged delivery claims the maintainer wrote it.
    const payload = comment("/conveyor retry", "Codertocat");
    await send(payload);
    expect(applied).toEqual([]);
    expect(bodies()[0]).toMatch(/^@mallory I did not run/);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it.each([
    ["deleted since", 404, { message: "Not Found" }],
    [
      "edited since (no command left)",
      200,
      { id: 777, body: "never mind", user: { login: "Codertocat", type: "User" } },
    ],
  ])("a comment %s is ignored", async (_case, status, reply) => {
    const applied: string[] = [];
    const scope = github(t.recorded);
    nockToken(scope);
    nockLease(scope, REPO);
    scope.get(`/repos/${REPO}/issues/comments/777`).reply(status, reply);
    await load(fakeCommands(applied));
    await send(comment("/conveyor retry"));
    expect(applied).toEqual([]);
    expect(bodies()).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("an ordinary comment is no command: no permission lookup, just a reconcile", async () => {
    const applied: string[] = [];
    const reconciles: string[] = [];
    const scope = github(t.recorded);
    nockToken(scope);
    nockLease(scope, REPO);
    await load(fakeCommands(applied), reconciles);
    await send(comment("I think /conveyor is neat"));
    expect(applied).toEqual([]);
    expect(reconciles).toEqual(["Hello-World"]);
    expect(scope.pendingMocks()).toEqual([]);
  });
});

type ManualTimers = NonNullable<Parameters<typeof createConveyorApp>[0]["timers"]> & {
  fire: () => void;
};

/** Timers the test fires itself: deliveries received before `fire` share one pass. */
function manualTimers(): ManualTimers {
  const due: (() => void)[] = [];
  return {
    setTimeout: (fn) => due.push(fn),
    clearTimeout: () => undefined,
    setInterval: () => 0,
    clearInterval: () => undefined,
    fire: () => {
      for (const fn of due.splice(0)) fn();
    },
  };
}

describe("comment commands over the real planner and executor (fake GitHub behind the port)", () => {
  /** The app over the fake: the token from nock, every GitHub call of the pass on the port. */
  async function loadReal(gh: FakeGitHub, timers?: ManualTimers) {
    t.conveyor = await loadOverPort(t.probot, gh, { ...(timers ? { timers } : {}), now: gh.now });
    nockToken(github(t.recorded));
  }

  /** `body` commented on `issue` by Codertocat, in the fake and as a delivery. */
  async function say(gh: FakeGitHub, issue: number, body: string) {
    const c = gh.addComment(issue, body, "Codertocat");
    const payload = comment(body, "Codertocat", issue);
    (payload.comment as { id: number }).id = c.id;
    await send(payload);
    return c.id;
  }

  const newFake = () => {
    const gh = new FakeGitHub({ owner: "Codertocat", repo: "Hello-World", botLogin: BOT });
    gh.permissions.set("Codertocat", "write");
    return gh;
  };
  const replies = (gh: FakeGitHub, issue: number) =>
    gh
      .commentsOn(issue)
      .filter((c) => c.author === BOT)
      .map((c) => c.body);

  it("/conveyor priority high relabels the task and is acknowledged", async () => {
    const gh = newFake();
    const issue = gh.addIssue({ title: "Add a thing", labels: ["conveyor:todo", "priority:low"] });
    await loadReal(gh);
    const id = await say(gh, issue, "/conveyor priority high");
    expect(gh.reactions).toEqual([`${id}:+1`]);
    expect(gh.issues.get(issue)?.labels).toContain("priority:high");
    expect(gh.issues.get(issue)?.labels).not.toContain("priority:low");
  });

  it("/conveyor status on an issue that is no task is refused with the planner's reason", async () => {
    const gh = newFake();
    const issue = gh.addIssue({ title: "Just a question" });
    await loadReal(gh);
    await say(gh, issue, "/conveyor status");
    expect(replies(gh, issue)).toMatchInlineSnapshot(`
      [
        "@Codertocat I did not run \`/conveyor status\`: #1 is not a Conveyor task (schedule it with the \`conveyor:todo\` label first).",
      ]
    `);
  });

  it("a backtick in an unknown command cannot break out of the code span into a real @-mention", async () => {
    const gh = newFake();
    const issue = gh.addIssue({ title: "Add a thing", labels: ["conveyor:todo"] });
    await loadReal(gh);
    await say(gh, issue, "/conveyor x`@everyone`");
    const [reply] = replies(gh, issue);
    expect(reply).toContain("I did not run `` /conveyor x`@\u200beveryone` ``");
    expect(reply).toContain("unknown command `` x`@everyone` ``");
  });

  it("/conveyor status answers with the stage and why it waits", async () => {
    const gh = newFake();
    const issue = gh.addIssue({ title: "Add a thing", labels: ["conveyor:todo"] });
    await loadReal(gh);
    const id = await say(gh, issue, "/conveyor status");
    expect(gh.reactions).toEqual([`${id}:+1`]);
    const answers = replies(gh, issue).filter((b) => b.startsWith("**#"));
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchInlineSnapshot(`
      "**#1: Add a thing** — todo, priority medium
      - failures so far: task 0, reviewer 0, tester 0, merge 0; agent runs 0/15
      - tokens 0, cost $0.00
      - next: an agent is about to be dispatched
      - slots: 1/6 agents, 1/6 tasks in flight"
    `);
  });

  it("the lease, the comment read, the permission and the reply all go through the port", async () => {
    const gh = newFake();
    const issue = gh.addIssue({ title: "Add a thing", labels: ["conveyor:todo"] });
    await loadReal(gh);
    const id = await say(gh, issue, "/conveyor status");
    const calls = gh.calls.join("\n");
    expect(calls).toContain("Codertocat/Hello-World:create-ref conveyor/lock");
    expect(calls).toContain(`GET comment ${id}`);
    expect(calls).toContain("GET permission Codertocat");
    expect(calls).toContain("Codertocat/Hello-World:delete-ref conveyor/lock");
    // Nothing but the installation token went around the port.
    expect(t.recorded.filter((r) => !r.path.endsWith("/access_tokens"))).toEqual([]);
  });

  it("a pass with two commands by the same person asks the permission once and loads the board once", async () => {
    const gh = newFake();
    const issue = gh.addIssue({ title: "Add a thing", labels: ["conveyor:todo", "priority:low"] });
    const timers = manualTimers();
    await loadReal(gh, timers);
    // Two comments that arrive before the pass starts share it.
    const first = gh.addComment(issue, "/conveyor priority high", "Codertocat");
    const second = gh.addComment(issue, "/conveyor status", "Codertocat");
    for (const c of [first, second]) {
      const payload = comment(c.body, "Codertocat", issue);
      (payload.comment as { id: number }).id = c.id;
      await t.probot.receive({ id: `cmd-${++n}`, name: "issue_comment", payload } as never);
    }
    timers.fire();
    await t.conveyor.idle();
    expect(t.conveyor.queue.stats.passes).toBe(1);
    expect(gh.reactions).toEqual([`${first.id}:+1`, `${second.id}:+1`]);
    expect(gh.calls.filter((c) => c === "GET permission Codertocat")).toHaveLength(1);
    // One read of the default branch with the board (config and tracked issues): the
    // commands are planned against the pass's own load, and the reconcile plans on it too.
    expect(gh.calls.filter((c) => c.startsWith("GET base main"))).toHaveLength(1);
    // The second command saw the first one's effect.
    expect(replies(gh, issue).find((b) => b.startsWith("**#"))).toContain("priority high");
  });
});
