import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { repoOfRemote } from "../../src/cli/commands/doctor.js";
import { doctorOctokit, type Finding, githubChecks, localChecks } from "../../src/cli/doctor.js";
import { runCli } from "../../src/cli/run-cli.js";
import { loadGitHubSpec, OpenApiRecorder } from "../github/openapi-check.js";

const tmp = mkdtempSync(join(tmpdir(), "conveyor-doctor-"));
const API = "https://api.github.com";
const R = "/repos/acme/widgets";
const recorder = new OpenApiRecorder(loadGitHubSpec());
const gitPath = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();

/** A folder on PATH holding git and the given fake programs (shell scripts). */
function bin(name: string, programs: Record<string, string>): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  symlinkSync(gitPath, join(dir, "git"));
  for (const [p, script] of Object.entries(programs)) {
    writeFileSync(join(dir, p), `#!/bin/sh\n${script}\n`);
    chmodSync(join(dir, p), 0o755);
  }
  return dir;
}

/** The environment of a user without any git configuration. */
function envWith(path: string): NodeJS.ProcessEnv {
  return { PATH: path, HOME: tmp, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" };
}

function repo(name: string, identity: boolean): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  const g = (...args: string[]) =>
    execFileSync("git", args, { cwd: dir, env: envWith(process.env.PATH ?? "") });
  g("init", "-q", "-b", "main");
  if (identity) {
    g("config", "user.name", "Ada");
    g("config", "user.email", "ada@example.com");
  }
  return dir;
}

const find = (fs: Finding[], check: string) => fs.filter((f) => f.check === check);

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
  recorder.assertClean();
  recorder.problems.length = 0;
  recorder.requests.length = 0;
});
afterAll(() => {
  nock.enableNetConnect();
  rmSync(tmp, { recursive: true, force: true });
});

describe("conveyor doctor: this machine", () => {
  it("all good: Node, identity, worktrees, a working bubblewrap, a valid config", async () => {
    const dir = repo("good", true);
    mkdirSync(join(dir, ".github"));
    writeFileSync(join(dir, ".github/conveyor.yml"), "capacity:\n  agents: 3\n");
    const path = bin("good-bin", { bwrap: "exit 0", socat: "exit 0" });
    const r = await localChecks(dir, envWith(path), "20.20.2");
    expect(r.findings.filter((f) => f.status !== "ok")).toEqual([]);
    expect(r.config.capacity.agents).toBe(3);
  });

  it("names each problem with its fix", async () => {
    const dir = repo("bad", false);
    mkdirSync(join(dir, ".github"));
    writeFileSync(join(dir, ".github/conveyor.yml"), "capacity:\n  agents: 0\n");
    // A worktree whose folder was deleted by hand.
    const g = (...args: string[]) =>
      execFileSync("git", args, { cwd: dir, env: envWith(process.env.PATH ?? "") });
    g("-c", "user.name=x", "-c", "user.email=x@x", "commit", "-q", "--allow-empty", "-m", "init");
    g("worktree", "add", "-q", join(dir, ".worktrees", "T1"), "-b", "T1");
    rmSync(join(dir, ".worktrees", "T1"), { recursive: true });
    const path = bin("apparmor-bin", {
      bwrap: "echo 'bwrap: setting up uid map: Permission denied' >&2; exit 1",
    });
    const r = await localChecks(dir, envWith(path), "18.19.0");
    const by = (check: string) => find(r.findings, check)[0];
    expect(by("node")).toMatchObject({ status: "problem", fix: "install Node 20 or newer" });
    expect(by("git identity")?.status).toBe("problem");
    expect(by("git identity")?.detail).toContain("user.name and user.email");
    expect(by("worktrees")).toMatchObject({ status: "warn", fix: "git worktree prune" });
    expect(by("sandbox")?.detail).toContain("Permission denied");
    expect(by("sandbox")?.fix).toContain("kernel.apparmor_restrict_unprivileged_userns=0");
    expect(by("sandbox network")?.fix).toContain("socat");
    expect(by("config")?.status).toBe("problem");
    expect(by("config")?.detail).toContain("capacity.agents");
  });

  it("no bubblewrap at all: the sandbox check says how to install it", async () => {
    const dir = repo("nobwrap", true);
    const r = await localChecks(dir, envWith(bin("bare-bin", {})), "20.20.2");
    expect(find(r.findings, "sandbox")[0]).toMatchObject({ status: "problem" });
    expect(find(r.findings, "sandbox")[0]?.fix).toContain("apt-get install bubblewrap socat");
  });

  it("reads the repository from the origin remote", () => {
    expect(repoOfRemote("https://github.com/acme/widgets.git")).toBe("acme/widgets");
    expect(repoOfRemote("git@github.com:acme/widgets.git\n")).toBe("acme/widgets");
    expect(repoOfRemote("https://gitlab.com/acme/widgets")).toBeUndefined();
  });
});

