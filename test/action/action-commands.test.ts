/**
 * The orchestrator Action answers `/conveyor` commands as the app does (issue 11): its
 * escalation comments offer them. A real `issue_comment.created` payload from
 * `@octokit/webhooks-examples` in GITHUB_EVENT_PATH; the comment read back by id, the
 * permission checked, the command applied before the pass.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Octokit } from "@octokit/rest";
import type { WebhookDefinition } from "@octokit/webhooks-examples";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runAction } from "../../src/action/run-action.js";
import { type CommentCommand, runOrchestrate } from "../../src/github/orchestrate.js";
import { FakeGitHub } from "../support/fake-github/index.js";

const examples = createRequire(import.meta.url)(
  "@octokit/webhooks-examples",
) as WebhookDefinition[];

function commentPayload(body: string, login: string, issue: number) {
  const def = examples.find((d) => d.name === "issue_comment");
  const found = def?.examples.find((e) => (e as { action?: string }).action === "created");
  const p = structuredClone(found) as unknown as Record<string, Record<string, unknown>>;
  p.comment!.body = body;
  p.comment!.id = 555;
  p.issue!.number = issue;
  p.sender = { ...p.sender, login, type: "User" };
  return p;
}

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

describe("the orchestrator Action and /conveyor comments", () => {
  it("an issue_comment run hands the comment's command to the pass", async () => {
    const dir = mkdtempSync(join(tmpdir(), "conveyor-event-"));
    const path = join(dir, "event.json");
    writeFileSync(path, JSON.stringify(commentPayload("/conveyor retry", "Codertocat", 7)));
    const seen: (CommentCommand | undefined)[] = [];
    await runAction({
      getInput: (name) => ({ mode: "orchestrate", "github-token": "ghs_x" })[name] ?? "",
      env: {
        GITHUB_REPOSITORY: "Codertocat/Hello-World",
        GITHUB_EVENT_NAME: "issue_comment",
        GITHUB_EVENT_PATH: path,
      },
      cwd: dir,
      log: () => {},
      runOrchestrate: async (o) => {
        seen.push(o.command);
        return { summary: "" };
      },
    });
    expect(seen).toEqual([
      {
        issue: 7,
        commentId: 555,
        body: "/conveyor retry",
        actor: { login: "Codertocat", type: "User" },
      },
    ]);
  });

  const octokit = () => new Octokit({ auth: "t", request: { retries: 0 } });

  it("a maintainer's command is applied before the pass, every request through the port", async () => {
    const gh = new FakeGitHub({ botLogin: "github-actions[bot]" });
    const issue = gh.addIssue({ title: "Add a thing", labels: ["conveyor:todo", "priority:low"] });
    const c = gh.addComment(issue, "/conveyor priority high", "boss");
    gh.permissions.set("boss", "admin");
    const out = await runOrchestrate({
      octokit: octokit(),
      port: gh,
      owner: "o",
      repo: "r",
      configPath: "",
      dryRun: false,
      log: () => {},
      now: gh.now,
      command: {
        issue,
        commentId: c.id,
        body: "/conveyor priority high",
        actor: { login: "boss", type: "User" },
      },
    });
    expect(out.command).toBe("accepted");
    expect(gh.issue(issue).labels).toContain("priority:high");
    expect(gh.issue(issue).labels).not.toContain("priority:low");
    expect(gh.reactions).toEqual([`${c.id}:+1`]);
    // The command was planned against the pass's own load: one board read in the run.
    expect(gh.calls.filter((l) => l.startsWith("GET base main"))).toHaveLength(1);
  });

  it("a reader's command is refused with the reason, and changes nothing", async () => {
    const gh = new FakeGitHub({ botLogin: "github-actions[bot]" });
    const issue = gh.addIssue({ title: "Add a thing", labels: ["conveyor:todo", "priority:low"] });
    const c = gh.addComment(issue, "/conveyor priority high", "mallory");
    gh.permissions.set("mallory", "read");
    const out = await runOrchestrate({
      octokit: octokit(),
      port: gh,
      owner: "o",
      repo: "r",
      configPath: "",
      dryRun: false,
      log: () => {},
      now: gh.now,
      command: {
        issue,
        commentId: c.id,
        body: "/conveyor priority high",
        // The payload may claim anyone: the comment read back by id decides.
        actor: { login: "boss", type: "User" },
      },
    });
    expect(out.command).toBe("refused");
    expect(
      gh
        .commentsOn(issue)
        .filter((x) => x.author === "github-actions[bot]" && x.body.startsWith("@"))
        .map((x) => x.body),
    ).toEqual([
      "@mallory I did not run `/conveyor priority`: this needs at least `write` permission on the repository, and @mallory has `read`.",
    ]);
    expect(gh.issue(issue).labels).toContain("priority:low");
  });
});
