import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { git } from "../../src/agent/git.js";
import { basicAuthHeader, safeGitArgs } from "../../src/agent/safe-git-env.js";
import { WorkspaceGit } from "../../src/agent/workspace-git.js";
import { git as localGit, userIdentity } from "../../src/local/git/git.js";
import { openLocalRepo } from "../../src/local/repo/local-repo.js";

/**
 * Conveyor's own git calls cannot be steered by what the agent's shell wrote outside the
 * repository (its `~/.gitconfig`, `~/.config/git/attributes`), and never publish the push
 * credentials in an error.
 */
const TOKEN = "ghs_pushTokenThatMustNotLeak1234";
const API_KEY = "sk-ant-api-key-that-must-not-leak";

let root: string;
let home: string;
let repo: string;
let marker: string;

const sh = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, {
    cwd,
    env: { PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: "1" },
    encoding: "utf8",
  });

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "safe-git-"));
  home = join(root, "home");
  repo = join(root, "repo");
  marker = join(root, "ran");
  mkdirSync(join(home, ".config", "git"), { recursive: true });
  mkdirSync(repo);
  sh(repo, "init", "-q", "-b", "main");
  sh(
    repo,
    "-c",
    "user.name=T",
    "-c",
    "user.email=t@x",
    "commit",
    "-q",
    "--allow-empty",
    "-m",
    "init",
  );
  // What a prompt-injected shell writes: a clean filter for every file that prints the
  // environment, an attributes file that applies it, an fsmonitor and a hook of its own.
  const leak = join(home, "filter.sh");
  writeFileSync(leak, `#!/bin/sh\nenv >> ${marker}\ncat\n`, { mode: 0o755 });
  writeFileSync(
    join(home, ".gitconfig"),
    [
      "[user]\n\tname = Jo User\n\temail = jo@example.com",
      `[filter "evil"]\n\tclean = ${leak}\n\tsmudge = ${leak}\n\trequired = true`,
      `[core]\n\tattributesFile = ${join(home, "attributes")}`,
      `\tfsmonitor = ${join(home, "fsmonitor.sh")}`,
      `\thooksPath = ${join(home, "hooks")}`,
      "",
    ].join("\n"),
  );
  writeFileSync(join(home, "attributes"), "* filter=evil\n");
  writeFileSync(join(home, ".config", "git", "attributes"), "* filter=evil\n");
  writeFileSync(join(home, "fsmonitor.sh"), `#!/bin/sh\nenv >> ${marker}\n`, { mode: 0o755 });
  mkdirSync(join(home, "hooks"));
  for (const hook of ["pre-commit", "post-commit", "post-checkout", "post-merge"])
    writeFileSync(join(home, "hooks", hook), `#!/bin/sh\nenv >> ${marker}\n`, { mode: 0o755 });
  vi.stubEnv("HOME", home);
  vi.stubEnv("XDG_CONFIG_HOME", join(home, ".config"));
  vi.stubEnv("INPUT_GITHUB-TOKEN", TOKEN);
  vi.stubEnv("INPUT_ANTHROPIC-API-KEY", API_KEY);
});

afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(root, { recursive: true, force: true });
});