/** GitHub answering for acme/widgets; each part replaceable. */
function github(parts: {
  config?: string | null;
  agentWorkflow?: boolean;
  labels?: string[];
  canApprove?: boolean | "forbidden";
  protection?: Record<string, unknown> | null;
  rules?: unknown[];
  created?: string[];
}) {
  const scope = nock(API);
  recorder.attach(scope);
  scope.get(R).reply(200, { default_branch: "main", full_name: "acme/widgets" });
  const contents = scope.get(`${R}/contents/.github%2Fconveyor.yml`).query({ ref: "main" });
  if (parts.config === null || parts.config === undefined)
    contents.reply(404, { message: "Not Found" });
  else contents.reply(200, parts.config);
  scope
    .get(`${R}/contents/.github%2Fworkflows%2Fconveyor.yml`)
    .query({ ref: "main" })
    .reply(200, { type: "file" });
  scope
    .get(`${R}/contents/.github%2Fworkflows%2Fconveyor-agent.yml`)
    .query({ ref: "main" })
    .reply(parts.agentWorkflow === false ? 404 : 200, { type: "file" });
  scope
    .get(`${R}/labels`)
    .query({ per_page: "100" })
    .reply(
      200,
      (parts.labels ?? []).map((name, id) => ({ id, name, color: "ffffff" })),
    );
  for (const name of parts.created ?? [])
    scope
      .post(`${R}/labels`, (b: { name: string }) => b.name === name)
      .reply(201, { id: 99, name, color: "ffffff" });
  if (parts.canApprove === "forbidden")
    scope
      .get(`${R}/actions/permissions/workflow`)
      .reply(403, { message: "Must have admin rights" });
  else
    scope.get(`${R}/actions/permissions/workflow`).reply(200, {
      default_workflow_permissions: "read",
      can_approve_pull_request_reviews: parts.canApprove ?? true,
    });
  if (parts.protection === null || parts.protection === undefined)
    scope.get(`${R}/branches/main/protection`).reply(404, { message: "Branch not protected" });
  else scope.get(`${R}/branches/main/protection`).reply(200, parts.protection);
  scope
    .get(`${R}/rules/branches/main`)
    .query({ per_page: "100" })
    .reply(200, parts.rules ?? []);
  return scope;
}

const ALL_LABELS = [
  "conveyor:todo",
  "priority:critical",
  "priority:high",
  "priority:medium",
  "priority:low",
];
const octokit = () => doctorOctokit("ghs_test", API);

describe("conveyor doctor: the repository on GitHub (nock, OpenAPI-checked)", () => {
  it("a complete setup: nothing to fix", async () => {
    github({
      config: "merge:\n  method: squash\n",
      labels: ALL_LABELS,
      rules: [
        { type: "required_linear_history", ruleset_id: 1 },
        {
          type: "required_status_checks",
          ruleset_id: 1,
          parameters: { required_status_checks: [{ context: "conveyor/test" }] },
        },
      ],
    });
    const fs = await githubChecks(octokit(), "acme", "widgets", { fix: false });
    expect(fs.filter((f) => f.status !== "ok")).toEqual([]);
    expect(recorder.requests).toHaveLength(8);
  });

  it("finds what the first hour trips over, each with its fix", async () => {
    github({
      config: "bogus: 1\n",
      agentWorkflow: false,
      labels: ["bug", "priority:high"],
      canApprove: false,
      protection: {
        url: "x",
        required_pull_request_reviews: { required_approving_review_count: 1 },
        required_linear_history: { enabled: true },
      },
    });
    const fs = await githubChecks(octokit(), "acme", "widgets", { fix: false });
    const problems = fs.filter((f) => f.status === "problem").map((f) => f.check);
    expect(problems).toEqual(
      expect.arrayContaining(["config", "workflow", "workflow permissions", "branch protection"]),
    );
    const text = fs.map((f) => `${f.detail} | ${f.fix ?? ""}`).join("\n");
    expect(text).toContain("conveyor-agent.yml is missing on main: no agent can run");
    expect(text).toContain("Allow GitHub Actions to create and approve pull requests");
    expect(text).toMatch(
      /requires a pull request with 1 approval: its merges and the tracking-file commit/,
    );
    expect(text).toContain("merge.method: squash");
    expect(text).toContain("require the check conveyor/test");
    expect(find(fs, "labels")[0]).toMatchObject({
      status: "warn",
      fix: "conveyor doctor --fix creates them",
    });
    expect(find(fs, "labels")[0]?.detail).toContain(
      "conveyor:todo, priority:critical, priority:medium, priority:low",
    );
  });

  it("--fix creates the missing labels", async () => {
    github({
      labels: ["priority:critical", "priority:high", "priority:medium"],
      created: ["conveyor:todo", "priority:low"],
      rules: [
        {
          type: "required_status_checks",
          ruleset_id: 1,
          parameters: { required_status_checks: [{ context: "conveyor/test" }] },
        },
      ],
    });
    const fs = await githubChecks(octokit(), "acme", "widgets", { fix: true });
    expect(find(fs, "labels")[0]).toMatchObject({
      status: "ok",
      detail: "created conveyor:todo, priority:low",
    });
  });

  it("a token without admin rights: the settings it cannot read are warnings to check by hand", async () => {
    github({ labels: ALL_LABELS, canApprove: "forbidden" });
    const fs = await githubChecks(octokit(), "acme", "widgets", { fix: false });
    expect(find(fs, "workflow permissions")[0]).toMatchObject({ status: "warn" });
  });

  it("the command: exit 1 with a problem, the fixes printed", async () => {
    github({ labels: ALL_LABELS, canApprove: false });
    const dir = repo("cmd", true);
    const stdout = new PassThrough();
    let out = "";
    stdout.on("data", (c) => (out += c));
    const code = await runCli(["doctor", "--repo", "acme/widgets"], {
      stdout,
      stderr: new PassThrough(),
      cwd: dir,
      env: {
        ...envWith(bin("cmd-bin", { bwrap: "exit 0", socat: "exit 0" })),
        GH_TOKEN: "ghs_test",
        NO_COLOR: "1",
      },
    });
    expect(code).toBe(1);
    expect(out).toContain("On GitHub:");
    expect(out).toMatch(/FAIL {2}workflow permissions: GITHUB_TOKEN may not create pull requests/);
    expect(out).toContain(
      'fix: Settings → Actions → General → Workflow permissions: tick "Allow GitHub Actions',
    );
  });
});
