import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/run-cli.js";
import { parseConfig } from "../../src/core/config.js";
import { parseTrackingFiles } from "../../src/core/markdown/index.js";
import { cleanup, GIT_ENV, gitSync, makeRepo } from "./temp-repo.js";

let dir = "";
afterEach(() => {
  if (dir) cleanup(dir);
  dir = "";
});

async function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = GIT_ENV) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  stderr.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const code = await runCli(args, { stdout, stderr, cwd, env });
  return { code, out, err };
}

const noKey = () => {
  const env: NodeJS.ProcessEnv = { ...GIT_ENV };
  delete env.ANTHROPIC_API_KEY;
  delete env.ANTHROPIC_BASE_URL;
  return env;
};

describe("conveyor init", () => {
  it("writes a valid commented config and empty tracking files; the workflow templates only with --github", async () => {
    dir = makeRepo({ "README.md": "x\n" });
    const r = await cli(["init"], dir);
    expect(r.code).toBe(0);
    expect(r.out.split("\n").filter((l) => l.startsWith("wrote"))).toEqual([
      "wrote .github/conveyor.yml",
      "wrote TODO.md",
      "wrote IN_PROGRESS.md",
      "wrote REVIEW.md",
      "wrote TESTING.md",
      "wrote CHANGELOG.md",
    ]);
    expect(existsSync(join(dir, ".github/workflows"))).toBe(false);
    expect(r.out).toContain("export ANTHROPIC_API_KEY=…  &&  npx @conveyor-dev/conveyor run");
    expect(r.out).toContain(
      "npx @conveyor-dev/conveyor init --github writes the workflow templates",
    );
    const gh = await cli(["init", "--github"], dir);
    expect(gh.out.split("\n").filter((l) => l.startsWith("wrote"))).toEqual([
      "wrote .github/workflows/conveyor.yml",
      "wrote .github/workflows/conveyor-agent.yml",
    ]);
    expect(gh.out).toContain("On GitHub: add the ANTHROPIC_API_KEY secret");
    expect(parseConfig(readFileSync(join(dir, ".github/conveyor.yml"), "utf8")).ok).toBe(true);
    const files = Object.fromEntries(
      ["TODO.md", "IN_PROGRESS.md", "REVIEW.md", "TESTING.md"].map((f) => [
        f,
        readFileSync(join(dir, f), "utf8"),
      ]),
    );
    expect(parseTrackingFiles(files).errors).toEqual([]);
    expect(existsSync(join(dir, ".github/workflows/conveyor-agent.yml"))).toBe(true);
    // A second init keeps everything as it is.
    const again = await cli(["init", "--github"], dir);
    expect(again.out).toContain("kept  TODO.md (already there)");
    expect(again.out).not.toContain("wrote");
  });

  it("fits its next steps to the configured runner", async () => {
    dir = makeRepo({ ".github/conveyor.yml": "agent:\n  runner: command\n  command: my-agent\n" });
    const r = await cli(["init"], dir);
    expect(r.out).toContain("kept  .github/conveyor.yml (already there)");
    expect(r.out).toContain("npx @conveyor-dev/conveyor run   (the agents run agent.command");
    expect(r.out).not.toContain("ANTHROPIC_API_KEY");
  });

  it("outside a git repository says what to do", async () => {
    const r = await cli(["init"], "/");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not inside a git repository: run `git init -b main` first/);
  });
});

describe("conveyor run", () => {
  it("without a key or an agent command exits 2 and says exactly what to set", async () => {
    dir = makeRepo({ "TODO.md": "# TODO\n\n- A task\n" });
    const r = await cli(["run", "--until-idle"], dir, noKey());
    expect(r.code).toBe(2);
    expect(r.err).toMatchInlineSnapshot(`
      "conveyor run: no model to run the agents with. Set one of:
        - ANTHROPIC_API_KEY=<your key> (and optionally ANTHROPIC_BASE_URL) for the built-in agent loop, or
        - in .github/conveyor.yml: agent: { runner: command, command: "<your agent CLI, reads the prompt on stdin>" }
      Try it offline first: npm run demo
      "
    `);
    expect(gitSync(dir, "log", "--format=%s")).toBe("initial");
  });

  it("with an invalid configuration exits 2 and lists the bad keys", async () => {
    dir = makeRepo({
      "TODO.md": "# TODO\n",
      ".github/conveyor.yml": "capacity:\n  agents: 0\n  robots: 3\n",
    });
    const r = await cli(["run", "--until-idle"], dir, { ...noKey(), ANTHROPIC_API_KEY: "k" });
    expect(r.code).toBe(2);
    expect(r.err).toContain("the configuration is invalid, nothing was started");
    expect(r.err).toContain("`capacity.robots`: unknown key (allowed: agents, inFlight)");
  });

  it("refuses to run beside another conveyor run on the same repository", async () => {
    dir = makeRepo({ "TODO.md": "# TODO\n" });
    const other = spawn("sh", ["-c", "sleep 30", "conveyor-run"], { stdio: "ignore" });
    try {
      mkdirSync(join(dir, ".conveyor"), { recursive: true });
      writeFileSync(join(dir, ".conveyor", "run.lock"), String(other.pid));
      const r = await cli(["run", "--until-idle"], dir, { ...noKey(), ANTHROPIC_API_KEY: "k" });
      expect(r.code).toBe(1);
      expect(r.err).toContain(
        `another conveyor run (pid ${other.pid}) is working on this repository`,
      );
    } finally {
      other.kill("SIGKILL");
    }
  });

  it("refuses a main work tree that is not on the base branch", async () => {
    dir = makeRepo({ "TODO.md": "# TODO\n", ".github/conveyor.yml": "baseBranch: main\n" });
    gitSync(dir, "switch", "-q", "-c", "feature");
    const r = await cli(["run", "--until-idle"], dir, { ...noKey(), ANTHROPIC_API_KEY: "k" });
    expect(r.code).toBe(2);
    expect(r.err).toContain("run `git switch main`");
  });
});

describe("conveyor status, retry, abandon", () => {
  it("shows the board and records an abandoned task in CHANGELOG.md", async () => {
    dir = makeRepo({
      "TODO.md": "# TODO\n\n- [high] Keep me\n- Drop me\n",
      "CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n",
    });
    const status = await cli(["status"], dir);
    expect(status.code).toBe(0);
    expect(status.out).toContain("T1    todo   -     -    -        0       Keep me");
    expect(status.out).toContain("Agents: 0/6 · in flight: 0/6");
    const retry = await cli(["retry", "T9"], dir);
    expect(retry.code).toBe(1);
    expect(retry.err).toContain("T9 is not a Conveyor task");
    const noReason = await cli(["abandon", "T2"], dir);
    expect(noReason.code).toBe(2);
    const abandon = await cli(["abandon", "T2", "--reason", "out of scope"], dir);
    expect(abandon.code).toBe(0);
    expect(abandon.out).toContain("Abandoned T2: out of scope. Recorded in CHANGELOG.md.");
    expect(readFileSync(join(dir, "CHANGELOG.md"), "utf8")).toContain(
      "- Abandoned T2: Drop me — out of scope",
    );
    expect(readFileSync(join(dir, "TODO.md"), "utf8")).not.toContain("Drop me");
    expect(gitSync(dir, "status", "--porcelain")).toBe("");
  });
});
