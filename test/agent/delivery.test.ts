import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Octokit } from "@octokit/rest";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GitHubHost } from "../../src/agent/github-host.js";
import type { AgentHost } from "../../src/agent/host.js";
import { runRole } from "../../src/agent/run-role.js";
import { decodeMarker } from "../../src/core/markers.js";
import {
  type FakeMessagesServer,
  startFakeMessagesServer,
} from "../../src/replay/fake-messages-server.js";
import { script } from "../../src/replay/script.js";
import { type Fixture, makeFixture, pushChange, sh } from "./support/git-fixture.js";
import { MemoryHost } from "./support/memory-host.js";
import { configOf, roleOptions } from "./support/role-options.js";

/** "A run that did not deliver is not a success", in every role. */
const BRANCH = "conveyor/7-fix-add";
let fx: Fixture;
let server: FakeMessagesServer | undefined;

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
});
afterEach(async () => {
  nock.cleanAll();
  await server?.close();
  server = undefined;
  fx?.cleanup();
});
afterAll(() => nock.enableNetConnect());

function refusePushes() {
  const hook = join(fx.remote, "hooks", "pre-receive");
  writeFileSync(hook, "#!/bin/sh\necho 'refused: protected' >&2\nexit 1\n");
  chmodSync(hook, 0o755);
}

function fixScript(id: string, extra: Record<string, unknown> = {}) {
  return {
    [id]: script()
      .edit("src/math.js", "a - b", "a + b")
      .finish({ summary: "fixed add", ...extra })
      .turns(),
  };
}

describe("a refused push fails the run", () => {
  it("task: outcome failed, no PR, the reason in the summary", async () => {
    fx = makeFixture({ "src/math.js": "export const add = (a, b) => a - b;\n" });
    refusePushes();
    server = await startFakeMessagesServer({ scripts: fixScript("7/task/0/1") });
    const host = new MemoryHost();
    const out = await runRole(roleOptions(server, host, fx.work));
    expect(out.result.outcome).toBe("failed");
    expect(out.result.summary).toMatch(/Push failed: .*(rejected|declined)/);
    expect(out.result.pr).toBeUndefined();
    expect(host.prs).toHaveLength(0);
    expect(decodeMarker("result", host.results[0]!.body)).toMatchObject({ outcome: "failed" });
  });

  it("reviewer: a review whose fixes were not pushed is not posted, the run failed", async () => {
    fx = makeFixture({ "src/math.js": "export const add = (a, b) => a - b;\n" });
    sh(fx.work, "push", "-q", "origin", `main:${BRANCH}`);
    pushChange(fx, BRANCH, { "README.md": "x\n" }, "Change");
    refusePushes();
    const id = "7/reviewer/0/1";
    server = await startFakeMessagesServer({ scripts: fixScript(id, { verdict: "approve" }) });
    const host = new MemoryHost();
    const out = await runRole(
      roleOptions(server, host, fx.work, { role: "reviewer", correlationId: id, pr: 42 }),
    );
    expect(out.result.outcome).toBe("failed");
    expect(out.result.verdict).toBeUndefined();
    expect(out.result.summary).toContain("Push of the review fixes failed");
    expect(host.reviews).toHaveLength(0);
  });
});

describe("a result comment GitHub rejects fails the run", () => {
  const API = "https://api.github.com";
  const R = "/repos/acme/widgets";

  /** MemoryHost for everything but the result comment, which goes to (nocked) GitHub. */
  function hostWithGitHubComments(): MemoryHost {
    const memory = new MemoryHost();
    const github = new GitHubHost({
      octokit: new Octokit({ auth: "t", request: { retries: 0 } }),
      owner: "acme",
      repo: "widgets",
    });
    memory.publishResult = (p: Parameters<AgentHost["publishResult"]>[0]) =>
      github.publishResult(p);
    return memory;
  }

  for (const role of ["task", "tester"] as const) {
    it(`${role}: outcome failed with GitHub's reason; the failed result is published again`, async () => {
      fx = makeFixture({ "src/math.js": "export const add = (a, b) => a - b;\n" });
      const id = `7/${role}/0/1`;
      if (role === "tester") {
        sh(fx.work, "push", "-q", "origin", `main:${BRANCH}`);
        pushChange(fx, BRANCH, { "src/math.js": "export const add = (a, b) => a + b;\n" }, "Fix");
      }
      server = await startFakeMessagesServer({ scripts: fixScript(id) });
      const bodies: string[] = [];
      nock(API)
        .get(`${R}/issues/7/comments`)
        .query(true)
        .times(2)
        .reply(200, [])
        .post(`${R}/issues/7/comments`)
        .reply(422, { message: "Validation Failed", errors: [{ message: "body is too long" }] })
        .post(`${R}/issues/7/comments`, (b: { body: string }) => {
          bodies.push(b.body);
          return true;
        })
        .reply(201, { id: 1 });
      const host = hostWithGitHubComments();
      const out = await runRole(
        roleOptions(server, host, fx.work, {
          role,
          correlationId: id,
          ...(role === "tester"
            ? {
                pr: 42,
                config: configOf({
                  tests: { rules: [{ glob: "src/**", command: "echo 'running 1 test'" }] },
                }),
              }
            : {}),
        }),
      );
      expect(out.result.outcome).toBe("failed");
      expect(out.result.summary).toMatch(/^The result could not be published: .*Validation Failed/);
      if (role === "tester") expect(out.result.passed).toBe(false);
      expect(decodeMarker("result", bodies[0]!)).toMatchObject({ outcome: "failed" });
      expect(nock.pendingMocks()).toEqual([]);
    });
  }
});
