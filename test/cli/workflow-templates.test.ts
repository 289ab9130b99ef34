import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { evaluate } from "../support/actions-expression.js";

// The workflow templates users copy: pinned, least privilege, no job for events that cannot
// concern Conveyor, and the schema line of the generated config resolving to a shipped file.

const root = new URL("../..", import.meta.url).pathname;
const read = (p: string) => readFileSync(join(root, p), "utf8");
const TEMPLATES = [".github/workflows/conveyor.yml", ".github/workflows/conveyor-agent.yml"];
const ALL = [...TEMPLATES, ".github/workflows/ci.yml"];

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  if?: string;
  permissions?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, { types?: string[]; workflows?: string[] } | { cron: string }[] | null>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const workflow = (p: string) => parse(read(p)) as Workflow;
/** `${{ … }}` as written in a workflow. */
const expr = (inner: string) => `\${{ ${inner} }}`;

describe("the workflow templates", () => {
  it.each(ALL)("%s pins every third-party action by commit SHA, with its version", (p) => {
    const lines = read(p)
      .split("\n")
      .filter((l) => /^\s*(-\s+)?uses:/.test(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const uses = line.replace(/^\s*(-\s+)?uses:\s*/, "");
      if (uses.startsWith("./") || uses.startsWith("conveyor-dev/conveyor@v1")) continue;
      expect(uses).toMatch(/^[\w-]+\/[\w-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    }
  });

  it.each(ALL)("%s grants nothing by default and least privilege per job", (p) => {
    const w = workflow(p);
    expect(w.permissions).toEqual({});
    for (const job of Object.values(w.jobs)) {
      expect(job.permissions).toBeDefined();
      for (const level of Object.values(job.permissions ?? {}))
        expect(["read", "write"]).toContain(level);
      expect(Object.keys(job.permissions ?? {})).not.toContain("workflows");
    }
  });

  it.each(ALL)("%s leaves no credentials in .git/config and expands nothing in scripts", (p) => {
    for (const job of Object.values(workflow(p).jobs))
      for (const step of job.steps) {
        if (step.uses?.startsWith("actions/checkout@"))
          expect(step.with?.["persist-credentials"]).toBe(false);
        if (step.run) expect(step.run).not.toContain("${{");
      }
  });

  it("the agent's checkout is shallow for the task agent, and the reviewer installs nothing", () => {
    const steps = workflow(".github/workflows/conveyor-agent.yml").jobs.agent?.steps ?? [];
    const checkout = steps.find((s) => s.uses?.startsWith("actions/checkout@"));
    expect(checkout?.with?.["fetch-depth"]).toBe(expr("inputs.mode == 'task' && 1 || 0"));
    const setup = steps.find((s) => s.uses?.startsWith("actions/setup-node@")) as Step & {
      if?: string;
    };
    expect(setup?.if).toContain("inputs.mode != 'review'");
    expect(String(setup?.with?.cache)).toContain("'npm'");
    const token = steps.find((s) => s.uses?.startsWith("actions/create-github-app-token@"));
    expect(token?.with).toMatchObject({
      repositories: expr("github.event.repository.name"),
      "permission-contents": "write",
      "permission-pull-requests": "write",
      "permission-issues": "write",
      "permission-checks": "write",
    });
    expect(Object.keys(token?.with ?? {})).not.toContain("permission-workflows");
  });

  it("the agent's job summary says what share of the job the start-up took", () => {
    const steps = workflow(".github/workflows/conveyor-agent.yml").jobs.agent?.steps ?? [];
    const names = steps.map((s) => s.name ?? s.uses ?? "");
    // The clock starts first and stops right before the agent step.
    expect(names[0]).toBe("Start the clock");
    expect(names[names.indexOf("Run the agent") - 1]).toBe("Start-up done");
    const summary = steps.find((s) => s.name === "Start-up share in the job summary")!;
    const dir = mkdtempSync(join(tmpdir(), "conveyor-summary-"));
    try {
      const file = join(dir, "summary.md");
      const now = Math.floor(Date.now() / 1000);
      execFileSync("bash", ["-c", summary.run!], {
        env: {
          PATH: process.env.PATH ?? "",
          GITHUB_STEP_SUMMARY: file,
          CORRELATION_ID: "12/task/0/1",
          CONVEYOR_T0: String(now - 100),
          CONVEYOR_T1: String(now - 25),
        },
      });
      const text = readFileSync(file, "utf8");
      expect(text).toContain("### Conveyor run `12/task/0/1`");
      const row = /\| start-up [^|]+\| (\d+) \| (\d+)% \|/.exec(text);
      expect(Number(row?.[1])).toBe(75);
      expect(Number(row?.[2])).toBeGreaterThanOrEqual(73);
      expect(Number(row?.[2])).toBeLessThanOrEqual(75);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the orchestrator wakes on completed agent runs only, and every 15 minutes", () => {
    const w = workflow(".github/workflows/conveyor.yml");
    expect(w.on.workflow_run).toEqual({ workflows: ["Conveyor agent"], types: ["completed"] });
    expect(w.on.schedule).toEqual([{ cron: "*/15 * * * *" }]);
  });
});

describe("the orchestrator's job-level filter", () => {
  const condition = workflow(".github/workflows/conveyor.yml").jobs.reconcile?.if ?? "";
  const runs = (github: Record<string, unknown>) =>
    evaluate(condition, { github: { repository: "o/r", ...github } });
  const issue = (labels: string[], label?: string) => ({
    event_name: "issues",
    event: {
      issue: { labels: labels.map((name) => ({ name })) },
      ...(label ? { label: { name: label } } : {}),
    },
  });
  const comment = (body: string, type = "User") => ({
    event_name: "issue_comment",
    event: { comment: { body, user: { type } }, issue: { labels: [] } },
  });
  const pr = (ref: string, repo = "o/r", event_name = "pull_request", sender = "User") => ({
    event_name,
    event: { pull_request: { head: { ref, repo: { full_name: repo } } }, sender: { type: sender } },
  });

  it.each([
    ["a conveyor issue edited", issue(["bug", "conveyor:review"]), true],
    ["the todo label added", issue(["conveyor:todo"], "conveyor:todo"), true],
    ["the todo label removed", issue([], "conveyor:todo"), true],
    ["a priority label added", issue(["priority:high"], "priority:high"), true],
    ["an unrelated issue labelled", issue(["bug"], "bug"), false],
    ["an unrelated issue opened", issue([]), false],
    ["a /conveyor command", comment("/conveyor retry"), true],
    ["a chat comment", comment("looks good to me"), false],
    // Who may give a command is the pass's check (permissions.allowBots for bots).
    ["a bot's command", comment("/conveyor retry", "Bot"), true],
    ["a Conveyor PR pushed", pr("conveyor/12-fix-cart"), true],
    ["a review on a Conveyor PR", pr("conveyor/12-fix-cart", "o/r", "pull_request_review"), true],
    ["another PR", pr("feature/x"), false],
    ["a fork's PR on a conveyor/ branch", pr("conveyor/1-x", "evil/r"), false],
    // Agents pushing with an app token: their own PR and review events; each run's end
    // starts a pass anyway.
    [
      "an agent (a bot) pushing to its PR",
      pr("conveyor/12-fix-cart", "o/r", "pull_request", "Bot"),
      false,
    ],
    [
      "an agent (a bot) submitting its review",
      pr("conveyor/12-fix-cart", "o/r", "pull_request_review", "Bot"),
      false,
    ],
    [
      "a completed agent run",
      { event_name: "workflow_run", event: { workflow_run: { repository: { full_name: "o/r" } } } },
      true,
    ],
    ["the schedule", { event_name: "schedule", event: {} }, true],
    ["a manual run", { event_name: "workflow_dispatch", event: {} }, true],
  ])("%s → job: %s", (_name, github, expected) => {
    expect(runs(github as Record<string, unknown>)).toBe(expected);
  });
});

describe("the generated conveyor.yml", () => {
  it("names a schema URL of the release tag the workflows use, for a file the package ships", () => {
    const first = read("templates/conveyor.yml").split("\n")[0] ?? "";
    const m = first.match(
      /^# yaml-language-server: \$schema=https:\/\/raw\.githubusercontent\.com\/conveyor-dev\/conveyor\/(v\d+)\/(.+)$/,
    );
    expect(m).not.toBeNull();
    const [, tag, path] = m ?? [];
    expect(existsSync(join(root, path ?? ""))).toBe(true);
    const files = (JSON.parse(read("package.json")) as { files: string[] }).files;
    expect(files.some((f) => path === f || path?.startsWith(`${f}/`))).toBe(true);
    for (const p of TEMPLATES) expect(read(p)).toContain(`conveyor-dev/conveyor@${tag}`);
  });
});
