import { describe, expect, it } from "vitest";
import { buildAgentEnv, scrubEnv } from "../../src/agent/scrub-env.js";

/**
 * The agent's commands get an environment built from an allowlist: nothing that steers the
 * runner's later steps, no connection string, no webhook, no proxy with a password.
 */
const runner = {
  PATH: "/usr/bin:/bin",
  HOME: "/home/runner",
  LANG: "C.UTF-8",
  LC_ALL: "C.UTF-8",
  CI: "true",
  GITHUB_ENV: "/home/runner/work/_temp/_runner_file_commands/set_env_1",
  GITHUB_PATH: "/home/runner/work/_temp/_runner_file_commands/add_path_1",
  GITHUB_OUTPUT: "/home/runner/work/_temp/_runner_file_commands/set_output_1",
  GITHUB_STATE: "/home/runner/work/_temp/_runner_file_commands/save_state_1",
  GITHUB_STEP_SUMMARY: "/home/runner/work/_temp/_runner_file_commands/step_summary_1",
  DATABASE_URL: "postgres://app:hunter2@db.internal/app",
  SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T000/B000/XXXX",
  DISCORD_HOOK: "https://discord.com/api/webhooks/1/abc",
  HTTPS_PROXY: "http://user:pa55@proxy.corp:3128",
  http_proxy: "http://proxy.corp:3128",
  "INPUT_GITHUB-TOKEN": "ghs_secret",
  "INPUT_ANTHROPIC-API-KEY": "sk-ant-secret",
  ACTIONS_RUNTIME_TOKEN: "runtime",
  ACTIONS_ID_TOKEN_REQUEST_URL: "https://token",
  MY_SERVICE_URL: "https://svc",
  JAVA_HOME: "/usr/lib/jvm/17",
  JAVA_HOME_17_X64: "/usr/lib/jvm/17",
  CARGO_HOME: "/home/runner/.cargo",
};

describe("the environment of the agent's commands", () => {
  it("passes what builds and tests need", () => {
    const env = buildAgentEnv(runner);
    for (const name of ["PATH", "HOME", "LANG", "LC_ALL", "CI", "JAVA_HOME", "CARGO_HOME"])
      expect(env[name]).toBe(runner[name as keyof typeof runner]);
    expect(env.JAVA_HOME_17_X64).toBe("/usr/lib/jvm/17");
  });

  it("keeps the runner's step files, connection strings, webhooks, proxies and inputs out", () => {
    const env = buildAgentEnv(runner);
    for (const name of [
      "GITHUB_ENV",
      "GITHUB_PATH",
      "GITHUB_OUTPUT",
      "GITHUB_STATE",
      "GITHUB_STEP_SUMMARY",
      "DATABASE_URL",
      "SLACK_WEBHOOK_URL",
      "DISCORD_HOOK",
      "HTTPS_PROXY",
      "http_proxy",
      "INPUT_GITHUB-TOKEN",
      "INPUT_ANTHROPIC-API-KEY",
      "ACTIONS_RUNTIME_TOKEN",
      "ACTIONS_ID_TOKEN_REQUEST_URL",
      "MY_SERVICE_URL",
    ])
      expect(env, name).not.toHaveProperty(name);
    expect(JSON.stringify(env)).not.toMatch(/hunter2|pa55|secret|hooks\.slack/);
  });

  it("passes the names the config lists, but never the runner's step files or inputs", () => {
    const env = buildAgentEnv(
      { ...runner, AGENT_API_KEY: "k", MY_SERVICE_URL: "https://svc" },
      { passThrough: ["AGENT_API_KEY", "MY_SERVICE_URL", "GITHUB_ENV", "INPUT_GITHUB-TOKEN"] },
    );
    expect(env.AGENT_API_KEY).toBe("k");
    expect(env.MY_SERVICE_URL).toBe("https://svc");
    expect(env).not.toHaveProperty("GITHUB_ENV");
    expect(env).not.toHaveProperty("INPUT_GITHUB-TOKEN");
  });

  it("a value with credentials in a URL stays behind even under an allowed name", () => {
    expect(buildAgentEnv({ PATH: "/bin", HOME: "https://u:p@x" })).toEqual({ PATH: "/bin" });
  });

  it("scrubEnv sets its extras on top", () => {
    expect(scrubEnv({ PATH: "/bin", TOKEN: "t" }, { CI: "true" })).toEqual({
      PATH: "/bin",
      CI: "true",
    });
  });
});

describe("the agent workflow hands agent.env its secret", () => {
  it("passes the agent-env input of the action from a repository secret", async () => {
    const { readFileSync } = await import("node:fs");
    const { parse } = await import("yaml");
    const workflow = parse(readFileSync(".github/workflows/conveyor-agent.yml", "utf8")) as {
      jobs: Record<string, { steps: { uses?: string; with?: Record<string, string> }[] }>;
    };
    const step = Object.values(workflow.jobs)
      .flatMap((j) => j.steps)
      .find((s) => s.uses?.startsWith("conveyor-dev/conveyor@"));
    expect(step?.with?.["agent-env"]).toMatch(/^\$\{\{ secrets\.[A-Z_]+ \}\}$/);
    const action = parse(readFileSync("action.yml", "utf8")) as { inputs: Record<string, unknown> };
    expect(Object.keys(action.inputs)).toContain("agent-env");
  });
});