describe("Conveyor's git and the agent's global git config", () => {
  it("the control: plain git with that home runs the planted filter", () => {
    writeFileSync(join(repo, "a.txt"), "a\n");
    sh(repo, "add", "-A");
    expect(existsSync(marker)).toBe(true);
  });

  it("commitAll runs no filter, fsmonitor or hook planted in ~/.gitconfig", async () => {
    writeFileSync(join(repo, "a.txt"), "a\n");
    const ws = await WorkspaceGit.open(repo, null);
    const head = await ws.commitAll("work");
    expect(head).toMatch(/^[0-9a-f]{40}$/);
    await ws.diff("HEAD~1");
    await ws.changedSince("HEAD~1");
    expect(existsSync(marker)).toBe(false);
    // The file went in as written (no filter touched it).
    expect(sh(repo, "show", "HEAD:a.txt")).toBe("a\n");
  });

  it("a git call sees no INPUT_* or other secret in its environment", async () => {
    const r = await git(repo, ["var", "GIT_EDITOR"]);
    expect(r.code).toBe(0);
    // `!` aliases run a shell command with git's environment: a repo alias shows what git got.
    sh(repo, "config", "alias.showenv", "!env");
    const env = await git(repo, ["showenv"]);
    expect(env.stdout).toContain("GIT_CONFIG_GLOBAL=/dev/null");
    expect(env.stdout).not.toContain(TOKEN);
    expect(env.stdout).not.toContain(API_KEY);
    expect(env.stdout).not.toContain("INPUT_");
  });

  it("local mode: no global filter either, and commits still carry the user's identity", async () => {
    expect(await userIdentity(repo)).toEqual({ name: "Jo User", email: "jo@example.com" });
    const opened = await openLocalRepo(repo, process.env);
    if (opened instanceof Error) throw opened;
    writeFileSync(join(repo, "b.txt"), "b\n");
    await localGit(repo, ["add", "b.txt"], opened.gitEnv);
    const c = await localGit(repo, ["commit", "-q", "-m", "b"], opened.gitEnv);
    expect(c.code, c.stderr).toBe(0);
    expect(existsSync(marker)).toBe(false);
    expect(sh(repo, "log", "-1", "--format=%an <%ae> / %cn <%ce>").trim()).toBe(
      "Jo User <jo@example.com> / Jo User <jo@example.com>",
    );
  });

  it("local mode keeps the repository's own hooks for Conveyor's commits", async () => {
    writeFileSync(
      join(repo, ".git", "hooks", "post-commit"),
      `#!/bin/sh\necho repo >> ${marker}\n`,
      {
        mode: 0o755,
      },
    );
    const opened = await openLocalRepo(repo, process.env);
    if (opened instanceof Error) throw opened;
    await localGit(repo, ["commit", "-q", "--allow-empty", "-m", "x"], opened.gitEnv);
    expect(readFileSync(marker, "utf8")).toBe("repo\n");
  });
});

describe("the push credentials", () => {
  const config = () => ({ "http.https://github.com/.extraheader": basicAuthHeader(TOKEN) });
  const b64 = Buffer.from(`x-access-token:${TOKEN}`).toString("base64");

  it("reach git through the environment", async () => {
    const r = await git(
      repo,
      ["config", "--get", "http.https://github.com/.extraheader"],
      undefined,
      {
        config: config(),
      },
    );
    expect(r.stdout.trim()).toBe(`AUTHORIZATION: basic ${b64}`);
  });

  it("a failing fetch or push names neither the token nor its base64 form", async () => {
    sh(repo, "remote", "add", "origin", join(root, "no-such-remote.git"));
    const ws = await WorkspaceGit.open(repo, "origin", config());
    const fetchError = await ws.fetch().then(
      () => "",
      (e: Error) => e.message,
    );
    expect(fetchError).toMatch(/fetch/);
    const push = await ws.push("conveyor/1");
    expect(push.pushed).toBe(false);
    for (const text of [fetchError, push.error ?? ""]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(b64);
      expect(text).not.toContain("extraheader");
    }
  });

  it("an error that quotes the credentials is redacted", async () => {
    // A remote helper that echoes what it was given, as a verbose transport would.
    const r = await git(repo, ["config", "--get-regexp", "extraheader"], undefined, {
      config: config(),
      secrets: [TOKEN, b64],
    });
    expect(r.stdout).toContain("***");
    expect(r.stdout).not.toContain(b64);
  });
});

describe("one way to run git safely: safeGitArgs", () => {
  it("sets no attributes file, or Conveyor's own for the call, never both", () => {
    const at = (args: string[]) => args.filter((a) => a.startsWith("core.attributesFile="));
    expect(at(safeGitArgs())).toEqual(["core.attributesFile=/dev/null"]);
    expect(at(safeGitArgs({ hooks: "repo", attributesFile: "/repo/.git/conveyor-attrs" }))).toEqual(
      ["core.attributesFile=/repo/.git/conveyor-attrs"],
    );
  });
});
