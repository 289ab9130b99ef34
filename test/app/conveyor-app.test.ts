import nock from "nock";
import type { Probot } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ConveyorApp, createConveyorApp } from "../../src/app/conveyor-app.js";
import type { ReconcileInput } from "../../src/app/pass-context.js";
import {
  allExamples,
  BOT,
  example,
  github,
  newProbot,
  nockConfig,
  nockLease,
  nockNoConfig,
  nockToken,
  openApiProblems,
  type RecordedRequest,
  SECRET,
  signature,
} from "./probot-harness.js";

const REPO = "Codertocat/Hello-World";

let probot: Probot;
let conveyor: ConveyorApp;
let reconciles: string[];
let recorded: RecordedRequest[];

async function load(options: Partial<Parameters<typeof createConveyorApp>[0]> = {}) {
  conveyor = createConveyorApp({
    reconcile: async (input: ReconcileInput) => {
      reconciles.push(`${input.owner}/${input.repo} as ${input.botLogin}`);
    },
    botLogin: BOT,
    holder: "test-instance",
    settleMs: 0,
    sweepMinutes: 0,
    ...options,
  });
  await probot.load(conveyor.app);
}

let n = 0;
const deliveryId = () => `delivery-${++n}`;

beforeEach(() => {
  nock.disableNetConnect();
  probot = newProbot();
  reconciles = [];
  recorded = [];
});

