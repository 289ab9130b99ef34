import type { Board } from "./board.js";
import type { Effect } from "./effects.js";
import { cloneJson } from "./json.js";

/**
 * The board as a backend would observe it after executing `effects` successfully: the
 * reference semantics of every effect. Tests use it to drive plan → apply → plan loops and
 * to check that an executor did what the effects say. Agents are not simulated: a dispatch
 * leaves a queued run; results arrive from outside.
 */
export function applyEffects(board: Board, effects: readonly Effect[], now: Date): Board {
  const next = cloneJson(board);
  const task = (id: string) => {
    const t = next.tasks.find((x) => x.id === id);
    if (!t) throw new Error(`effect names unknown task ${id}`);
    return t;
  };
  for (const e of effects) {
    switch (e.type) {
      case "set-stage":
        task(e.task).stage = e.to;
        break;
      case "save-memory":
        task(e.task).memory = cloneJson(e.memory);
        break;
      case "dispatch":
        next.runs[e.correlationId] = { correlationId: e.correlationId, status: "queued" };
        break;
      case "cancel-run": {
        const run = next.runs[e.correlationId];
        // A cancel takes a while to land; a force-cancel ends the run at once.
        if (run && e.force)
          next.runs[e.correlationId] = { ...run, status: "completed", conclusion: "cancelled" };
        break;
      }
      case "merge":
        for (const b of e.batch) {
          const pr = task(b.task).pr;
          if (pr && pr.headSha === b.sha) pr.merged = true;
        }
        break;
      case "set-priority":
        task(e.task).priority = e.to;
        break;
      case "save-repo-memory":
        next.repoMemory = cloneJson(e.memory);
        break;
      case "write-mirror":
        next.mirror = { ...(next.mirror ?? {}), ...e.files };
        break;
      case "refuse-scheduling":
        // Refused on the issue: the task leaves the board; on its PR: it stays where it was.
        if (e.pr === undefined) next.tasks = next.tasks.filter((t) => t.id !== e.task);
        else if (e.stage) {
          const t = next.tasks.find((x) => x.id === e.task);
          if (t) t.stage = e.stage;
        }
        break;
      case "escalate":
      case "clear-escalation":
      case "comment":
      case "close-issue":
      case "record-abandoned":
      case "conveyor-check":
      case "write-dashboard":
      case "report-config-check":
        break;
    }
  }
  void now;
  return next;
}
