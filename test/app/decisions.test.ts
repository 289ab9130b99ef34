import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { activeReposQuery } from "../../src/app/active-repos.js";
import { readAppEnv } from "../../src/app/app-env.js";
import { DeliveryDedupe } from "../../src/app/delivery-dedupe.js";
import { readEventHint } from "../../src/app/event-hint.js";
import {
  type Actor,
  decideActor,
  guardedLabels,
  type PermissionLevel,
  permissionLevel,
} from "../../src/core/actor-permission.js";
import { defaultConfig } from "../../src/core/config.js";
import { example, SUBSCRIBED_EVENTS } from "./probot-harness.js";

describe("who may schedule work", () => {
  const user = (login: string): Actor => ({ login, type: "User" });
  const bot = (login: string): Actor => ({ login, type: "Bot" });
  const config = (
    schedule: "triage" | "write" | "maintain" | "admin",
    allowBots: string[] = [],
  ) => {
    const c = defaultConfig();
    c.permissions = { schedule, allowBots };
    return c;
  };
  it.each<[string, Actor, PermissionLevel | undefined, ReturnType<typeof config>, boolean]>([
    ["a writer, default rule", user("w"), "write", config("write"), true],
    ["an admin", user("a"), "admin", config("write"), true],
    ["a maintainer when maintain is required", user("m"), "maintain", config("maintain"), true],
    ["a writer when maintain is required", user("w"), "write", config("maintain"), false],
    ["a triager when triage is enough", user("t"), "triage", config("triage"), true],
    ["a reader", user("r"), "read", config("write"), false],
    ["a stranger", user("s"), "none", config("triage"), false],
    ["unknown permission", user("u"), undefined, config("triage"), false],
    ["a bot not listed", bot("dependabot[bot]"), undefined, config("write"), false],
    [
      "a bot listed without [bot]",
      bot("renovate[bot]"),
      undefined,
      config("write", ["renovate"]),
      true,
    ],
    [
      "a bot listed with [bot]",
      bot("renovate[bot]"),
      undefined,
      config("write", ["renovate[bot]"]),
      true,
    ],
    ["a [bot] login without type", { login: "x[bot]" }, "admin", config("write"), false],
  ])("%s", (_name, actor, level, cfg, allowed) => {
    expect(decideActor(actor, level, cfg).allowed).toBe(allowed);
  });

  it.each([
    [{ permission: "admin", role_name: "admin" }, "admin"],
    [{ permission: "write", role_name: "maintain" }, "maintain"],
    [{ permission: "read", role_name: "triage" }, "triage"],
    [{ permission: "write", role_name: "custom-role" }, "write"],
    [{ permission: "read" }, "read"],
    [{}, "none"],
  ])("permission level of %j is %s", (data, level) => {
    expect(permissionLevel(data)).toBe(level);
  });

  it("guards every stage label of the configured names", () => {
    const c = defaultConfig();
    c.labels.todo = "ready";
    expect(guardedLabels(c)).toContain("ready");
    expect(guardedLabels(c)).toContain("merge-queue");
    expect(guardedLabels(c)).not.toContain("priority:high");
  });
});

describe("what the handler reads from a payload", () => {
  it("the label just added, never the label list", () => {
    const p = example("issues", "labeled");
    const hint = readEventHint("issues", p);
    expect(hint).toMatchObject({
      owner: "Codertocat",
      repo: "Hello-World",
      installationId: 4242,
      labeled: { issue: 1, label: "bug" },
      defaultBranchPush: false,
    });
    expect(JSON.stringify(hint)).not.toContain("labels");
  });

  it("a labelled PR", () => {
    const hint = readEventHint("pull_request", example("pull_request", "labeled"));
    expect(hint.labeled?.issue).toBe(2);
  });

  it.each([
    ["/conveyor retry", true],
    ["thanks!\n\n/conveyor status", true],
    ["  /conveyor", true],
    ["see /conveyor retry", false],
    ["/conveyorbelt", false],
  ])("comment %j holds a command: %s", (body, yes) => {
    const p = example("issue_comment", "created");
    (p.comment as { body: string }).body = body;
    expect(readEventHint("issue_comment", p).comment !== undefined).toBe(yes);
  });

  it("an edited comment is not run again", () => {
    const p = example("issue_comment", "edited");
    (p.comment as { body: string }).body = "/conveyor retry";
    expect(readEventHint("issue_comment", p).comment).toBeUndefined();
  });

  it.each([
    [4, true],
    [0, false],
  ])("push example %i is a push to the default branch: %s", (i, yes) => {
    expect(readEventHint("push", example("push", undefined, i)).defaultBranchPush).toBe(yes);
  });

  it("survives garbage", () => {
    expect(readEventHint("issues", null)).toEqual({ defaultBranchPush: false });
    expect(readEventHint("issues", { repository: 5, sender: [] })).toEqual({
      defaultBranchPush: false,
    });
  });
});

