import { type Board, IN_FLIGHT_STAGES, type Task } from "../../core/board.js";
import { plan } from "../../core/plan.js";
import type { LoadedBoard } from "../board/load-board.js";
import type { LocalRepo } from "../repo/local-repo.js";
import { formatRows, formatTokens, taskRows } from "./task-rows.js";

/**
 * What a person can do about an escalated task, as local commands: the same four choices as
 * on GitHub (manual fix, re-scope, deprioritize, abandon).
 */
export function escalationChoices(id: string): string[] {
  return [
    `manual fix: commit to branch \`${id}\` yourself (in .worktrees/${id}), then \`conveyor retry ${id}\``,
    `re-scope: edit the task in the tracking files, then \`conveyor retry ${id}\``,
    `deprioritize: \`conveyor deprioritize ${id} --notes "…"\` (back to the backlog at low priority)`,
    `abandon: \`conveyor abandon ${id} --reason "…"\` (recorded in CHANGELOG.md)`,
  ];
}

/** Finished tasks `conveyor status` lists without `--all`: the most recent ones. */
const RECENT_FINISHED = 5;

export interface StatusOptions {
  /** List every done and abandoned task, not only the last few. */
  all?: boolean;
}

/**
 * `conveyor status`: configuration errors, the board (tasks in flight and to do, then the
 * last few done ones), slots, queue, escalations, waiting reasons, tokens and cost. An agent
 * whose process has exited is not shown as running, even before a pass has folded its result.
 */
export function formatStatus(
  repo: LocalRepo,
  loaded: LoadedBoard,
  now: Date,
  options: StatusOptions = {},
): string {
  const { board } = loaded;
  const p = plan(board, repo.config, now);
  const live = (t: Task) =>
    t.memory.run !== undefined && board.runs[t.memory.run.correlationId]?.status !== "completed";
  const finished = (t: Task) => t.stage === "done" || t.stage === "abandoned";
  const recent = board.tasks
    .filter(finished)
    .sort((a, b) =>
      (b.memory.stageSince ?? b.createdAt).localeCompare(a.memory.stageSince ?? a.createdAt),
    );
  const shown = new Set(options.all ? recent : recent.slice(0, RECENT_FINISHED));
  const view: Board = {
    ...board,
    tasks: board.tasks
      .filter((t) => !finished(t) || shown.has(t))
      .map((t) => {
        if (live(t) || t.memory.run === undefined) return t;
        const { run: _exited, ...memory } = t.memory;
        return { ...t, memory };
      }),
  };
  const rows = taskRows(view, now);
  const out: string[] = [`Conveyor board of ${repo.root} (base branch ${repo.base})`, ""];
  if (board.configErrors && board.configErrors.length > 0) {
    out.push("Configuration errors (nothing is dispatched until they are fixed):");
    for (const e of board.configErrors) out.push(...e.split("\n").map((l) => `  ${l}`));
    out.push("");
  }
  out.push(...(rows.length > 0 ? formatRows(rows) : ["(no tasks: add some to TODO.md)"]));
  const hidden = recent.length - shown.size;
  if (hidden > 0)
    out.push(`(${hidden} more done or abandoned: \`conveyor status --all\` lists them)`);
  // Slots in use now (the plan's figures include what the next pass would start).
  const agents = board.tasks.filter(live).length;
  const inFlight = board.tasks.filter(
    (t) => IN_FLIGHT_STAGES.includes(t.stage) && !t.memory.escalation,
  ).length;
  out.push(
    "",
    `Agents: ${agents}/${p.slots.capacity} · in flight: ${inFlight}/${p.inFlight.capacity} · merge queue: ${p.mergeQueue.join(", ") || "empty"}`,
  );
  const escalated = board.tasks.filter((t) => t.memory.escalation && t.stage !== "abandoned");
  if (escalated.length > 0) {
    out.push("", "Escalations (a person decides):");
    for (const t of escalated)
      out.push(
        `  ${t.id}: ${t.memory.escalation!.reason}`,
        ...escalationChoices(t.id).map((c) => `      - ${c}`),
      );
  }
  const waiting = p.waiting.filter((w) => w.code !== "escalated");
  if (waiting.length > 0) {
    out.push("", "Waiting:");
    for (const w of waiting) out.push(`  ${w.task}: ${w.text}`);
  }
  const failed = board.preflight.filter((c) => !c.ok);
  if (failed.length > 0) {
    out.push("", "Pre-flight failed (nothing is dispatched):");
    for (const c of failed) out.push(`  ${c.name}: ${c.detail}`);
  }
  if (loaded.problems.length > 0) {
    out.push("", "In the tracking files (lines it could not read are kept as written):");
    for (const pr of loaded.problems)
      out.push(
        pr.line > 0
          ? `  ${pr.file}:${pr.line}: ${pr.message}: ${pr.text}`
          : `  ${pr.file}: ${pr.message}`,
      );
  }
  const tokens = board.tasks.reduce((n, t) => n + t.memory.tokens, 0);
  const cost = board.tasks.reduce((n, t) => n + t.memory.costUsd, 0);
  out.push("", `Tokens: ${formatTokens(tokens)} · cost: $${cost.toFixed(2)}`, "");
  return out.join("\n");
}
