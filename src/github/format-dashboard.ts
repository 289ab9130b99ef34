import type { Board, Stage, Task } from "../core/board.js";
import { boxText } from "../core/commands.js";
import type { Plan, Waiting } from "../core/effects.js";
import { encodeMarker, fitWithMarker, readMarker } from "../core/markers.js";
import { cell } from "./format-status-comment.js";
import type { DashboardState } from "./interpret-facts.js";

/** What the dashboard shows of a plan (its effects are the pass's business). */
export type PlanView = Omit<Plan, "effects">;

export interface DashboardInput {
  board: Board;
  plan: PlanView;
  /** One line per bad key of `.github/conveyor.yml`. */
  configErrors: string[];
  state: DashboardState;
  /**
   * The dashboard's body as it is now: the agent runs of the last day kept in its marker
   * (`timeline`) carry over, since the board only holds the runs of tasks still at work.
   */
  previous?: string;
  /**
   * The board whose finished runs go into the chart, when it holds more than `board` (the
   * tasks this pass closed are not shown, but their last runs, the tester's that led to the
   * merge among them, belong in the chart).
   */
  chartFrom?: Board;
}

/** A waiting reason in the GitHub backend's words (by code, never by matching the text). */
export function waitingText(w: Waiting): string {
  if (w.code === "mergeability-unknown")
    return "GitHub is still computing whether the PR can merge";
  return w.text;
}

/** One finished agent run, for the chart (kept in the dashboard's marker for a day). */
export interface TimelineRun {
  /** Correlation id of the run. */
  id: string;
  task: string;
  /** The task's title when the run ended (the task may have left the board since). */
  title: string;
  role: string;
  start: string;
  end: string;
  ok: boolean;
}

const SHOWN: { stage: Stage; title: string }[] = [
  { stage: "todo", title: "Todo" },
  { stage: "in-progress", title: "In progress" },
  { stage: "review", title: "Review" },
  { stage: "testing", title: "Testing" },
  { stage: "merge-queue", title: "Merge queue" },
];

const DAY_MS = 24 * 60 * 60_000;
/** At most this many runs are kept (and drawn). */
const TIMELINE_MAX = 120;

/**
 * The body of the dashboard issue ("Conveyor board"), modelled on Renovate's Dependency
 * Dashboard: a one-line summary; what needs a maintainer first (config errors, escalations
 * and a paused queue, each escalation with a box to tick instead of typing the command);
 * the stages that hold tasks (empty ones on one line), the merge queue in order; a Mermaid
 * Gantt chart of the last day's agent runs; pre-flight and totals; plus the hidden `board`
 * marker holding the repository memory. No clock: the body only changes when the board
 * does, so it is only rewritten then. `#` appears only before a real issue or PR number.
 */
