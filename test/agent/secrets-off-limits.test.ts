import { type ChildProcess, spawn } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { RunRoleOptions } from "../../src/agent/role-types.js";
import { runRole } from "../../src/agent/run-role.js";
import { sandboxAvailable } from "../../src/agent/shell-sandbox.js";
import { defaultConfig } from "../../src/core/config.js";
import {
  type FakeMessagesServer,
  startFakeMessagesServer,
} from "../../src/replay/fake-messages-server.js";
import { script } from "../../src/replay/script.js";
import { type Fixture, makeFixture } from "./support/git-fixture.js";
import { MemoryHost } from "./support/memory-host.js";

/**
 * The model key reaches the model client only, and the push token only Conveyor's own
 * fetch and push: a prompt-injected command of the agent finds neither, not in its
 * environment, not in any process's /proc entry, not in the workspace's git config.
 */
const API_KEY = "sk-ant-the-model-key-0123456789";
const TOKEN = "ghs_the-push-token-0123456789";
const B64 = Buffer.from(`x-access-token:${TOKEN}`).toString("base64");

let fx: Fixture;
let server: FakeMessagesServer;
let holder: ChildProcess;

beforeEach(() => {
  fx = makeFixture({ "src/math.js": "export const add = (a, b) => a - b;\n" });
  // As on the runner: the Action's inputs sit in the agent process's environment.
  vi.stubEnv("INPUT_ANTHROPIC-API-KEY", API_KEY);
  vi.stubEnv("INPUT_GITHUB-TOKEN", TOKEN);
  vi.stubEnv("GITHUB_ENV", "/tmp/runner-file-commands/set_env");
  // process.env changes do not show in /proc/<pid>/environ: a process started with them does.
  holder = spawn("sleep", ["60"], { env: { ...process.env }, stdio: "ignore" });
});
afterEach(async () => {
  vi.unstubAllEnvs();
  holder.kill("SIGKILL");
  await server?.close();
  fx.cleanup();
});

const HUNT = [
  "env",
  "cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -E 'INPUT_|sk-ant|ghs_'",
  "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' '\\n' | grep -E 'sk-ant|ghs_|basic'",
  "git config --list --show-origin",
  "cat ~/.git-credentials ~/.config/gh/hosts.yml 2>/dev/null",
  "echo hunted",
].join("; ");

describe.skipIf(!sandboxAvailable())("secrets and the agent's commands", () => {
  it("the agent's shell finds neither the model key nor the push token", async () => {
    server = await startFakeMessagesServer({
      scripts: {
        "7/task/0/1": script().bash(HUNT).finish({ summary: "looked around" }).turns(),
      },
    });
    const options: RunRoleOptions = {
      role: "task",
      workspace: fx.work,
      task: { id: "7", title: "Fix add", body: "add() subtracts", locations: [] },
      attempt: 0,
      correlationId: "7/task/0/1",
      branch: "conveyor/7-fix-add",
      baseBranch: "main",
      config: defaultConfig(),
      model: "claude-sonnet-5-5",
      driver: { kind: "builtin", apiKey: API_KEY, baseURL: server.url },
      host: new MemoryHost(),
      deadline: new Date(Date.now() + 10 * 60_000),
      remoteGitConfig: { "http.https://github.com/.extraheader": `AUTHORIZATION: basic ${B64}` },
      sleep: async () => {},
    };
    const out = await runRole(options);
    const output = out.commands[0]!.output;
    expect(output).toContain("hunted");
    for (const secret of [API_KEY, TOKEN, B64]) expect(output).not.toContain(secret);
    expect(output).not.toContain("GITHUB_ENV");
    // The model client did get the key: the fake server saw it.
    expect(JSON.stringify(server.requests[0]!.headers)).toContain(API_KEY);
  });
});
