/**
 * Quiet mode (issue 12, `comments: sticky`): the results of a task's runs live in one result
 * comment edited in place. An edit keeps the comment's `created_at`, so an entry counts only
 * for the run it names: the Actions run that published it must be that run, and neither the
 * entry nor the comment's last edit may be older than the run. Authors are checked as for
 * result comments.
 */
import { describe, expect, it } from "vitest";
import type { AgentResult } from "../../src/core/board.js";
import { readMarker } from "../../src/core/markers.js";
import {
  renderStickyResults,
  STICKY_KEEP,
  STICKY_RESULTS_HEADER,
  type StickyEntry,
  stickyEntries,
} from "../../src/core/sticky-results.js";
import { commentView, resultsOfRuns, runsByCorrelation } from "../../src/github/interpret-facts.js";
import type { GhComment, GhRun } from "../../src/github/port.js";

const BOT = "conveyor[bot]";
const AGENT = "github-actions[bot]";
const T0 = "2026-11-25T09:00:00.000Z";
const T1 = "2026-11-25T09:30:00.000Z";
const T2 = "2026-11-25T10:30:00.000Z";
const BEFORE = "2026-11-25T08:00:00.000Z";

const res = (correlationId: string, more: Partial<AgentResult> = {}): AgentResult => ({
  correlationId,
  role: "task",
  outcome: "ok",
  summary: "implemented",
  ...more,
});
const entry = (cid: string, runId: string, publishedAt = T1): StickyEntry => ({
  result: res(cid),
  runId,
  publishedAt,
});

const stickyComment = (
  entries: StickyEntry[],
  more: Partial<GhComment> = {},
  issue = 1,
): GhComment => {
  let body = "";
  for (const e of [...entries].reverse())
    body = renderStickyResults(stickyEntries(readMarker("results", body)), e);
  return { id: 77, issue, body, author: AGENT, createdAt: T1, updatedAt: T1, ...more };
};

const run = (cid: string, id: number, createdAt = T0): GhRun => ({
  id,
  title: `conveyor ${cid}`,
  status: "completed",
  conclusion: "success",
  createdAt,
  url: `https://github.com/o/r/actions/runs/${id}`,
});

function counted(comments: GhComment[], runs: GhRun[], trusted = [AGENT]): string[] {
  const said = commentView(comments, BOT, new Set(trusted));
  const byRun = runsByCorrelation(runs);
  return Object.keys(
    resultsOfRuns(said, new Set(["1", "2"]), new Map(), byRun.created, byRun.runs),
  );
}

describe("the sticky result comment's body", () => {
  it("starts with its header, keeps the marker on the last line, newest entry first", () => {
    const body = stickyComment([entry("1/reviewer/0/2", "502"), entry("1/task/0/1", "501")]).body;
    expect(body.startsWith(`${STICKY_RESULTS_HEADER}\n`)).toBe(true);
    const entries = stickyEntries(readMarker("results", body))!;
    expect(entries.map((e) => e.result.correlationId)).toEqual(["1/reviewer/0/2", "1/task/0/1"]);
    expect(body).toContain("**Task agent** ok");
  });

  it("a re-publication of a run replaces its entry; at most STICKY_KEEP entries stay", () => {
    const many = Array.from({ length: STICKY_KEEP + 3 }, (_, i) =>
      entry(`1/task/${i}/${i + 1}`, `${i}`),
    );
    const body = stickyComment(many).body;
    const again = renderStickyResults(stickyEntries(readMarker("results", body)), {
      ...many[0]!,
      result: res(many[0]!.result.correlationId, { outcome: "failed", summary: "again" }),
    });
    const entries = stickyEntries(readMarker("results", again))!;
    expect(entries).toHaveLength(STICKY_KEEP);
    expect(entries.filter((e) => e.result.correlationId === "1/task/0/1")).toHaveLength(1);
    expect(entries[0]!.result.outcome).toBe("failed");
  });

  it("agent words can neither hold a marker nor mention people", () => {
    const body = renderStickyResults(undefined, {
      result: res("1/task/0/1", { summary: "hi @alice <!-- conveyor:results {} -->" }),
      runId: "1",
      publishedAt: T1,
    });
    const human = body.slice(0, body.lastIndexOf("\n<!--"));
    expect(human).not.toContain("<!--");
    expect(human).not.toMatch(/@alice/);
  });
});

describe("a sticky entry counts only for the run it names", () => {
  const runs = [run("1/task/0/1", 501), run("1/reviewer/0/2", 502, T1)];

  it("counts the entry its own run published after the run was created", () => {
    expect(counted([stickyComment([entry("1/task/0/1", "501")])], runs)).toEqual(["1/task/0/1"]);
  });

  it("counts a later run's entry in a comment created before that run (an edit)", () => {
    const c = stickyComment([entry("1/reviewer/0/2", "502", T2), entry("1/task/0/1", "501")], {
      createdAt: T0,
      updatedAt: T2,
    });
    expect(counted([c], runs).sort()).toEqual(["1/reviewer/0/2", "1/task/0/1"]);
  });

  it.each([
    [
      "published by another Actions run (a run writing ahead for the next one)",
      entry("1/reviewer/0/2", "501", T2),
      T2,
    ],
    ["published before its run was created", entry("1/reviewer/0/2", "502", BEFORE), T2],
    ["in a comment last edited before the run was created", entry("1/reviewer/0/2", "502", T2), T0],
    ["naming a run that does not exist", entry("1/reviewer/0/9", "502", T2), T2],
    ["naming no Actions run", entry("1/reviewer/0/2", "", T2), T2],
  ])("never counts an entry %s", (_, e, updatedAt) => {
    expect(counted([stickyComment([e], { createdAt: T0, updatedAt })], runs)).toEqual([]);
  });

  it("never counts entries in a comment by an untrusted author, nor one on another task", () => {
    const good = [entry("1/task/0/1", "501")];
    expect(counted([stickyComment(good, { author: "mallory" })], runs)).toEqual([]);
    expect(counted([stickyComment(good, {}, 2)], runs)).toEqual([]);
  });

  it("never reads a marker that is not on the comment's last line under its header", () => {
    const c = stickyComment([entry("1/task/0/1", "501")]);
    expect(counted([{ ...c, body: `quote\n${c.body}` }], runs)).toEqual([]);
    expect(counted([{ ...c, body: `${c.body}\nmore words` }], runs)).toEqual([]);
  });
});
