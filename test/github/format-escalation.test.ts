import { describe, expect, it } from "vitest";
import { parseCommand } from "../../src/core/commands.js";
import { formatEscalation } from "../../src/github/format-escalation.js";

// The escalation comment is what a maintainer acts on: it must say where the work is (branch,
// PR, run), tell the person who scheduled the task, state the permission the repository
// really requires, and offer each of the four choices as a command that Conveyor accepts.

const where = {
  task: "9",
  branch: "conveyor/9-fix-login",
  pr: 14,
  runUrl: "https://ghe.example.com/o/r/actions/runs/777",
  repoUrl: "https://ghe.example.com/o/r",
  scheduledBy: "alice",
  permission: "maintain" as const,
};

describe("formatEscalation", () => {
  it("names the branch, links the PR and the run from the server URL given", () => {
    const body = formatEscalation("the tests failed twice", [], where);
    expect(body).toContain("`conveyor/9-fix-login`");
    expect(body).toContain("[#14](https://ghe.example.com/o/r/pull/14)");
    expect(body).toContain("(https://ghe.example.com/o/r/actions/runs/777)");
    expect(body).not.toContain("https://github.com");
  });

  it("mentions who scheduled the task", () => {
    expect(formatEscalation("stuck", [], where)).toMatch(/(^|\s)@alice\b/m);
  });

  it("uses the configured permission level, not a hard-coded one", () => {
    const body = formatEscalation("stuck", [], where);
    expect(body).toContain("maintain");
    expect(body).not.toContain("write access");
    expect(formatEscalation("stuck", [], { ...where, permission: "triage" })).toContain("triage");
  });

  it("lists the four choices, each as a command Conveyor parses", () => {
    const body = formatEscalation("stuck", [], where);
    const commands = [...body.matchAll(/`(\/conveyor [^`]*)`/g)].map((m) => m[1]!);
    const kinds = new Set(
      commands.map((c) => {
        const parsed = parseCommand(c.replace(/<[^>]+>/g, "some words"));
        expect(parsed, c).not.toBeNull();
        expect(parsed, c).not.toHaveProperty("error");
        return (parsed as { kind: string }).kind;
      }),
    );
    expect([...kinds].sort()).toEqual(["abandon", "deprioritize", "retry"]);
    for (const choice of ["manual fix", "re-scope", "deprioritize", "abandon"])
      expect(body.toLowerCase()).toContain(choice);
  });

  it("defuses mentions and markers in the reason", () => {
    const body = formatEscalation("@bob broke it <!-- x -->", [], where);
    expect(body).not.toMatch(/(^|\s)@bob\b/);
    expect(body).not.toContain("<!--");
  });

  it("still reads without the optional context (no branch, PR, run or scheduler known)", () => {
    const body = formatEscalation("stuck", [], { task: "3", permission: "write" });
    expect(body).toContain("stuck");
    expect(body).toContain("write");
    expect(body).not.toContain("undefined");
  });
});
