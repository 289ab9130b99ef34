import { IN_FLIGHT_STAGES } from "../core/board.js";
import { plan } from "../core/plan.js";
import type { LoadedBoard } from "./load-board.js";
import type { LocalRepo } from "./local-repo.js";
import { formatRows, formatTokens, taskRows } from "./task-rows.js";

/** `conveyor status`: the board, slots, queue, escalations, waiting reasons, tokens and cost. */
export function formatStatus(repo: LocalRepo, loaded: LoadedBoard, now: Date): string {
  const { board } = loaded;
  const p = plan(board, repo.config, now);
  const rows = taskRows(board, now);
  const out: string[] = [`Conveyor board of ${repo.root} (base branch ${repo.base})`, ""];
  out.push(...(rows.length > 0 ? formatRows(rows) : ["(no tasks: add some to TODO.md)"]));
  // Slots in use now (the plan's figures include what the next pass would start).
  const agents = board.tasks.filter((t) => t.memory.run).length;
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
        `      conveyor retry ${t.id}   |   conveyor abandon ${t.id} --reason "…"   |   fix on branch ${t.id}, then retry`,
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
    out.push("", "Lines Conveyor could not read (left as written):");
    for (const pr of loaded.problems)
      out.push(`  ${pr.file}:${pr.line}: ${pr.message}: ${pr.text}`);
  }
  const tokens = board.tasks.reduce((n, t) => n + t.memory.tokens, 0);
  const cost = board.tasks.reduce((n, t) => n + t.memory.costUsd, 0);
  out.push("", `Tokens: ${formatTokens(tokens)} · cost: $${cost.toFixed(2)}`, "");
  return out.join("\n");
}
