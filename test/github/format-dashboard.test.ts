import { describe, expect, it } from "vitest";
import type { AgentResult, Board } from "../../src/core/board.js";
import { newlyTicked, parseBox, tickedBoxes } from "../../src/core/commands.js";
import { readMarker } from "../../src/core/markers.js";
import { plan } from "../../src/core/plan.js";
import { formatDashboard } from "../../src/github/format-dashboard.js";
import { board, config, T0, task } from "../support/board-builder.js";

// The dashboard, modelled on Renovate's Dependency Dashboard: a summary line first, what needs
// a maintainer at the top with boxes to tick, empty stages collapsed, the merge queue in order,
// a Mermaid Gantt chart of the last day's agent runs, and no `#` that links a wrong issue.

const cfg = config();

function render(b: Board, extra: { previous?: string; paused?: string } = {}) {
  if (extra.paused !== undefined)
    b.repoMemory = { ...b.repoMemory, paused: true, pausedReason: extra.paused };
  return formatDashboard({
    board: b,
    plan: plan(b, cfg, T0),
    configErrors: [],
    state: { memory: b.repoMemory },
    ...(extra.previous ? { previous: extra.previous } : {}),
  });
}

/** The rendered part (no marker). */
const visible = (body: string) => body.replace(/<!--[\s\S]*?-->/g, "");

const escalation = {
  reason: "the tests failed twice",
  at: T0.toISOString(),
  stage: "testing" as const,
};

function sample(): Board {
  return board([
    task({ id: "3", stage: "todo" }),
    task({ id: "5", stage: "testing", pr: true, memory: { escalation } }),
    task({ id: "7", stage: "merge-queue", pr: true, createdAt: "2026-11-02T00:00:00.000Z" }),
    task({ id: "8", stage: "merge-queue", pr: true, priority: "high" }),
  ]);
}

