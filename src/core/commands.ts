import { type Board, emptyMemory, type Task, type TaskMemory } from "./board.js";
import { type Config, PRIORITIES, type Priority } from "./config.js";
import type { Effect } from "./effects.js";
import { cloneJson } from "./json.js";
import { codeSpan } from "./markdown/code-span.js";
import { neutralizeMarkers, stripHtmlComments } from "./markers.js";
import { plan, ref, runsSinceRetry } from "./plan.js";
import { scheduleHint } from "./wording.js";

/**
 * Maintainer commands (`/conveyor …` in a comment, or `conveyor retry|abandon …` locally):
 * the escalation choices of the workflow, plus pause/resume and status. Parsing and the
 * effects they cause are pure; who may run them is the runtime's check.
 */
export type ConveyorCommand =
  | { kind: "retry" }
  | { kind: "escalate"; reason: string }
  | { kind: "abandon"; reason: string }
  | { kind: "deprioritize"; notes: string }
  | { kind: "priority"; level: Priority }
  | { kind: "pause"; reason: string }
  | { kind: "resume" }
  | { kind: "status" };

export type ParsedCommand = ConveyorCommand | { error: string };

const USAGE =
  "commands: retry · escalate [reason] · abandon <reason> · deprioritize <notes> · priority <critical|high|medium|low> · pause [reason] · resume · status";

/**
 * The command in a comment: the first line that starts with `/conveyor`. `null` when the
 * comment holds none (most comments); `{ error }` when it is malformed.
 */
export function parseCommand(text: string): ParsedCommand | null {
  const line = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => /^\/conveyor(\s|$)/.test(l));
  if (line === undefined) return null;
  const [, verb = "", ...rest] = line.split(/\s+/);
  const arg = rest.join(" ").trim();
  switch (verb.toLowerCase()) {
    case "retry":
      return { kind: "retry" };
    case "escalate":
      return { kind: "escalate", reason: arg || "escalated by a maintainer" };
    case "abandon":
      return arg
        ? { kind: "abandon", reason: arg }
        : { error: "`/conveyor abandon` needs a reason" };
    case "deprioritize":
    case "deprioritise":
      return arg
        ? { kind: "deprioritize", notes: arg }
        : { error: "`/conveyor deprioritize` needs notes (why, and what would bring it back)" };
    case "priority": {
      const level = arg.toLowerCase() as Priority;
      return PRIORITIES.includes(level)
        ? { kind: "priority", level }
        : { error: `\`/conveyor priority\` takes one of: ${PRIORITIES.join(", ")}` };
    }
    case "pause":
      return { kind: "pause", reason: arg };
    case "resume":
      return { kind: "resume" };
    case "status":
      return { kind: "status" };
    case "":
      return { error: `\`/conveyor\` needs a command. ${USAGE}` };
    default:
      return { error: `unknown command ${codeSpan(verb)}. ${USAGE}` };
  }
}

export interface CommandOutcome {
  effects: Effect[];
  /** What to answer the person who gave the command. */
  reply: string;
  /** False when the command was refused (the reply says why). */
  accepted: boolean;
}

/**
 * The effects of a command on one task (`taskId`), or on the repository for pause/resume.
 * Retrying keeps the task's history (runs, tokens) but resets the failure counters, so the
 * loop guards still hold across retries.
 */
export function planCommand(
  board: Board,
  taskId: string | undefined,
  command: ConveyorCommand,
  config: Config,
  now: Date,
): CommandOutcome {
  const outcome = planCommandOf(board, taskId, command, config, now);
  // The reply echoes titles, reasons and notes: it must never hold a marker.
  return { ...outcome, reply: neutralizeMarkers(outcome.reply) };
}

