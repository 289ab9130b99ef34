import { describe, expect, it } from "vitest";
import { readInputs } from "../../src/action/inputs.js";

const base: Record<string, string> = {
  mode: "task",
  issue: "7",
  "github-token": "ghs_x",
  "anthropic-api-key": "sk",
};
const read = (over: Record<string, string>) =>
  readInputs((name) => ({ ...base, ...over })[name] ?? "");

describe("action inputs", () => {
  it("applies defaults", () => {
    expect(read({})).toEqual({
      ok: true,
      inputs: {
        mode: "task",
        issue: 7,
        pr: undefined,
        attempt: 0,
        feedback: undefined,
        correlationId: undefined,
        githubToken: "ghs_x",
        anthropicApiKey: "sk",
        agentEnv: {},
        model: undefined,
        configPath: ".github/conveyor.yml",
        dryRun: false,
      },
    });
  });

  it.each([
    [{ mode: "deploy" }, "input 'mode': must be one of task, review, test, orchestrate"],
    [{ issue: "abc" }, "input 'issue': must be a number"],
    [{ issue: "" }, "input 'issue' is required for mode task"],
    [{ mode: "review" }, "input 'pr' is required for mode review"],
    [{ attempt: "-1" }, "input 'attempt': must be a whole number"],
    [{ "dry-run": "yes" }, "input 'dry-run': must be true or false"],
    [{ "github-token": "" }, "input 'github-token': is required"],
    [{ "config-path": "../secrets.yml" }, "input 'config-path': must stay inside the repository"],
    [{ "agent-env": "OPENAI_API_KEY sk-1" }, "input 'agent-env': each line must be NAME=value"],
  ])("%j → %s", (over, message) => {
    const r = read(over);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toContain(message);
  });

  it.each([
    [
      { issue: "#12", "dry-run": "TRUE", attempt: "2" },
      { issue: 12, dryRun: true, attempt: 2 },
    ],
    [
      { "agent-env": "OPENAI_API_KEY=sk-1=2\n\n  LLM_API_KEY=x\n" },
      { agentEnv: { OPENAI_API_KEY: "sk-1=2", LLM_API_KEY: "x" } },
    ],
    [
      { mode: "test", pr: "5" },
      { mode: "test", pr: 5 },
    ],
    [
      { mode: "orchestrate", issue: "" },
      { mode: "orchestrate", issue: undefined },
    ],
  ])("%j → %j", (over, expected) => {
    const r = read(over);
    expect(r.ok && r.inputs).toMatchObject(expected);
  });
});