afterEach(() => {
  // Every request the tests sent must exist in GitHub's OpenAPI description, well-formed.
  expect(openApiProblems(recorded)).toEqual([]);
  conveyor?.stop();
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("the one handler over the real payloads", () => {
  it.each(allExamples().map((e) => [e.label, e] as const))(
    "%s is handled without error and asks for a reconcile",
    async (_label, e) => {
      const repo = e.payload.repository.full_name;
      const scope = github(recorded);
      nockToken(scope);
      nockLease(scope, repo);
      // A label event reads the config (to know the stage labels); "bug" is not one of them.
      if (e.payload.action === "labeled") nockNoConfig(scope, repo);
      await load();
      await probot.receive({ id: deliveryId(), name: e.name, payload: e.payload } as never);
      await conveyor.idle();
      expect(reconciles).toEqual([`${repo} as ${BOT}`]);
      expect(scope.pendingMocks()).toEqual([]);
    },
  );

  it("an event without an installation is noted and skipped (nothing to authenticate with)", async () => {
    await load();
    const payload = example("issues", "opened");
    delete payload.installation;
    const id = deliveryId();
    await probot.receive({ id, name: "issues", payload } as never);
    await conveyor.idle();
    expect(conveyor.lastOutcome(id)).toBe("no-installation");
    expect(reconciles).toEqual([]);
  });

  it("filters the app's own echoes by sender", async () => {
    await load();
    const payload = example("issues", "labeled");
    payload.sender = { login: BOT, type: "Bot" };
    const id = deliveryId();
    await probot.receive({ id, name: "issues", payload } as never);
    await conveyor.idle();
    expect(conveyor.lastOutcome(id)).toBe("echo");
    expect(reconciles).toEqual([]);
  });

  it("an agent run the app dispatched is news, not an echo: its workflow_run is reconciled", async () => {
    const scope = github(recorded);
    nockToken(scope);
    nockLease(scope, REPO);
    await load();
    const payload = example("workflow_run", "completed");
    payload.sender = { login: BOT, type: "Bot" };
    const id = deliveryId();
    await probot.receive({ id, name: "workflow_run", payload } as never);
    await conveyor.idle();
    expect(conveyor.lastOutcome(id)).toBe("requested");
    expect(reconciles).toHaveLength(1);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("learns its bot login from GET /app when not configured", async () => {
    const scope = github(recorded);
    scope.get("/app").reply(200, { id: 123, slug: "conveyor-test", name: "Conveyor" });
    await load({ botLogin: undefined });
    const payload = example("issues", "opened");
    payload.sender = { login: BOT, type: "Bot" };
    const id = deliveryId();
    await probot.receive({ id, name: "issues", payload } as never);
    expect(conveyor.lastOutcome(id)).toBe("echo");
    expect(scope.pendingMocks()).toEqual([]);
  });
});

describe("installation events", () => {
  it.each([
    ["installation", "created", "Codertocat/Hello-World"],
    ["installation_repositories", "added", "Codertocat/Space"],
  ])("%s.%s reconciles the new repositories at once", async (name, action, repo) => {
    const scope = github(recorded);
    nockToken(scope);
    nockLease(scope, repo);
    await load();
    await probot.receive({ id: deliveryId(), name, payload: example(name, action) } as never);
    await conveyor.idle();
    expect(reconciles).toEqual([`${repo} as ${BOT}`]);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("installation.deleted does nothing", async () => {
    await load();
    const id = deliveryId();
    await probot.receive({
      id,
      name: "installation",
      payload: example("installation", "deleted"),
    } as never);
    await conveyor.idle();
    expect(conveyor.lastOutcome(id)).toBe("no-repository");
    expect(reconciles).toEqual([]);
  });
});

describe("reliability", () => {
  it("a delivery sent three times reconciles once", async () => {
    const scope = github(recorded);
    nockToken(scope);
    nockLease(scope, REPO);
    await load();
    const payload = example("pull_request", "synchronize");
    const id = deliveryId();
    for (let i = 0; i < 3; i++)
      await probot.receive({ id, name: "pull_request", payload } as never);
    await conveyor.idle();
    expect(reconciles).toHaveLength(1);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("a six-label burst costs at most two reconciles and one permission lookup per pass", async () => {
    const scope = github(recorded);
    nockToken(scope);
    nockLease(scope, REPO, { times: 2 });
    nockNoConfig(scope, REPO);
    scope
      .get(`/repos/${REPO}/collaborators/Codertocat/permission`)
      .times(2)
      .optionally()
      .reply(200, { permission: "write", role_name: "write", user: { login: "Codertocat" } });
    await load();
    const labels = ["conveyor:todo", "priority:high", "bug", "area:ui", "good first issue", "help"];
    for (const name of labels) {
      const payload = example("issues", "labeled");
      (payload.label as { name: string }).name = name;
      await probot.receive({ id: deliveryId(), name: "issues", payload } as never);
    }
    await conveyor.idle();
    expect(reconciles.length).toBeGreaterThanOrEqual(1);
    expect(reconciles.length).toBeLessThanOrEqual(2);
    const lookups = recorded.filter((r) => r.path.endsWith("/permission"));
    expect(lookups.length).toBeLessThanOrEqual(reconciles.length);
    expect(recorded.filter((r) => r.method === "DELETE" && r.path.includes("/labels/"))).toEqual(
      [],
    );
  });

  it("events out of order: each only says 'look again', the last pass starts after the last event", async () => {
    const scope = github(recorded);
    nockToken(scope);
    nockLease(scope, REPO, { times: 2, tree: true });
    const order: string[] = [];
    await load({
      reconcile: async (input) => {
        order.push(`reconcile ${input.repo}`);
      },
    });
    const closed = example("pull_request", "closed");
    (closed.pull_request as { merged: boolean }).merged = true;
    const opened = example("pull_request", "opened");
    const sync = example("pull_request", "synchronize");
    for (const [payload, name] of [
      [closed, "closed"],
      [sync, "synchronize"],
      [opened, "opened"],
    ] as const) {
      order.push(`event ${name}`);
      await probot.receive({ id: deliveryId(), name: "pull_request", payload } as never);
    }
    await conveyor.idle();
    expect(order.at(-1)).toBe("reconcile Hello-World");
    expect(order.filter((o) => o.startsWith("reconcile")).length).toBeLessThanOrEqual(2);
    expect(order.lastIndexOf("event opened")).toBeLessThan(
      order.lastIndexOf("reconcile Hello-World"),
    );
  });

  it("rejects a forged webhook signature: nothing is reconciled", async () => {
    await load();
    const payload = JSON.stringify(example("issues", "labeled"));
    await expect(
      probot.webhooks.verifyAndReceive({
        id: deliveryId(),
        name: "issues",
        payload,
        signature: `sha256=${"0".repeat(64)}`,
      }),
    ).rejects.toThrow(/signature does not match/i);
    await conveyor.idle();
    expect(reconciles).toEqual([]);
  });

  it("accepts the same delivery when it is signed with the secret", async () => {
    const scope = github(recorded);
    nockToken(scope);
    nockLease(scope, REPO);
    await load();
    const payload = JSON.stringify(example("issues", "opened"));
    await probot.webhooks.verifyAndReceive({
      id: deliveryId(),
      name: "issues",
      payload,
      signature: signature(SECRET, payload),
    });
    await conveyor.idle();
    expect(reconciles).toHaveLength(1);
  });

  it("a failing reconcile is logged, never thrown at the delivery; the next request runs", async () => {
    const scope = github(recorded);
    nockToken(scope);
    nockLease(scope, REPO, { times: 2 });
    let calls = 0;
    await load({
      reconcile: async () => {
        calls++;
        if (calls === 1) throw new Error("GitHub said 502");
      },
    });
    await probot.receive({
      id: deliveryId(),
      name: "issues",
      payload: example("issues", "opened"),
    } as never);
    await conveyor.idle();
    await probot.receive({
      id: deliveryId(),
      name: "issues",
      payload: example("issues", "edited"),
    } as never);
    await conveyor.idle();
    expect(calls).toBe(2);
    expect(conveyor.queue.stats.failures).toBe(1);
    expect(scope.pendingMocks()).toEqual([]);
  });
});

describe("scheduling permission", () => {
  const labelFrom = (login: string, label = "conveyor:todo", type = "User") => {
    const payload = example("issues", "labeled");
    (payload.label as { name: string }).name = label;
    payload.sender = { ...payload.sender, login, type };
    return payload;
  };

  it.each([
    ["read", "read", true],
    ["triage", "triage", true],
    ["write", "write", false],
    ["admin", "admin", false],
  ])("a label from a user with %s permission: removed = %s", async (permission, role, removed) => {
    const scope = github(recorded);
    nockToken(scope);
    nockLease(scope, REPO);
    nockNoConfig(scope, REPO);
    scope
      .get(`/repos/${REPO}/collaborators/someone/permission`)
      .reply(200, { permission: permission === "triage" ? "read" : permission, role_name: role });
    if (removed)
      scope
        .delete(`/repos/${REPO}/issues/1/labels/conveyor%3Atodo`)
        .reply(200, [])
        .post(`/repos/${REPO}/issues/1/comments`)
        .reply(201, { id: 9 });
    await load();
    await probot.receive({
      id: deliveryId(),
      name: "issues",
      payload: labelFrom("someone"),
    } as never);
    await conveyor.idle();
    expect(scope.pendingMocks()).toEqual([]);
    expect(reconciles).toHaveLength(1);
  });

  it("the comment says why, politely", async () => {
    const scope = github(recorded);
    nockToken(scope);
    nockLease(scope, REPO);
    nockNoConfig(scope, REPO);
    scope
      .get(`/repos/${REPO}/collaborators/someone/permission`)
      .reply(200, { permission: "read", role_name: "read" })
      .delete(`/repos/${REPO}/issues/1/labels/conveyor%3Atodo`)
      .reply(200, [])
      .post(`/repos/${REPO}/issues/1/comments`)
      .reply(201, { id: 9 });
    await load();
    await probot.receive({
      id: deliveryId(),
      name: "issues",
      payload: labelFrom("someone"),
    } as never);
    await conveyor.idle();
    const comment = recorded.find((r) => r.method === "POST" && r.path.endsWith("/comments"));
    expect((comment?.body as { body: string } | undefined)?.body).toMatchInlineSnapshot(`
      "Thanks @someone! I removed the \`conveyor:todo\` label because only people allowed to schedule work for Conveyor can add it: this needs at least \`write\` permission on the repository, and @someone has \`read\`.

      A maintainer can add the label again if this should be worked on."
    `);
  });

  it("a bot is denied unless permissions.allowBots lists it (no permission lookup for bots)", async () => {
    const scope = github(recorded);
    nockToken(scope);
    nockLease(scope, REPO, { times: 2 });
    // Each pass reads the config once, through its port.
    nockConfig(scope, "permissions:\n  allowBots: [renovate]\n", { times: 2 });
    scope
      .delete(`/repos/${REPO}/issues/1/labels/conveyor%3Areview`)
      .reply(200, [])
      .post(`/repos/${REPO}/issues/1/comments`)
      .reply(201, { id: 9 });
    await load();
    await probot.receive({
      id: deliveryId(),
      name: "issues",
      payload: labelFrom("dependabot[bot]", "conveyor:review", "Bot"),
    } as never);
    await conveyor.idle();
    await probot.receive({
      id: deliveryId(),
      name: "issues",
      payload: labelFrom("renovate[bot]", "conveyor:review", "Bot"),
    } as never);
    await conveyor.idle();
    expect(scope.pendingMocks()).toEqual([]);
    expect(
      recorded.filter((r) => r.method === "DELETE" && r.path.includes("/labels/")),
    ).toHaveLength(1);
  });

  it("a permission lookup that fails holds the reconcile back and is tried again", async () => {
    const scope = github(recorded);
    nockToken(scope);
    nockLease(scope, REPO, { times: 2 });
    // Each pass reads the config once (the retry is a pass of its own).
    nockConfig(scope, undefined, { times: 2 });
    scope
      .get(`/repos/${REPO}/collaborators/someone/permission`)
      .reply(502, { message: "Server Error" })
      .get(`/repos/${REPO}/collaborators/someone/permission`)
      .reply(200, { permission: "read", role_name: "read" })
      .delete(`/repos/${REPO}/issues/1/labels/conveyor%3Atodo`)
      .reply(200, [])
      .post(`/repos/${REPO}/issues/1/comments`)
      .reply(201, { id: 9 });
    const seen: string[] = [];
    await load({
      busyRetryMs: 5,
      reconcile: async () => {
        // By the time any reconcile runs, the label is gone.
        seen.push(
          recorded.some((r) => r.method === "DELETE" && r.path.includes("/labels/"))
            ? "removed"
            : "still there",
        );
      },
    });
    await probot.receive({
      id: deliveryId(),
      name: "issues",
      payload: labelFrom("someone"),
    } as never);
    await conveyor.idle();
    expect(seen).toEqual(["removed"]);
    expect(conveyor.queue.stats.retries).toBe(1);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("a label check that keeps failing: after three tries the label comes off unchecked, then the pass goes on", async () => {
    const scope = github(recorded);
    nockToken(scope);
    nockLease(scope, REPO, { times: 3 });
    nockConfig(scope, undefined, { times: 3 });
    scope
      .get(`/repos/${REPO}/collaborators/someone/permission`)
      .times(3)
      .reply(403, { message: "Forbidden" })
      .delete(`/repos/${REPO}/issues/1/labels/conveyor%3Atodo`)
      .reply(200, [])
      .post(`/repos/${REPO}/issues/1/comments`)
      .reply(201, { id: 9 });
    const seen: string[] = [];
    await load({
      busyRetryMs: 5,
      reconcile: async () => {
        seen.push(
          recorded.some((r) => r.method === "DELETE" && r.path.includes("/labels/"))
            ? "removed"
            : "still there",
        );
      },
    });
    await probot.receive({
      id: deliveryId(),
      name: "issues",
      payload: labelFrom("someone"),
    } as never);
    await conveyor.idle();
    expect(conveyor.queue.stats.retries).toBe(2);
    expect(seen).toEqual(["removed"]);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("a lease that cannot be taken (GitHub 502) keeps the label check for the next try", async () => {
    const scope = github(recorded);
    nockToken(scope);
    scope.post(`/repos/${REPO}/git/trees`).reply(502, { message: "Bad Gateway" });
    nockLease(scope, REPO);
    nockNoConfig(scope, REPO);
    scope
      .get(`/repos/${REPO}/collaborators/someone/permission`)
      .reply(200, { permission: "write", role_name: "write" });
    await load({ busyRetryMs: 5 });
    await probot.receive({
      id: deliveryId(),
      name: "issues",
      payload: labelFrom("someone"),
    } as never);
    await conveyor.idle();
    expect(conveyor.queue.stats.retries).toBe(1);
    expect(reconciles).toHaveLength(1);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("a non-Conveyor label is nobody's business", async () => {
    const scope = github(recorded);
    nockToken(scope);
    nockLease(scope, REPO);
    nockNoConfig(scope, REPO);
    await load();
    await probot.receive({
      id: deliveryId(),
      name: "issues",
      payload: labelFrom("someone", "bug"),
    } as never);
    await conveyor.idle();
    expect(scope.pendingMocks()).toEqual([]);
    expect(recorded.some((r) => r.path.includes("/permission"))).toBe(false);
  });

  it("a push to the default branch drops the cached config", async () => {
    const scope = github(recorded);
    nockToken(scope);
    nockLease(scope, REPO, { times: 3 });
    nockNoConfig(scope, REPO);
    nockNoConfig(scope, REPO);
    await load();
    await probot.receive({
      id: deliveryId(),
      name: "issues",
      payload: labelFrom("someone", "bug"),
    } as never);
    await conveyor.idle();
    const push = example("push", undefined, 4);
    expect(push.ref).toBe("refs/heads/master");
    await probot.receive({ id: deliveryId(), name: "push", payload: push } as never);
    await conveyor.idle();
    await probot.receive({
      id: deliveryId(),
      name: "issues",
      payload: labelFrom("someone", "bug"),
    } as never);
    await conveyor.idle();
    expect(scope.pendingMocks()).toEqual([]);
  });
});

describe("lease lock between instances", () => {
  it("held by another instance: no reconcile now, retried later with the steps kept", async () => {
    const scope = github(recorded);
    nockToken(scope);
    scope
      .post(`/repos/${REPO}/git/trees`)
      .reply(201, { sha: "t0" })
      .post(`/repos/${REPO}/git/commits`)
      .reply(201, { sha: "mine1" })
      .post(`/repos/${REPO}/git/refs`)
      .reply(422, { message: "Reference already exists" })
      .get(`/repos/${REPO}/git/ref/conveyor%2Flock`)
      .reply(200, { ref: "refs/conveyor/lock", object: { sha: "theirs", type: "commit" } })
      .get(`/repos/${REPO}/git/commits/theirs`)
      .reply(200, {
        sha: "theirs",
        message: "conveyor lease\n\nholder: other-host:7:zz\nexpires: 2999-01-01T00:00:00.000Z\n",
      });
    // The retry finds the lock free.
    scope
      .post(`/repos/${REPO}/git/commits`)
      .reply(201, { sha: "lease1" })
      .post(`/repos/${REPO}/git/refs`)
      .reply(201, { ref: "refs/conveyor/lock", object: { sha: "lease1" } })
      .get(`/repos/${REPO}/git/ref/conveyor%2Flock`)
      .reply(200, { ref: "refs/conveyor/lock", object: { sha: "lease1", type: "commit" } })
      .delete(`/repos/${REPO}/git/refs/conveyor%2Flock`)
      .reply(204);
    await load({ busyRetryMs: 5 });
    await probot.receive({
      id: deliveryId(),
      name: "issues",
      payload: example("issues", "opened"),
    } as never);
    await conveyor.idle();
    expect(conveyor.queue.stats.busy).toBe(1);
    expect(reconciles).toHaveLength(1);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("expired: taken over by a fast-forward, then released", async () => {
    const scope = github(recorded);
    nockToken(scope);
    scope
      .post(`/repos/${REPO}/git/trees`)
      .reply(201, { sha: "t0" })
      .post(`/repos/${REPO}/git/commits`, (b) => b.parents.length === 0)
      .reply(201, { sha: "mine1" })
      .post(`/repos/${REPO}/git/refs`)
      .reply(422, { message: "Reference already exists" })
      .get(`/repos/${REPO}/git/ref/conveyor%2Flock`)
      .reply(200, { ref: "refs/conveyor/lock", object: { sha: "stale", type: "commit" } })
      .get(`/repos/${REPO}/git/commits/stale`)
      .reply(200, {
        sha: "stale",
        message: "conveyor lease\n\nholder: crashed:1:aa\nexpires: 2020-01-01T00:00:00.000Z\n",
      })
      .post(`/repos/${REPO}/git/commits`, (b) => b.parents[0] === "stale")
      .reply(201, { sha: "mine2" })
      .patch(`/repos/${REPO}/git/refs/conveyor%2Flock`, { sha: "mine2", force: false })
      .reply(200, { ref: "refs/conveyor/lock", object: { sha: "mine2" } })
      .get(`/repos/${REPO}/git/ref/conveyor%2Flock`)
      .reply(200, { ref: "refs/conveyor/lock", object: { sha: "mine2", type: "commit" } })
      .delete(`/repos/${REPO}/git/refs/conveyor%2Flock`)
      .reply(204);
    await load();
    await probot.receive({
      id: deliveryId(),
      name: "issues",
      payload: example("issues", "opened"),
    } as never);
    await conveyor.idle();
    expect(reconciles).toHaveLength(1);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("dry-run takes no lease and writes nothing", async () => {
    github(recorded);
    await load({ dryRun: true });
    await probot.receive({
      id: deliveryId(),
      name: "issues",
      payload: example("issues", "opened"),
    } as never);
    await conveyor.idle();
    expect(reconciles).toHaveLength(1);
    expect(recorded).toEqual([]);
  });
});

describe("periodic sweep", () => {
  function nockInstallations(scope: ReturnType<typeof github>) {
    return scope
      .get("/app/installations")
      .query(true)
      .reply(200, [{ id: 4242, account: { login: "Codertocat", type: "User" } }]);
  }

  it("reconciles the installation's repositories with work in flight, in two small reads", async () => {
    const scope = github(recorded);
    nockInstallations(scope);
    nockToken(scope);
    scope
      .get("/installation/repositories")
      .query({ per_page: 100 })
      .reply(200, {
        total_count: 2,
        repositories: [{ name: "Hello-World" }, { name: "idle-repo" }],
      })
      .get("/search/issues")
      .query((q) => String(q.q).includes('label:"conveyor:todo","conveyor:in-progress"'))
      .reply(200, {
        total_count: 2,
        incomplete_results: false,
        items: [
          { number: 1, repository_url: "https://api.github.com/repos/Codertocat/Hello-World" },
          // A public repository of the same account the app is not installed on.
          { number: 3, repository_url: "https://api.github.com/repos/Codertocat/not-installed" },
        ],
      });
    nockLease(scope, REPO);
    await load();
    const report = await conveyor.sweep();
    await conveyor.idle();
    expect(report).toEqual({
      installations: 1,
      requested: ["Codertocat/Hello-World"],
      skipped: [],
      errors: [],
    });
    expect(reconciles).toEqual([`${REPO} as ${BOT}`]);
    expect(scope.pendingMocks()).toEqual([]);
    const query = recorded.find((r) => r.path.startsWith("/search/issues"))?.path ?? "";
    expect(decodeURIComponent(query)).toMatchInlineSnapshot(
      `"/search/issues?q=is:open user:Codertocat label:"conveyor:todo","conveyor:in-progress","conveyor:review","conveyor:testing","merge-queue","conveyor:escalated"&per_page=100"`,
    );
  });

  it("skips a repository reconciled within its sweep interval, keeps one with recent events", async () => {
    const scope = github(recorded);
    nockToken(scope);
    nockLease(scope, REPO);
    await load();
    await probot.receive({
      id: deliveryId(),
      name: "issues",
      payload: example("issues", "opened"),
    } as never);
    await conveyor.idle();
    nockInstallations(scope);
    scope
      .get("/installation/repositories")
      .query(true)
      .reply(200, { total_count: 1, repositories: [{ name: "Hello-World" }] })
      .get("/search/issues")
      .query(true)
      .reply(200, { total_count: 0, incomplete_results: false, items: [] });
    const report = await conveyor.sweep();
    expect(report.requested).toEqual([]);
    expect(report.skipped).toEqual([REPO]);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("a failing installation is reported, the others are still swept", async () => {
    const scope = github(recorded);
    scope
      .get("/app/installations")
      .query(true)
      .reply(200, [
        { id: 1, account: { login: "broken", type: "User" } },
        { id: 4242, account: { login: "Codertocat", type: "User" } },
      ])
      .post("/app/installations/1/access_tokens")
      .reply(201, { token: "ghs_1", expires_at: "2999-01-01T00:00:00Z" })
      .get("/installation/repositories")
      .query(true)
      .reply(500, { message: "boom" });
    nockToken(scope);
    scope
      .get("/installation/repositories")
      .query(true)
      .reply(200, { total_count: 1, repositories: [{ name: "Hello-World" }] })
      .get("/search/issues")
      .query(true)
      .reply(200, {
        total_count: 1,
        incomplete_results: false,
        items: [
          { number: 1, repository_url: "https://api.github.com/repos/Codertocat/Hello-World" },
        ],
      });
    nockLease(scope, REPO);
    await load();
    const report = await conveyor.sweep();
    await conveyor.idle();
    expect(report.errors).toHaveLength(1);
    expect(report.requested).toEqual([REPO]);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("the sweep timer ticks every sweepMinutes", async () => {
    let ticks = 0;
    const intervals: number[] = [];
    await load({
      sweepMinutes: 7,
      timers: {
        setTimeout: (fn, ms) => setTimeout(fn, ms),
        clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
        setInterval: (_fn, ms) => {
          intervals.push(ms);
          ticks++;
          return ticks;
        },
        clearInterval: () => {
          ticks--;
        },
      },
    });
    expect(intervals).toEqual([7 * 60_000]);
    conveyor.stop();
    expect(ticks).toBe(0);
  });
});

describe("the OpenAPI check itself", () => {
  it("catches a request GitHub would not understand", () => {
    expect(
      openApiProblems([
        { method: "POST", path: "/repos/o/r/git/refs", body: { ref: "refs/conveyor/lock" } },
        { method: "GET", path: "/repos/o/r/issues/1/nope", body: undefined },
      ]),
    ).toHaveLength(2);
  });
});