function planCommandOf(
  board: Board,
  taskId: string | undefined,
  command: ConveyorCommand,
  config: Config,
  now: Date,
): CommandOutcome {
  const nowIso = now.toISOString();
  if (command.kind === "pause" || command.kind === "resume") {
    const memory = cloneJson(board.repoMemory);
    memory.paused = command.kind === "pause";
    if (command.kind === "pause" && command.reason) memory.pausedReason = command.reason;
    else delete memory.pausedReason;
    const changed =
      memory.paused !== board.repoMemory.paused ||
      memory.pausedReason !== board.repoMemory.pausedReason;
    return {
      effects: changed ? [{ type: "save-repo-memory", memory }] : [],
      reply:
        command.kind === "pause"
          ? "Dispatching is paused for this repository: running agents finish, merges go on, nothing new starts. `/conveyor resume` to go on."
          : "Dispatching resumed.",
      accepted: true,
    };
  }
  const task = board.tasks.find((t) => t.id === taskId);
  if (!task)
    return refuse(
      `${taskId ? ref(taskId) : "This"} is not a Conveyor task (${scheduleHint(board.host, config)}).`,
    );

  switch (command.kind) {
    case "status":
      return { effects: [], reply: statusReply(board, task, config, now), accepted: true };
    case "retry": {
      if (task.stage === "done" || task.stage === "abandoned")
        return refuse(`${ref(task.id)} is ${task.stage}; nothing to retry.`);
      if (task.memory.run)
        return refuse(`${ref(task.id)} has an agent running; wait for it, or escalate first.`);
      const memory = cloneJson(task.memory);
      const reset = emptyMemory().attempts;
      memory.attempts = reset;
      memory.escalation = undefined;
      memory.verdicts = task.stage === "merge-queue" ? memory.verdicts : {};
      // A maintainer's retry grants a fresh allowance of runs; the counter itself keeps
      // counting, so correlation ids never repeat.
      memory.runsAtRetry = memory.runs;
      const effects: Effect[] = [{ type: "save-memory", task: task.id, memory }];
      if (task.memory.escalation) effects.push({ type: "clear-escalation", task: task.id });
      return { effects, reply: `Retrying ${ref(task.id)} from ${task.stage}.`, accepted: true };
    }
    case "escalate": {
      if (task.memory.escalation) return refuse(`${ref(task.id)} is already escalated.`);
      const memory = cloneJson(task.memory);
      memory.escalation = { reason: command.reason, at: nowIso, stage: task.stage };
      const effects: Effect[] = [{ type: "save-memory", task: task.id, memory }];
      effects.unshift(...stopAgent(task, memory, "escalated by a maintainer", nowIso, board));
      effects.push({ type: "escalate", task: task.id, reason: command.reason, choices: [] });
      return { effects, reply: `Escalated ${ref(task.id)}: ${command.reason}`, accepted: true };
    }
    case "abandon": {
      if (task.stage === "done") return refuse(`${ref(task.id)} is already done.`);
      const memory = cloneJson(task.memory);
      const effects: Effect[] = [];
      effects.push(...stopAgent(task, memory, "abandoned", nowIso, board));
      memory.escalation = undefined;
      memory.stageSince = nowIso;
      effects.push(
        {
          type: "set-stage",
          task: task.id,
          from: task.stage,
          to: "abandoned",
          reason: `abandoned: ${command.reason}`,
        },
        { type: "save-memory", task: task.id, memory },
        { type: "record-abandoned", task: task.id, title: task.title, reason: command.reason },
        { type: "close-issue", task: task.id, reason: "not_planned" },
      );
      return {
        effects,
        reply: `Abandoned ${ref(task.id)}: ${command.reason}. Recorded in CHANGELOG.md.`,
        accepted: true,
      };
    }
    case "deprioritize": {
      if (task.stage === "done" || task.stage === "abandoned")
        return refuse(`${ref(task.id)} is ${task.stage}.`);
      const memory = cloneJson(task.memory);
      const effects: Effect[] = [];
      effects.push(...stopAgent(task, memory, "deprioritized", nowIso, board));
      memory.escalation = undefined;
      memory.attempts = emptyMemory().attempts;
      memory.feedback = `Deprioritized by a maintainer: ${command.notes}`;
      memory.stageSince = nowIso;
      if (task.stage !== "todo")
        effects.push({
          type: "set-stage",
          task: task.id,
          from: task.stage,
          to: "todo",
          reason: `deprioritized: ${command.notes}`,
        });
      effects.push({ type: "save-memory", task: task.id, memory });
      if (task.memory.escalation) effects.push({ type: "clear-escalation", task: task.id });
      if (task.priority !== "low")
        effects.push({ type: "set-priority", task: task.id, from: task.priority, to: "low" });
      return {
        effects,
        reply: `Moved ${ref(task.id)} back to the backlog at low priority.`,
        accepted: true,
      };
    }
    case "priority": {
      if (task.priority === command.level)
        return {
          effects: [],
          reply: `${ref(task.id)} is already ${command.level}.`,
          accepted: true,
        };
      return {
        effects: [{ type: "set-priority", task: task.id, from: task.priority, to: command.level }],
        reply: `${ref(task.id)} is now ${command.level} priority.`,
        accepted: true,
      };
    }
  }
}

/**
 * Stops the task's running agent, if any: the cancel effect, and the run moves from
 * `memory.run` to `memory.cancelling` (it keeps its slot until it ends; the planner
 * force-cancels it after the grace period).
 */
function stopAgent(
  task: Task,
  memory: TaskMemory,
  reason: string,
  nowIso: string,
  board: Board,
): Effect[] {
  const run = task.memory.run;
  if (!run) return [];
  memory.run = undefined;
  // The run's id, when seen: a later pass reads the run by it if the listing no longer
  // reaches back to the run (issue 16), so the force-cancel is not dropped.
  const runId = board.runs[run.correlationId]?.runId;
  memory.cancelling = [
    ...(memory.cancelling ?? []),
    { correlationId: run.correlationId, ...(runId ? { runId } : {}), at: nowIso },
  ];
  return [
    {
      type: "cancel-run",
      task: task.id,
      correlationId: run.correlationId,
      ...(runId ? { runId } : {}),
      force: false,
      reason,
    },
  ];
}

