import { describe, expect, it } from "vitest";
import { baseVars, renderRolePrompt } from "../../src/agent/role-session.js";
import type { RunRoleOptions } from "../../src/agent/role-types.js";
import { formatFindings } from "../../src/agent/roles/reviewer-role.js";
import type { Role } from "../../src/core/config.js";
import { NO_TECH_DEBT } from "../../src/core/config.js";
import { MemoryHost } from "./support/memory-host.js";
import { configOf } from "./support/role-options.js";

const ROLES: Role[] = ["task", "reviewer", "tester"];

function prompt(
  role: Role,
  agent: Record<string, unknown> = {},
  over: Partial<RunRoleOptions> = {},
) {
  const o: RunRoleOptions = {
    role,
    workspace: "/ws",
    task: { id: "7", title: "Fix add", body: "add() subtracts", locations: ["src/math.js"] },
    attempt: 0,
    correlationId: `7/${role}/0/1`,
    branch: "conveyor/7-fix-add",
    baseBranch: "main",
    config: configOf({ agent }),
    model: "claude-sonnet-5-5",
    driver: { kind: "builtin", apiKey: "k" },
    host: new MemoryHost(),
    deadline: new Date(Date.now() + 60_000),
    ...over,
  };
  return renderRolePrompt(o, baseVars(o));
}

describe("role prompts carry the workflow templates' fields", () => {
  it.each(ROLES)("%s: Problem, Location and Required fix sections", (role) => {
    const text = prompt(role);
    expect(text).toMatch(/^## Problem/m);
    expect(text).toMatch(/^## Location\n- src\/math\.js$/m);
    expect(text).toMatch(/^## Required fix/m);
  });

  it.each(ROLES)(
    "%s: the 'leave no tech debt' line by default, the configured one, or none",
    (role) => {
      expect(prompt(role)).toContain(NO_TECH_DEBT);
      const custom = prompt(role, { noTechDebt: "Keep the public API stable." });
      expect(custom).toContain("Keep the public API stable.");
      expect(custom).not.toContain(NO_TECH_DEBT);
      expect(prompt(role, { noTechDebt: "" })).not.toContain(NO_TECH_DEBT);
    },
  );

  it("asks the reviewer for findings as Problem and Required fix, located by the comment's line", () => {
    const text = prompt("reviewer");
    expect(text).toContain("**Problem:**");
    expect(text).toContain("**Required fix:**");
    expect(text).toContain("Location");
    // An agent command gets the same form in its output contract.
    const command = prompt(
      "reviewer",
      { runner: "command", command: "my-agent" },
      {
        driver: { kind: "command", command: "my-agent" },
      },
    );
    expect(command).toMatch(/"comments".*\*\*Problem:\*\* … \*\*Required fix:\*\*/s);
  });

  it("hands the task agent the review's findings with the fields to address", () => {
    const findings = formatFindings([
      { path: "src/math.js", line: 4, body: "**Problem:** subtracts.\n**Required fix:** use +." },
    ]);
    expect(findings).toBe(
      "\n\nFindings:\n1. Location: `src/math.js:4`\n   **Problem:** subtracts.\n   **Required fix:** use +.",
    );
    const text = prompt(
      "task",
      {},
      { feedback: `The reviewer asked for changes. Review:\nNo.${findings}`, attempt: 1 },
    );
    expect(text).toContain(
      "Address every finding in it (its Problem, at its Location, with its Required fix)",
    );
    expect(text).toContain("1. Location: `src/math.js:4`");
  });
});