describe("delivery dedupe", () => {
  it("remembers a bounded number of ids, most recent first", () => {
    const d = new DeliveryDedupe(3);
    expect(["a", "b", "c"].map((id) => d.seenBefore(id))).toEqual([false, false, false]);
    expect(d.seenBefore("a")).toBe(true); // refreshed: b is now the oldest
    expect(d.seenBefore("d")).toBe(false); // evicts b
    expect(d.size).toBe(3);
    expect(d.seenBefore("b")).toBe(false);
    expect(d.seenBefore("a")).toBe(true);
  });
});

describe("the app's environment", () => {
  it("defaults", () => {
    expect(readAppEnv({})).toEqual({
      ok: true,
      env: {
        SWEEP_MINUTES: 5,
        CONVEYOR_DRY_RUN: false,
        CONVEYOR_LEASE_SECONDS: 300,
        CONVEYOR_SETTLE_MS: 1000,
      },
    });
  });
  it("bad values are named, not thrown", () => {
    const r = readAppEnv({ SWEEP_MINUTES: "soon", CONVEYOR_BOT_LOGIN: "conveyor" });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.split(":")[0])).toEqual(["SWEEP_MINUTES", "CONVEYOR_BOT_LOGIN"]);
  });
  it.each([
    ["production", { NODE_ENV: "production" }, false],
    ["no NODE_ENV", {}, false],
    ["a blank secret", { WEBHOOK_SECRET: "  " }, false],
    ["development", { NODE_ENV: "development" }, true],
    ["the explicit flag", { CONVEYOR_ALLOW_UNSIGNED_WEBHOOKS: "true" }, true],
    ["a secret", { WEBHOOK_SECRET: "s3cret" }, true],
  ])(
    "an app with credentials, %s: starts only with a webhook secret or in development",
    (_, extra, ok) => {
      const r = readAppEnv({ APP_ID: "1", PRIVATE_KEY: "key", ...extra });
      expect(r.ok).toBe(ok);
      if (!r.ok) expect(r.errors.join("\n")).toMatch(/^WEBHOOK_SECRET: is required/m);
    },
  );
  it("Probot's setup mode (no credentials yet) needs no secret", () => {
    expect(readAppEnv({ NODE_ENV: "production" }).ok).toBe(true);
  });
  it("reads a dry run and a bot login", () => {
    const r = readAppEnv({ CONVEYOR_DRY_RUN: "true", CONVEYOR_BOT_LOGIN: "my-conveyor[bot]" });
    expect(r.ok && r.env.CONVEYOR_DRY_RUN && r.env.CONVEYOR_BOT_LOGIN).toBe("my-conveyor[bot]");
  });
});

describe("app.yml", () => {
  const manifest = parse(readFileSync(new URL("../../app.yml", import.meta.url), "utf8")) as {
    default_events: string[];
    default_permissions: Record<string, string>;
  };
  it("subscribes to exactly the events the tests cover", () => {
    expect([...manifest.default_events].sort()).toEqual([...SUBSCRIBED_EVENTS].sort());
  });
  it("asks for the least permissions that work", () => {
    expect(manifest.default_permissions).toEqual({
      issues: "write",
      pull_requests: "write",
      contents: "write",
      actions: "write",
      checks: "write",
      statuses: "read",
      metadata: "read",
    });
  });
});

describe("the sweep's search", () => {
  it.each([
    [false, 'is:open user:octo label:"conveyor:todo","merge-queue"'],
    [true, 'is:open org:octo label:"conveyor:todo","merge-queue"'],
  ])("organization %s", (org, query) => {
    expect(activeReposQuery("octo", ["conveyor:todo", "merge-queue"], org)).toBe(query);
  });
});