function refuse(reply: string): CommandOutcome {
  return { effects: [], reply, accepted: false };
}

/** The answer to `/conveyor status`: where the task is and why it waits. */
export function statusReply(board: Board, task: Task, config: Config, now: Date): string {
  const p = plan(board, config, now);
  const m = task.memory;
  const lines = [
    `**${ref(task.id)}: ${inline(task.title)}** — ${task.stage}, priority ${task.priority}`,
  ];
  if (m.run)
    lines.push(
      `- agent at work: ${m.run.role}, attempt ${m.run.attempt + 1}, since ${m.run.dispatchedAt}`,
    );
  if (task.pr)
    lines.push(
      `- PR${task.pr.number ? ` #${task.pr.number}` : ""}: ${codeSpan(inline(task.pr.branch))} @ ${task.pr.headSha.slice(0, 7)}`,
    );
  const a = m.attempts;
  lines.push(
    `- failures so far: task ${a.task}, reviewer ${a.reviewer}, tester ${a.tester}, merge ${a.merge}; agent runs ${runsSinceRetry(m)}/${config.guards.maxRunsPerTask}`,
  );
  lines.push(`- tokens ${m.tokens.toLocaleString("en-US")}, cost $${m.costUsd.toFixed(2)}`);
  if (m.lastFailure) lines.push(`- last failure: ${inline(m.lastFailure)}`);
  const why = p.waiting.filter((w) => w.task === task.id).map((w) => w.text);
  const next = p.effects.filter((e) => "task" in e && e.task === task.id && e.type === "dispatch");
  if (why.length > 0) lines.push(`- waiting: ${inline(why.join("; "))}`);
  else if (next.length > 0) lines.push("- next: an agent is about to be dispatched");
  else if (!m.run && task.stage !== "done" && task.stage !== "abandoned")
    lines.push("- next: nothing pending");
  lines.push(
    `- slots: ${p.slots.used}/${p.slots.capacity} agents, ${p.inFlight.used}/${p.inFlight.capacity} tasks in flight`,
  );
  return neutralizeMarkers(lines.join("\n"));
}

/**
 * Text from outsiders (titles, agent words) inside a line of a reply: one line, HTML comments
 * removed to a fixed point, no marker, @-mentions defused, at most 300 characters.
 */
export function inline(text: string): string {
  const flat = stripHtmlComments(text)
    .replace(/@(?=[A-Za-z0-9])/g, "@\u200b")
    .replace(/\s*[\r\n]+\s*/g, " ")
    .trim();
  return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
}

/**
 * The dashboard's checkboxes (Renovate's Dependency Dashboard style): a box whose text starts
 * with a command a maintainer would otherwise type, `retry #9` or `resume`. Ticking it runs
 * `/conveyor retry` on #9 (or `/conveyor resume`); the next write of the dashboard unticks it.
 */
export interface DashboardBox {
  /** The box's command text, e.g. `retry #9`. */
  text: string;
  /** The task it is about (issue number); none for repository commands. */
  task?: string;
  command: ConveyorCommand;
}

/** The text of the box offering `command` (on `task`). */
export function boxText(command: "retry" | "resume", task?: string): string {
  return command === "retry" ? `retry #${task}` : "resume";
}

const BOX_LINE = /^\s{0,3}[-*+] \[([ xX])\] (.*)$/;
const BOX_COMMAND = /^(?:\*\*)?(retry #(\d+)|resume)(?:\*\*)?(?=$|[\s:—-])/;

/** The command of a box's text; undefined when the box is not one of Conveyor's commands. */
export function parseBox(text: string): DashboardBox | undefined {
  const m = BOX_COMMAND.exec(text.trim());
  if (!m) return undefined;
  if (m[2] !== undefined) return { text: m[1]!, task: m[2], command: { kind: "retry" } };
  return { text: m[1]!, command: { kind: "resume" } };
}

/** The ticked boxes of a body that hold a Conveyor command (each once, in order). */
export function tickedBoxes(body: string): DashboardBox[] {
  const seen = new Set<string>();
  const out: DashboardBox[] = [];
  let fenced = false;
  for (const line of body.split(/\r?\n/)) {
    if (/^\s{0,3}(```|~~~)/.test(line)) fenced = !fenced;
    const m = fenced ? null : BOX_LINE.exec(line);
    if (!m || m[1] === " ") continue;
    const box = parseBox(m[2]!);
    if (box && !seen.has(box.text)) {
      seen.add(box.text);
      out.push(box);
    }
  }
  return out;
}

/**
 * The boxes an edit ticked: ticked in `after`, not ticked in `before` (a box ticked earlier
 * and not yet unticked by Conveyor was someone else's, in an earlier edit).
 */
export function newlyTicked(before: string, after: string): DashboardBox[] {
  const was = new Set(tickedBoxes(before).map((b) => b.text));
  return tickedBoxes(after).filter((b) => !was.has(b.text));
}
