import { describe, expect, it } from "vitest";
import { emptyMemory, type Stage, type TaskMemory } from "../../src/core/board.js";
import { formatStatusComment, STATUS_HEADER } from "../../src/github/format-status-comment.js";

// The status comment opens with one line of pipeline progress: the stages done, the current
// one (with a link to the run at work), the ones to do; then the details. The PR and the run
// are links, built from the server URL the runtime gives (GHE included).

const repoUrl = "https://ghe.example.com/o/r";
const runUrl = "https://ghe.example.com/o/r/actions/runs/99";
const pr = {
  number: 40,
  headSha: "a".repeat(40),
  branch: "conveyor/12-x",
  changedFiles: [],
  merged: false,
  mergeable: true,
};

function running(role: "task" | "reviewer" | "tester"): TaskMemory {
  return {
    ...emptyMemory(),
    runs: 1,
    run: {
      role,
      attempt: 0,
      correlationId: `12/${role}/0/1`,
      dispatchedAt: "2026-12-01T00:00:00Z",
    },
  };
}

function progressLine(body: string): string {
  const lines = body.split("\n");
  expect(lines[0]).toBe(STATUS_HEADER);
  const first = lines.slice(1).find((l) => l.trim() !== "");
  return first ?? "";
}

const ORDER = ["Todo", "In progress", "Review", "Testing", "Merge queue", "Done"];

describe("the status comment's progress line", () => {
  it("comes first, before the details table, and lists every stage in pipeline order", () => {
    const body = formatStatusComment({ id: "12", stage: "review", pr }, running("reviewer"), {
      runUrl,
      repoUrl,
    });
    const line = progressLine(body);
    expect(line.startsWith("|")).toBe(false);
    const at = ORDER.map((s) => line.indexOf(s));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(body.indexOf(line)).toBeLessThan(body.indexOf("| --- |"));
  });

  it("marks stages before the current one done, the current one with its run link, later ones to do", () => {
    const line = progressLine(
      formatStatusComment({ id: "12", stage: "testing", pr }, running("tester"), {
        runUrl,
        repoUrl,
      }),
    );
    const parts = line.split(" → ");
    expect(parts).toHaveLength(6);
    const [todo, inProgress, review, testing, queue, done] = parts as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    for (const p of [todo, inProgress, review]) expect(p).toMatch(/^✅/);
    expect(testing).toContain("**Testing**");
    expect(testing).toContain(`(${runUrl})`);
    for (const p of [queue, done]) expect(p).toMatch(/^⬜/);
  });

  it("shows the current stage without a link when no agent is at work", () => {
    const stages: Stage[] = ["todo", "merge-queue"];
    for (const stage of stages) {
      const line = progressLine(
        formatStatusComment({ id: "12", stage }, emptyMemory(), { repoUrl }),
      );
      expect(line).not.toContain("](");
    }
  });

  it("marks an escalated task's current stage", () => {
    const memory = {
      ...emptyMemory(),
      escalation: { reason: "stuck", at: "x", stage: "review" as const },
    };
    const line = progressLine(
      formatStatusComment({ id: "12", stage: "review", pr }, memory, { repoUrl }),
    );
    expect(line).toMatch(/⚠️? \*\*Review\*\* \(escalated\)/);
  });

  it("shows every stage done once the task is done, and says so when abandoned", () => {
    const done = progressLine(formatStatusComment({ id: "12", stage: "done" }, emptyMemory(), {}));
    expect(done.split(" → ").every((p) => p.startsWith("✅"))).toBe(true);
    const abandoned = progressLine(
      formatStatusComment({ id: "12", stage: "abandoned" }, emptyMemory(), {}),
    );
    expect(abandoned.toLowerCase()).toContain("abandoned");
  });
});

describe("the status comment's links", () => {
  it("links the PR on the server given, never on a hard-coded github.com", () => {
    const body = formatStatusComment({ id: "12", stage: "review", pr }, running("reviewer"), {
      runUrl,
      repoUrl,
    });
    expect(body).toContain(`[#40](${repoUrl}/pull/40)`);
    expect(body).toContain(`(${runUrl})`);
    expect(body).not.toContain("https://github.com");
  });

  it("falls back to GitHub's own #-reference when no server URL is given", () => {
    const body = formatStatusComment({ id: "12", stage: "review", pr }, emptyMemory(), {});
    expect(body).toContain("| Pull request | #40 |");
    expect(body).not.toContain("https://github.com");
  });
});