describe("the dashboard", () => {
  it("starts with a one-line summary of the board", () => {
    const lines = render(sample()).split("\n");
    expect(lines[0]).toBe("# Conveyor board");
    const summary = lines[2]!;
    expect(summary).toMatch(/1 todo/);
    expect(summary).toMatch(/1 testing/);
    expect(summary).toMatch(/2 merge queue/);
    expect(summary).toMatch(/1 escalated/);
    expect(summary.includes("\n")).toBe(false);
  });

  it("puts escalations at the top, each with an unticked box naming a real command", () => {
    const body = render(sample());
    const top = body.indexOf("retry #5");
    expect(top).toBeGreaterThan(0);
    for (const heading of ["## Todo", "## Testing", "## Merge queue"])
      expect(top).toBeLessThan(body.indexOf(heading));
    const boxLine = body.split("\n").find((l) => l.includes("retry #5"))!;
    expect(boxLine).toMatch(/^- \[ \] /);
    expect(parseBox(boxLine.slice(6))).toMatchObject({ task: "5", command: { kind: "retry" } });
    expect(boxLine).toContain("the tests failed twice");
    expect(tickedBoxes(body)).toEqual([]);
  });

  it("offers resume as a box while dispatching is paused", () => {
    const body = render(sample(), { paused: "release freeze" });
    const line = body.split("\n").find((l) => l.startsWith("- [ ] resume"));
    expect(line).toContain("release freeze");
    // Ticking it is read back as the command.
    const ticked = body.replace("- [ ] resume", "- [x] resume");
    expect(newlyTicked(body, ticked).map((b) => b.command.kind)).toEqual(["resume"]);
  });

  it("collapses empty stages into one line instead of a heading each", () => {
    const body = render(sample());
    expect(body).not.toContain("## In progress");
    expect(body).not.toContain("## Review");
    expect(body).not.toContain("_None._");
    expect(body).toMatch(/_Empty: in progress, review\._/);
  });

  it("lists the merge queue in the plan's order, with positions", () => {
    const b = sample();
    // The queue as the planner ordered it (here: the later-created task first).
    const p = { ...plan(b, cfg, T0), mergeQueue: ["8", "7"] };
    const body = formatDashboard({
      board: b,
      plan: p,
      configErrors: [],
      state: { memory: b.repoMemory },
    });
    const section = body.slice(body.indexOf("## Merge queue"));
    const rows = section.split("\n").filter((l) => /^\| \d/.test(l));
    expect(rows.map((r) => /#(\d+)/.exec(r)![1])).toEqual(p.mergeQueue);
    expect(rows.map((r) => r.split("|")[1]!.trim())).toEqual(["1", "2"]);
  });

  it("links only real references: every #N is a task or PR of the board", () => {
    const b = board([
      task({
        id: "4",
        stage: "review",
        title: "Step #2 of the migration",
        pr: true,
        memory: {
          run: {
            role: "reviewer",
            attempt: 0,
            correlationId: "4/reviewer/0/1",
            dispatchedAt: T0.toISOString(),
          },
          escalation: {
            reason: "reviewer #1 and tester #3 disagree",
            at: T0.toISOString(),
            stage: "review",
          },
        },
      }),
    ]);
    const body = visible(render(b));
    const refs = [...body.replace(/```[\s\S]*?```/g, "").matchAll(/(?:^|[^\w&/])#(\d+)\b/g)].map(
      (m) => m[1],
    );
    expect(refs.length).toBeGreaterThan(0);
    const known = new Set(["4", String(b.tasks[0]!.pr!.number)]);
    for (const r of refs) expect(known, `#${r} would link an unrelated issue`).toContain(r);
    expect(body).toContain("Step #\u20602");
  });

  it("draws the last day's agent runs as a Mermaid Gantt chart, a section per task", () => {
    const b = sample();
    const result = (
      cid: string,
      role: AgentResult["role"],
      end: string,
      outcome: AgentResult["outcome"] = "ok",
    ): AgentResult => ({
      correlationId: cid,
      role,
      outcome,
      summary: "s",
      finishedAt: end,
    });
    b.results = {
      "5/task/0/1": result("5/task/0/1", "task", "2026-11-25T08:20:00.000Z"),
      "5/tester/0/2": result("5/tester/0/2", "tester", "2026-11-25T09:40:00.000Z", "failed"),
      "7/task/0/1": result("7/task/0/1", "task", "2026-11-25T09:00:00.000Z"),
    };
    b.runs = {
      "5/task/0/1": {
        correlationId: "5/task/0/1",
        status: "completed",
        startedAt: "2026-11-25T08:00:00.000Z",
      },
      "5/tester/0/2": {
        correlationId: "5/tester/0/2",
        status: "completed",
        startedAt: "2026-11-25T09:30:00.000Z",
      },
      "7/task/0/1": {
        correlationId: "7/task/0/1",
        status: "completed",
        startedAt: "2026-11-25T08:30:00.000Z",
      },
    };
    const body = render(b);
    const chart = /```mermaid\n([\s\S]*?)```/.exec(body)?.[1];
    expect(chart).toBeDefined();
    const lines = chart!.split("\n");
    expect(lines[0]).toBe("gantt");
    expect(lines.filter((l) => l.trim().startsWith("section"))).toHaveLength(2);
    const bars = lines.filter((l) => /:(done|crit|active)/.test(l));
    expect(bars).toHaveLength(3);
    expect(bars.find((l) => l.includes("tester"))).toMatch(
      /:crit, 2026-11-25 09:30:00, 2026-11-25 09:40:00/,
    );
    for (const l of lines) expect(l).not.toMatch(/#|;/);
  });

  it("keeps runs of tasks that left the board for a day, then drops them", () => {
    const b = sample();
    b.results = {
      "7/task/0/1": {
        correlationId: "7/task/0/1",
        role: "task",
        outcome: "ok",
        summary: "s",
        finishedAt: "2026-11-24T09:00:00.000Z",
      },
    };
    b.runs = {
      "7/task/0/1": {
        correlationId: "7/task/0/1",
        status: "completed",
        startedAt: "2026-11-24T08:30:00.000Z",
      },
    };
    const first = render(b);
    // Task 7 merges and leaves; a run of task 3 ends 20 hours after it: 7's run stays.
    const later = board([task({ id: "3", stage: "in-progress" })]);
    later.results = {
      "3/task/0/1": {
        correlationId: "3/task/0/1",
        role: "task",
        outcome: "ok",
        summary: "s",
        finishedAt: "2026-11-25T05:00:00.000Z",
      },
    };
    later.runs = {
      "3/task/0/1": {
        correlationId: "3/task/0/1",
        status: "completed",
        startedAt: "2026-11-25T04:00:00.000Z",
      },
    };
    const second = render(later, { previous: first });
    expect(second).toMatch(/section 7 /);
    expect(second).toMatch(/section 3 /);
    // A run ending more than a day after 7's: 7's run is dropped.
    const last = board([task({ id: "3", stage: "in-progress" })]);
    last.results = {
      "3/task/0/2": {
        correlationId: "3/task/0/2",
        role: "task",
        outcome: "ok",
        summary: "s",
        finishedAt: "2026-11-25T12:00:00.000Z",
      },
    };
    last.runs = {
      "3/task/0/2": {
        correlationId: "3/task/0/2",
        status: "completed",
        startedAt: "2026-11-25T11:00:00.000Z",
      },
    };
    const third = render(last, { previous: second });
    expect(third).not.toMatch(/section 7 /);
    expect((readMarker("board", third) as { timeline: unknown[] }).timeline).toHaveLength(2);
  });

  it("is the same body when nothing changed (no clock in it)", () => {
    expect(render(sample())).toBe(render(sample()));
  });
});

describe("the dashboard's problems", () => {
  it("lists a PR waiting for a maintainer's approval and a failed pre-flight above the stages", () => {
    const b = sample();
    const p = plan(b, cfg, T0);
    p.waiting.push({
      task: "7",
      code: "approval-needed",
      text: "changes .github/**: waits for a maintainer's approval",
    });
    const body = formatDashboard({
      board: b,
      plan: p,
      configErrors: [],
      state: {
        memory: b.repoMemory,
        preflight: [{ name: "vector db", ok: false, detail: "answered 503" }],
      },
    });
    const attention = body.slice(body.indexOf("## Needs attention"), body.indexOf("## Todo"));
    expect(attention).toContain("#7");
    expect(attention).toContain("maintainer's approval");
    expect(attention).toContain("vector db");
  });
});