export function formatDashboard(input: DashboardInput): string {
  const { board, plan, configErrors, state } = input;
  const lines = ["# Conveyor board", "", summaryLine(board, plan, configErrors, state), ""];

  const escalated = board.tasks.filter((t) => t.memory.escalation);
  const preflightFailed = (state.preflight ?? []).filter((p) => !p.ok);
  // A PR only a maintainer's approval lets through (it changes `.github/**`): a problem too.
  const approvals = plan.waiting.filter((w) => w.code === "approval-needed");
  const attention =
    approvals.length > 0 ||
    configErrors.length > 0 ||
    escalated.length > 0 ||
    state.memory.paused ||
    preflightFailed.length > 0;
  if (attention) {
    lines.push("## Needs attention", "");
    if (configErrors.length > 0)
      lines.push(
        "> [!CAUTION]",
        "> `.github/conveyor.yml` is invalid; nothing is dispatched until it is fixed:",
        ...configErrors.map((e) => `> - ${cell(e)}`),
        "",
      );
    const boxes: string[] = [];
    if (state.memory.paused)
      boxes.push(
        `- [ ] ${boxText("resume")} — **Dispatching is paused**${state.memory.pausedReason ? `: ${cell(state.memory.pausedReason)}` : ""}`,
      );
    for (const t of escalated)
      boxes.push(
        `- [ ] ${boxText("retry", t.id)} — ${cell(t.title)}: escalated in ${t.memory.escalation!.stage}: ${cell(t.memory.escalation!.reason)}`,
      );
    for (const p of preflightFailed)
      lines.push(`- ❌ pre-flight ${cell(p.name)}: ${cell(p.detail)} (nothing is dispatched)`);
    for (const w of approvals) {
      const t = board.tasks.find((x) => x.id === w.task);
      lines.push(`- 🔒 ${t ? taskCell(t) : `#${w.task}`}: ${cell(waitingText(w))}`);
    }
    if (preflightFailed.length > 0 || approvals.length > 0) lines.push("");
    if (boxes.length > 0)
      lines.push(
        ...boxes,
        "",
        "_Tick a box to run that command (the same as commenting `/conveyor retry` on the issue, or `/conveyor resume`); other choices for an escalated task (re-scope, deprioritize, abandon) are in its escalation comment._",
        "",
      );
  }

  const waiting = new Map<string, string>();
  // A running agent shows in its own column; its minutes would rewrite the body every pass.
  for (const w of plan.waiting)
    if (!waiting.has(w.task) && w.code !== "running" && w.code !== "not-started")
      waiting.set(w.task, waitingText(w));
  const empty: string[] = [];
  for (const { stage, title } of SHOWN) {
    const tasks = board.tasks.filter((t) => t.stage === stage);
    if (tasks.length === 0) {
      empty.push(title.toLowerCase());
      continue;
    }
    lines.push(`## ${title} (${tasks.length})`, "");
    if (stage === "merge-queue") {
      const ordered = [
        ...plan.mergeQueue.flatMap((id) => tasks.filter((t) => t.id === id)),
        ...tasks.filter((t) => !plan.mergeQueue.includes(t.id)),
      ];
      lines.push(
        "| Position | Task | Priority | PR | Waiting for |",
        "| --- | --- | --- | --- | --- |",
      );
      for (const t of ordered) {
        const at = plan.mergeQueue.indexOf(t.id);
        const w = waiting.get(t.id);
        lines.push(
          `| ${at >= 0 ? at + 1 : "—"} | ${taskCell(t)} | ${t.priority} | ${prCell(t)} | ${w ? cell(w) : ""} |`,
        );
      }
    } else {
      lines.push(
        "| Task | Priority | Agent | PR | Failures | Waiting for |",
        "| --- | --- | --- | --- | --- | --- |",
      );
      for (const t of tasks) lines.push(row(t, waiting.get(t.id)));
    }
    lines.push("");
  }
  if (empty.length > 0) lines.push(`_Empty: ${empty.join(", ")}._`, "");

  const timeline = mergeTimeline(readTimeline(input.previous), runsOf(input.chartFrom ?? board));
  if (timeline.length > 0) lines.push("## Agent runs, last 24 hours", "", ...gantt(timeline), "");

  lines.push("## Pre-flight", "");
  const preflight = state.preflight ?? [];
  if (preflight.length === 0) lines.push("_Not checked yet (checked before each dispatch)._", "");
  else {
    for (const p of preflight) lines.push(`- ${p.ok ? "✅" : "❌"} ${p.name}: ${cell(p.detail)}`);
    lines.push("");
  }

  const tokens = board.tasks.reduce((n, t) => n + t.memory.tokens, 0);
  const cost = board.tasks.reduce((n, t) => n + t.memory.costUsd, 0);
  lines.push(
    "## Totals (open tasks)",
    "",
    `Tokens: ${tokens.toLocaleString("en-US")} · cost: $${cost.toFixed(2)}`,
    "",
    "_This issue is rewritten by Conveyor: edits other than ticking a box are lost._",
  );
  const marker = timeline.length > 0 ? { ...state, timeline } : state;
  const known = new Set(
    board.tasks.flatMap((t) => [t.id, ...(t.pr?.number ? [String(t.pr.number)] : [])]),
  );
  return fitWithMarker(defuseReferences(lines.join("\n"), known), encodeMarker("board", marker));
}

/**
 * `#12` links issue 12 on GitHub: outside code, a `#` before a number that is not a task or
 * PR of the board (an agent's "reviewer #1", a title's "step #2") gets a word joiner, so it
 * reads the same and links nothing.
 */
export function defuseReferences(text: string, known: ReadonlySet<string>): string {
  let fenced = false;
  return text
    .split("\n")
    .map((line) => {
      if (/^\s{0,3}(```|~~~)/.test(line)) {
        fenced = !fenced;
        return line;
      }
      if (fenced) return line;
      return line
        .split(/(`+[^`]*`+)/)
        .map((part, i) =>
          i % 2 === 1
            ? part
            : part.replace(/(^|[^\w&/])#(\d+)\b/g, (all, pre: string, n: string) =>
                known.has(n) ? all : `${pre}#\u2060${n}`,
              ),
        )
        .join("");
    })
    .join("\n");
}

/** One line: how many tasks in each stage, escalations, agent slots, the queue's state. */
function summaryLine(
  board: Board,
  plan: PlanView,
  configErrors: string[],
  state: DashboardState,
): string {
  const parts: string[] = [];
  for (const { stage, title } of SHOWN) {
    const n = board.tasks.filter((t) => t.stage === stage).length;
    if (n > 0) parts.push(`${n} ${title.toLowerCase()}`);
  }
  const escalated = board.tasks.filter((t) => t.memory.escalation).length;
  const flags: string[] = [];
  if (configErrors.length > 0) flags.push("⛔ config invalid");
  if (state.memory.paused) flags.push("⏸️ paused");
  if (escalated > 0) flags.push(`⚠️ ${escalated} escalated`);
  const tasks = parts.length > 0 ? parts.join(" · ") : "no open tasks";
  return [
    `**${tasks}**`,
    ...flags,
    `agents ${plan.slots.used}/${plan.slots.capacity}`,
    `in flight ${plan.inFlight.used}/${plan.inFlight.capacity}`,
    `re-dispatches and retries in the last hour: ${state.memory.dispatches.length}`,
  ].join(" · ");
}

function taskCell(t: Task): string {
  return `#${t.id}${t.memory.escalation ? " ⚠" : ""} ${cell(t.title)}`;
}

function prCell(t: Task): string {
  return t.pr?.number ? `#${t.pr.number}` : "—";
}

function row(t: Task, waitingFor: string | undefined): string {
  const m = t.memory;
  // No "#" before an attempt number: GitHub would link issue #1.
  const agent = m.run ? `${m.run.role}, try ${m.run.attempt + 1}` : "—";
  const a = m.attempts;
  const failures = a.task + a.reviewer + a.tester + a.merge;
  return `| ${taskCell(t)} | ${t.priority} | ${agent} | ${prCell(t)} | ${failures} | ${waitingFor ? cell(waitingFor) : ""} |`;
}

/** Finished runs the board shows: each result with its run's start. */
function runsOf(board: Board): TimelineRun[] {
  const out: TimelineRun[] = [];
  for (const t of board.tasks) {
    for (const [id, result] of Object.entries(board.results)) {
      if (id.split("/")[0] !== t.id || !result.finishedAt) continue;
      const start =
        board.runs[id]?.startedAt ??
        (t.memory.run?.correlationId === id ? t.memory.run.dispatchedAt : undefined);
      if (!start || !validTime(start) || !validTime(result.finishedAt)) continue;
      const ok =
        result.outcome === "ok" &&
        result.passed !== false &&
        result.verdict !== "request_changes" &&
        result.verdict !== "approach_wrong";
      out.push({
        id,
        task: t.id,
        title: t.title.slice(0, 60),
        role: result.role,
        start,
        end: result.finishedAt,
        ok,
      });
    }
  }
  return out;
}

function readTimeline(body: string | undefined): TimelineRun[] {
  if (!body) return [];
  const value = readMarker("board", body) as { timeline?: unknown } | undefined;
  const list = value && typeof value === "object" ? value.timeline : undefined;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (r): r is TimelineRun =>
      typeof r === "object" &&
      r !== null &&
      typeof r.id === "string" &&
      typeof r.task === "string" &&
      /^\d+$/.test(r.task) &&
      typeof r.title === "string" &&
      typeof r.role === "string" &&
      validTime(r.start) &&
      validTime(r.end) &&
      typeof r.ok === "boolean",
  );
}

/**
 * Old and new runs, once each, those that ended within a day of the newest end (the newest
 * run anchors the window: no clock, so an idle board is not rewritten as time passes).
 */
export function mergeTimeline(old: TimelineRun[], fresh: TimelineRun[]): TimelineRun[] {
  const byId = new Map<string, TimelineRun>();
  for (const r of [...old, ...fresh]) byId.set(r.id, r);
  const all = [...byId.values()];
  if (all.length === 0) return [];
  const newest = Math.max(...all.map((r) => Date.parse(r.end)));
  return all
    .filter((r) => Date.parse(r.end) >= newest - DAY_MS)
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start) || a.id.localeCompare(b.id))
    .slice(-TIMELINE_MAX);
}

