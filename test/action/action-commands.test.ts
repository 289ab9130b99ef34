/**
 * The orchestrator Action answers `/conveyor` commands as the app does (issue 11): its
 * escalation comments offer them. A real `issue_comment.created` payload from
 * `@octokit/webhooks-examples` in GITHUB_EVENT_PATH; the comment read back by id, the
 * permission checked, the command applied before the pass.
 */
import { Octokit } from "@octokit/rest";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runOrchestrate } from "../../src/github/orchestrate.js";
import { examplePayload, orchestrateOptionsFor } from "../support/action-event.js";
import { FakeGitHub } from "../support/fake-github/index.js";

function commentPayload(body: string, login: string, issue: number) {
  const p = examplePayload("issue_comment", "created");
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
    const seen = await orchestrateOptionsFor(
      "issue_comment",
      commentPayload("/conveyor retry", "Codertocat", 7),
    );
    expect(seen.map((o) => o.command)).toEqual([
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
