/**
 * The rule of issue 11: for any text s an outsider (or an agent) writes, every surface
 * Conveyor writes s into holds no marker but its own, and reading the surface back gives the
 * real marker only.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { renderResultComment } from "../../src/agent/result-comment.js";
import { refusal } from "../../src/app/comment-command.js";
import type { AgentResult } from "../../src/core/board.js";
import { inline, statusReply } from "../../src/core/commands.js";
import {
  neutralizeMarkers,
  readMarker,
  stripHtmlComments,
  upsertMarker,
} from "../../src/core/markers.js";
import { plan } from "../../src/core/plan.js";
import { formatDashboard } from "../../src/github/format-dashboard.js";
import { formatEscalation } from "../../src/github/format-escalation.js";
import { formatStatusComment } from "../../src/github/format-status-comment.js";
import { board, config, T0, task } from "../support/board-builder.js";

/** Strings made of the pieces an attack is built from, plus anything at all. */
const piece = fc.constantFrom(
  "<!--",
  "-->",
  "<",
  "!--",
  "--",
  ">",
  "<!---->",
  " conveyor:state ",
  " conveyor:result ",
  " conveyor:board ",
  "<!-- conveyor:result ",
  '{"memory":{"paused":false,"dispatches":[]}}',
  '{"runs":0}',
  " -->",
  "\n",
  "`",
  "@",
  "|",
  "x",
);
const evil = fc.oneof(
  fc.array(piece, { maxLength: 12 }).map((p) => p.join("")),
  fc.string({ maxLength: 40 }),
);

const count = (text: string, what: string) => text.split(what).length - 1;
const json = (v: unknown) => JSON.parse(JSON.stringify(v));
const cfg = config();

describe("no text Conveyor echoes can hold a marker", () => {
  it("neutralizeMarkers and stripHtmlComments leave no comment opener", () => {
    fc.assert(
      fc.property(evil, (s) => {
        expect(neutralizeMarkers(s)).not.toContain("<!--");
        expect(stripHtmlComments(s)).not.toContain("<!--");
        expect(inline(s)).not.toContain("<!--");
      }),
    );
  });

  it("`<<!---->!--` does not survive stripping", () => {
    expect(stripHtmlComments("a <<!---->!-- b")).not.toContain("<!--");
  });

  it("the status comment: its own state marker only, read back whole", () => {
    fc.assert(
      fc.property(evil, (s) => {
        const t = task({ id: "1", title: s, stage: "review" });
        const memory = {
          ...t.memory,
          runs: 2,
          lastFailure: s,
          feedback: s,
          escalation: { reason: s, at: T0.toISOString(), stage: "review" as const },
        };
        const body = formatStatusComment(t, memory);
        expect(count(body, "<!--")).toBe(1);
        expect(readMarker("state", body)).toEqual(json(memory));
        expect(readMarker("result", body)).toBeUndefined();
      }),
    );
  });

  it("the dashboard: its own board marker only, read back whole (a pause holds)", () => {
    fc.assert(
      fc.property(evil, evil, (title, reason) => {
        const b = board(
          [
            task({ id: "1", title }),
            task({
              id: "2",
              title,
              stage: "review",
              memory: { escalation: { reason, at: T0.toISOString(), stage: "review" } },
            }),
          ],
          { repoMemory: { paused: true, pausedReason: reason, dispatches: [] } },
        );
        const state = { memory: b.repoMemory, mirror: "abc" };
        const body = formatDashboard({
          board: b,
          plan: plan(b, cfg, T0),
          configErrors: [reason],
          state,
        });
        expect(count(body, "<!--")).toBe(1);
        expect(readMarker("board", body)).toEqual(json(state));
      }),
    );
  });

  it("the status reply, escalations and refusals hold no marker", () => {
    fc.assert(
      fc.property(evil, (s) => {
        const t = task({
          id: "1",
          title: s,
          stage: "review",
          memory: { lastFailure: s },
          pr: { branch: s },
        });
        const b = board([t]);
        expect(statusReply(b, t, cfg, T0)).not.toContain("<!--");
        expect(formatEscalation(s, [])).not.toContain("<!--");
        expect(refusal("maintainer", s, s)).not.toContain("<!--");
      }),
    );
  });

  it("the result comment: the agent's own words never replace the marker at its place", () => {
    fc.assert(
      fc.property(evil, (s) => {
        const result: AgentResult = {
          correlationId: "1/task/0/1",
          role: "task",
          outcome: "ok",
          summary: s,
        };
        const body = renderResultComment(result, {
          filesChanged: [s],
          commands: [{ command: s, exitCode: 0, timedOut: false }],
          durationMs: 1000,
        });
        expect(count(body, "<!--")).toBe(1);
        expect(readMarker("result", body)).toEqual(json(result));
      }),
    );
  });

  it("a marker anywhere but the last line is never read; upsert keeps it there", () => {
    fc.assert(
      fc.property(evil, (s) => {
        const body = upsertMarker("state", `head\n${neutralizeMarkers(s)}`, { runs: 1 });
        expect(readMarker("state", body)).toEqual({ runs: 1 });
        expect(readMarker("state", `${body}\n${neutralizeMarkers(s)}x`)).toBeUndefined();
      }),
    );
  });
});

describe("GitHub's 65,536-character limit", () => {
  it("a result comment with a huge report stays under the limit and keeps its marker", () => {
    const result: AgentResult = {
      correlationId: "1/tester/0/3",
      role: "tester",
      outcome: "ok",
      passed: false,
      summary: "x".repeat(200_000),
    };
    const body = renderResultComment(result, {
      filesChanged: Array.from({ length: 3000 }, (_, i) => `src/some/long/path/file-${i}.ts`),
      commands: [],
      durationMs: 1000,
    });
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(readMarker("result", body)).toMatchObject({
      correlationId: "1/tester/0/3",
      passed: false,
    });
    expect(body).toContain("job summary");
  });
});

describe("the status comment and the dashboard fit GitHub's limit", () => {
  it("a dashboard of many long-titled tasks is cut, its marker kept", () => {
    const tasks = Array.from({ length: 400 }, (_, i) =>
      task({ id: String(i + 1), title: `A rather long title ${"words ".repeat(50)}` }),
    );
    const b = board(tasks, { repoMemory: { paused: true, dispatches: [] } });
    const state = { memory: b.repoMemory };
    const body = formatDashboard({ board: b, plan: plan(b, cfg, T0), configErrors: [], state });
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(readMarker("board", body)).toEqual(state);
  });
});