/** The Mermaid Gantt chart of the runs: a section per task, a bar per run (red: failed). */
function gantt(runs: TimelineRun[]): string[] {
  const lines = [
    "```mermaid",
    "gantt",
    "  dateFormat YYYY-MM-DD HH:mm:ss",
    "  axisFormat %H:%M",
    "  title Agent runs by task (UTC)",
  ];
  const tasks = [...new Set(runs.map((r) => r.task))];
  for (const task of tasks) {
    const mine = runs.filter((r) => r.task === task);
    lines.push(`  section ${mermaidText(`${task} ${mine.at(-1)!.title}`)}`);
    for (const r of mine) {
      const end = Math.max(Date.parse(r.end), Date.parse(r.start) + 60_000);
      lines.push(
        `    ${mermaidText(`${r.role} ${r.ok ? "ok" : "failed"}`)} :${r.ok ? "done" : "crit"}, ${iso(Date.parse(r.start))}, ${iso(end)}`,
      );
    }
  }
  lines.push("```");
  return lines;
}

/** Text safe in a Mermaid Gantt line: no `:` `#` `;` (syntax), no backticks, one line. */
function mermaidText(text: string): string {
  return (
    text
      .replace(/[\r\n]+/g, " ")
      .replace(/[:#;`%{}<>[\]\\]/g, " ")
      .replace(/\s+/g, " ")
      .trim()
      .slice(0, 50) || "task"
  );
}

/** UTC wall time as the chart reads it (`dateFormat` has no zone: shown as UTC). */
function iso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

function validTime(v: unknown): v is string {
  return typeof v === "string" && Number.isFinite(Date.parse(v));
}
