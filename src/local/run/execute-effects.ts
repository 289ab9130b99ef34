import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { conflictFeedback } from "../../agent/prompts.js";
import { applyEffects } from "../../core/apply.js";
import type { Board, Task } from "../../core/board.js";
import type { Effect } from "../../core/effects.js";
import { type Handlers, type Outcome, runEffects } from "../../core/execution-loop.js";
import { recordAbandoned } from "../../core/markdown/index.js";
import type { AgentJob } from "../agents/agent-job.js";
import type { Supervisor } from "../agents/supervisor.js";
import type { LoadedBoard } from "../board/load-board.js";
import { type PendingWrite, pendingWrite } from "../board/pending-writes.js";
import { renderLocalFiles } from "../board/render-local-files.js";
import type { LocalState } from "../board/state-store.js";
import { writeState } from "../board/state-store.js";
import { git } from "../git/git.js";
import { gitFailure, mergeBatch } from "../git/merge-batch.js";
import { appendMergeLog, mergeJournalPath } from "../git/merge-log.js";
import { ensureWorktree, removeWorktree } from "../git/worktrees.js";
import { writeTextAtomic } from "../repo/json-file.js";
import type { LocalRepo } from "../repo/local-repo.js";
import { taskReportsDir } from "../repo/repo-layout.js";
import { dispatchLine, failureLine, foldedResult, resultLines } from "../view/log-lines.js";
import { escalationChoices } from "../view/status-text.js";
import type { EventSink } from "./local-events.js";

export interface ExecuteContext {
  repo: LocalRepo;
  supervisor: Supervisor;
  emit: EventSink;
  now: Date;
}

export interface PassOutcome {
  /** Set when an effect failed and the rest of the pass was skipped (re-planned next pass). */
  stopped?: string;
  /**
   * Set when the run cannot go on (the tracking files cannot be committed, the disk is
   * full): the loop stops, says this, and starts nothing more.
   */
  fatal?: string;
  dispatched: string[];
  merged: string[];
}

type DispatchEffect = Extract<Effect, { type: "dispatch" }>;

/**
 * The local executor: applies a plan's effects in order. Stage and memory changes go to
 * the working board; before any dispatch or merge of the pass, and at its end, the tracking
 * files and state are written and the tracking files COMMITTED on the base branch, so they
 * stay true if an agent never starts. The first effect that fails stops the pass.
 */
export async function executeEffects(
  loaded: LoadedBoard,
  effects: readonly Effect[],
  ctx: ExecuteContext,
): Promise<PassOutcome> {
  const w = new Working(loaded, ctx);
  const outcome: PassOutcome = { dispatched: [], merged: [] };
  // What the results this pass folds in did (a tester's fix), before the moves they cause.
  for (const line of resultLines(loaded.board, effects)) ctx.emit({ kind: "info", ...line });
  // The shared loop; local effects share one working tree and one tracking-file commit, so
  // the first failure stops the pass (a later effect cannot trust what the failed one left).
  const loop = await runEffects(effects, localHandlers(w, effects, outcome), {
    dryRun: false,
    log: () => {},
    stopsPass: () => true,
  });
  if (loop.failed) {
    outcome.stopped = loop.failed.error;
    if (w.fatal !== undefined) outcome.fatal = w.fatal;
    // A failure the effect already reported in its own words is not said twice.
    else if (!w.reported)
      ctx.emit({ kind: "error", text: `${loop.failed.effect}: ${loop.failed.error}` });
  }
  if (outcome.fatal !== undefined) return outcome;
  const failed = await w.flush();
  if (failed !== undefined && outcome.stopped === undefined) {
    outcome.stopped = failed;
    if (w.fatal !== undefined) outcome.fatal = w.fatal;
    else ctx.emit({ kind: "info", text: failed });
  }
  return outcome;
}

/**
 * The local handler of each effect type. Some have nothing to write in local mode and say so
 * (reported as skipped, not dropped): `write-mirror` (the tracking files are the board
 * itself, written with every pass), `close-issue` (a task has no issue: reaching done or
 * abandoned takes it off the board), `refuse-scheduling` (whoever can write the repository
 * schedules: there are no permissions), `write-dashboard` (the tracking files and
 * `conveyor status` are the dashboard) and `report-config-check` (no check runs: the
 * problems are said when the board is loaded). The local pass plans none of the last three.
 */
function localHandlers(w: Working, effects: readonly Effect[], outcome: PassOutcome): Handlers {
  const run = async (e: Effect): Promise<Outcome> => {
    w.rest = effects.slice(effects.indexOf(e) + 1);
    const failed = await w.apply(e, outcome);
    if (failed !== undefined) throw new Error(failed);
    return "applied";
  };
  const nothingToWrite = async (): Promise<Outcome> => "skipped";
  return {
    "set-stage": run,
    "save-memory": run,
    dispatch: run,
    "cancel-run": run,
    merge: run,
    escalate: run,
    "clear-escalation": run,
    "set-priority": run,
    comment: run,
    "close-issue": nothingToWrite,
    "record-abandoned": run,
    "save-repo-memory": run,
    "write-mirror": nothingToWrite,
    "conveyor-check": nothingToWrite,
    "refuse-scheduling": nothingToWrite,
    "write-dashboard": nothingToWrite,
    "report-config-check": nothingToWrite,
  };
}

class Working {
  board: Board;
  readonly state: LocalState;
  /** Tracking files as the board stands for them (what renders keep problem lines from). */
  readonly files: Record<string, string>;
  /** Tracking files as last read or written on disk. */
  readonly disk: Record<string, string>;
  changelog: string | undefined;
  readonly #loaded: LoadedBoard;
  readonly #ctx: ExecuteContext;
  readonly #notes: string[] = [];
  /** Tasks that reached done (worktree and branch go) or abandoned (the branch stays). */
  readonly #finished = new Map<string, "done" | "abandoned">();
  /** Set when the run must stop (see `PassOutcome.fatal`). */
  fatal: string | undefined;
  /** Set when the failing effect already emitted its own line. */
  reported = false;
  /** The effects of the pass after the one being applied. */
  rest: readonly Effect[] = [];

  constructor(loaded: LoadedBoard, ctx: ExecuteContext) {
    this.#loaded = loaded;
    this.#ctx = ctx;
    this.board = loaded.board;
    this.state = loaded.state;
    this.files = { ...loaded.files };
    this.disk = { ...loaded.disk };
    this.changelog = loaded.changelog;
    if (loaded.assigned.length > 0)
      this.#notes.push(`number new tasks ${loaded.assigned.join(", ")}`);
  }

  /** Applies one effect; returns why it failed, or undefined. */
  async apply(e: Effect, outcome: PassOutcome): Promise<string | undefined> {
    const { emit, now } = this.#ctx;
    switch (e.type) {
      case "set-stage":
        this.board = applyEffects(this.board, [e], now);
        this.#notes.push(`${e.task} ${e.from} -> ${e.to}`);
        emit({ kind: "move", task: e.task, text: `${e.task}: ${e.from} → ${e.to} (${e.reason})` });
        if (e.to === "done" || e.to === "abandoned") {
          this.#finished.set(e.task, e.to);
          // A finished task is not escalated any more (GitHub takes the label off too).
          rmSync(this.#escalationReport(e.task), { force: true });
        }
        return undefined;
      case "save-memory": {
        const before = this.#task(e.task)?.memory;
        this.board = applyEffects(this.board, [e], now);
        const result = before && foldedResult(this.board, before, e.memory);
        const retries = this.#ctx.repo.config.retries;
        const line = before && failureLine(e.task, before, e.memory, retries, result);
        if (line) emit({ kind: "info", task: e.task, text: line });
        return undefined;
      }
      case "save-repo-memory":
      case "set-priority":
        this.board = applyEffects(this.board, [e], now);
        return undefined;
      case "cancel-run":
        this.#ctx.supervisor.cancel(e.correlationId, e.force);
        emit({
          kind: "cancel",
          task: e.task,
          text: `${e.task}: ${e.force ? "kill" : "stop"} ${e.correlationId} (${e.reason})`,
        });
        return undefined;
      case "escalate":
        this.#writeEscalation(e.task, e.reason);
        emit({ kind: "escalate", task: e.task, text: `${e.task}: ESCALATED — ${e.reason}` });
        return undefined;
      case "clear-escalation":
        // The report is the local escalated label: it goes when the escalation does.
        rmSync(this.#escalationReport(e.task), { force: true });
        emit({ kind: "info", task: e.task, text: `${e.task}: escalation cleared` });
        return undefined;
      case "comment":
        emit({ kind: "info", task: e.task, text: `${e.task}: ${e.body.split("\n")[0]}` });
        return undefined;
      case "record-abandoned": {
        const text =
          this.changelog ?? readOr(join(this.#ctx.repo.root, this.#ctx.repo.changelogPath));
        this.changelog = recordAbandoned(text, { id: e.task, title: e.title, reason: e.reason });
        return undefined;
      }
      case "merge":
        return this.#merge(e, outcome);
      case "dispatch":
        return this.#dispatch(e, outcome);
    }
  }

  async #merge(
    e: Extract<Effect, { type: "merge" }>,
    outcome: PassOutcome,
  ): Promise<string | undefined> {
    const unflushed = await this.flush();
    if (unflushed !== undefined) return unflushed;
    const { repo, emit, now } = this.#ctx;
    const items = e.batch.map((b) => ({
      task: b.task,
      branch: b.branch,
      sha: b.sha,
      title: this.#task(b.task)?.title ?? b.task,
    }));
    const result = await mergeBatch(
      repo.root,
      items,
      repo.gitEnv,
      repo.trackingPaths,
      repo.changelogPath,
      mergeJournalPath(repo.layout),
    );
    appendMergeLog(repo.layout, {
      at: now.toISOString(),
      tasks: items.map((i) => i.task),
      merged: result.merged,
      ...(result.failed ? { failed: result.failed } : {}),
    });
    outcome.merged.push(...result.merged);
    if (result.merged.length > 0)
      emit({
        kind: "merge",
        text: `merged ${result.merged.join(" + ")} into ${repo.base}${result.merged.length > 1 ? " (one batch)" : ""}`,
      });
    if (result.failed) {
      const { task, reason, conflict } = result.failed;
      this.reported = true;
      if (conflict) {
        // The next pass observes the conflict on the branch; the planner sends it back.
        emit({ kind: "merge", task, text: `${task}: not merged (${reason}); back to its agent` });
        return `merge of ${task} stopped: ${reason}`;
      }
      this.#mergeFailed(task, reason);
      return `merge of ${task} stopped: ${reason}`;
    }
    return undefined;
  }

  /**
   * A merge that failed for another reason than a conflict (local changes in the way, a lock
   * file, a failing hook) is tried again on the next passes, a bounded number of times
   * (`merge.baseModifiedRetries`); then the task is escalated with the reason.
   */
  #mergeFailed(id: string, reason: string): void {
    const { repo, emit, now } = this.#ctx;
    const task = this.#task(id);
    if (!task) return;
    // The planner put the task's memory after the merge (a tester's verdict folded in the
    // same pass, say); it stands, without the merge: tested, in the queue, one failure more.
    const planned = this.rest.find(
      (r): r is Extract<Effect, { type: "save-memory" }> =>
        r.type === "save-memory" && r.task === id,
    );
    const base = planned?.memory ?? task.memory;
    if (task.stage !== "merge-queue") {
      const move: Effect = {
        type: "set-stage",
        task: id,
        from: task.stage,
        to: "merge-queue",
        reason: "tested; the merge failed",
      };
      this.board = applyEffects(this.board, [move], now);
      this.#notes.push(`${id} ${task.stage} -> merge-queue`);
    }
    const limit = repo.config.merge.baseModifiedRetries;
    const failures = base.attempts.merge + 1;
    const memory = {
      ...base,
      attempts: { ...base.attempts, merge: failures },
      lastFailure: `merge failed: ${reason}`,
    };
    if (failures <= limit) {
      this.board = applyEffects(this.board, [{ type: "save-memory", task: id, memory }], now);
      emit({
        kind: "merge",
        task: id,
        text: `${id}: merge failed: ${reason}; retry ${failures} of ${limit}`,
      });
      return;
    }
    const why = `merge failed ${failures} times: ${reason}`;
    memory.escalation = { reason: why, at: now.toISOString(), stage: "merge-queue" };
    this.board = applyEffects(this.board, [{ type: "save-memory", task: id, memory }], now);
    this.#notes.push(`${id} escalated`);
    this.#writeEscalation(id, why);
    emit({ kind: "escalate", task: id, text: `${id}: ESCALATED — ${why}` });
  }

  /**
   * A task agent sent back because its branch conflicts with the base gets the files and
   * what to do on its branch (see `conflictFeedback`), and its memory says the same.
   */
  #conflictFeedback(e: DispatchEffect, files: readonly string[]): DispatchEffect {
    const task = this.#task(e.task);
    if (!task) return e;
    const { repo, now } = this.#ctx;
    const branch = task.branch ?? task.id;
    const feedback = conflictFeedback({
      branch,
      baseBranch: repo.base,
      files,
      reason: `merging \`${branch}\` into \`${repo.base}\` conflicts`,
    });
    const memory = { ...task.memory, feedback };
    this.board = applyEffects(this.board, [{ type: "save-memory", task: e.task, memory }], now);
    return { ...e, feedback };
  }

  async #dispatch(planned: DispatchEffect, outcome: PassOutcome): Promise<string | undefined> {
    const conflicts = planned.role === "task" ? this.#loaded.conflicts?.[planned.task] : undefined;
    const e = conflicts ? this.#conflictFeedback(planned, conflicts) : planned;
    const unflushed = await this.flush();
    if (unflushed !== undefined) return unflushed;
    const { repo, supervisor, emit, now } = this.#ctx;
    const task = this.#task(e.task);
    if (!task) return `unknown task ${e.task}`;
    const tree = await ensureWorktree(repo.layout, e.task, repo.base);
    if (tree instanceof Error) return tree.message;
    if (tree.forkSha) {
      const stored = this.state.tasks[e.task];
      if (stored) stored.forkSha = tree.forkSha;
      writeState(repo.layout.stateFile, this.state);
    }
    const job: AgentJob = {
      correlationId: e.correlationId,
      role: e.role,
      attempt: e.attempt,
      task: {
        id: task.id,
        title: task.title,
        ...(task.body !== undefined ? { body: task.body } : {}),
        locations: task.locations,
      },
      ...(e.feedback ? { feedback: e.feedback } : {}),
      branch: tree.branch,
      baseBranch: repo.base,
      ...(e.pr !== undefined ? { pr: e.pr } : {}),
      model: e.model,
      deadline: new Date(now.getTime() + e.timeoutMinutes * 60_000).toISOString(),
      workspace: tree.path,
      reportsDir: taskReportsDir(repo.layout, e.task),
      config: repo.config,
    };
    supervisor.spawn(job, e.timeoutMinutes * 60_000);
    outcome.dispatched.push(e.correlationId);
    emit({
      kind: "dispatch",
      task: e.task,
      text: dispatchLine(e.task, e.role, e.attempt, e.correlationId),
    });
    return undefined;
  }

  #task(id: string): Task | undefined {
    return this.board.tasks.find((t) => t.id === id);
  }

  #escalationReport(task: string): string {
    return join(taskReportsDir(this.#ctx.repo.layout, task), "escalation.md");
  }

  #writeEscalation(task: string, reason: string): void {
    const dir = taskReportsDir(this.#ctx.repo.layout, task);
    mkdirSync(dir, { recursive: true });
    const local = escalationChoices(task);
    writeFileSync(
      this.#escalationReport(task),
      [
        `# ${task} escalated`,
        "",
        `At ${this.#ctx.now.toISOString()}: ${reason}`,
        "",
        "Choices:",
        ...local.map((c) => `- ${c}`),
        "",
      ].join("\n"),
    );
  }

  /**
   * Writes state and tracking files, commits the tracking files, cleans finished tasks up.
   * When someone edited a tracking file since it was read, nothing is written and the pass
   * stops (returns why): the next pass reads the edit and plans again, so no hand edit is
   * ever overwritten and the files never fall behind a dispatch.
   *
   * A kill may hit at any instant, so the files changed are first announced in the state
   * (written atomically, with the tasks), then each is replaced atomically, then the note is
   * cleared: a task moving from one file to another is never in neither (see `loadBoard`).
   */
  async flush(): Promise<string | undefined> {
    const { repo } = this.#ctx;
    for (const path of repo.trackingPaths) {
      if (readOr(join(repo.root, path)) !== (this.disk[path] ?? ""))
        return `${path} was edited while Conveyor was planning; planning again with the edit`;
    }
    for (const t of this.board.tasks) {
      const prev = this.state.tasks[t.id];
      this.state.tasks[t.id] = {
        title: t.title,
        priority: t.priority,
        stage: t.stage,
        createdAt: t.createdAt,
        locations: t.locations,
        ...(t.body !== undefined ? { body: t.body } : {}),
        memory: t.memory,
        ...(prev?.forkSha ? { forkSha: prev.forkSha } : {}),
      };
    }
    this.state.repoMemory = this.board.repoMemory;

    const files = renderLocalFiles(this.board, repo.config.mirror.folder, this.#loaded.kept);
    const paths: string[] = [];
    const writes: PendingWrite[] = [];
    for (const [path, text] of Object.entries(files)) {
      paths.push(path);
      if (this.disk[path] !== text) writes.push(pendingWrite(path, this.disk[path] ?? "", text));
    }
    if (this.changelog !== undefined) {
      const path = repo.changelogPath;
      paths.push(path);
      const before = readOr(join(repo.root, path));
      if (before !== this.changelog) writes.push(pendingWrite(path, before, this.changelog));
    }
    if (writes.length > 0) this.state.pending = writes;
    else delete this.state.pending;
    writeState(repo.layout.stateFile, this.state);
    if (writes.length > 0) {
      for (const w of writes) {
        writeTextAtomic(join(repo.root, w.path), w.text, repo.layout.tmpDir);
        if (w.path in files) this.files[w.path] = this.disk[w.path] = w.text;
      }
      delete this.state.pending;
      writeState(repo.layout.stateFile, this.state);
    }
    this.changelog = undefined;
    const committed = await commitTracking(repo, paths, this.#notes.splice(0));
    if (committed instanceof Error) {
      this.fatal = committed.message;
      return committed.message;
    }

    if (this.#finished.size === 0) return undefined;
    for (const [id, stage] of [...this.#finished]) {
      this.#finished.delete(id);
      await removeWorktree(repo.layout, id, { keepBranch: stage === "abandoned" });
      const stored = this.state.tasks[id];
      if (stored) delete stored.forkSha;
    }
    writeState(repo.layout.stateFile, this.state);
    return undefined;
  }
}

/**
 * Commits the given paths on the checked-out base branch when they differ from HEAD. A
 * commit that fails (a hook that wants a terminal, no identity, a lock) is an `Error` with
 * git's reason: nothing may be dispatched on a transition that is not committed.
 */
export async function commitTracking(
  repo: LocalRepo,
  paths: string[],
  notes: string[],
): Promise<boolean | Error> {
  const status = await git(repo.root, ["status", "--porcelain", "--", ...paths]);
  if (status.code !== 0) return commitError(gitFailure(status, "git status").reason);
  if (status.stdout.trim() === "") return false;
  const add = await git(repo.root, ["add", "--", ...paths], repo.gitEnv);
  if (add.code !== 0) return commitError(gitFailure(add, "git add").reason);
  const subject =
    notes.length > 0 ? `conveyor: ${notes.join("; ")}` : "conveyor: update the tracking files";
  const message = subject.length > 200 ? `${subject.slice(0, 197)}...` : subject;
  const r = await git(
    repo.root,
    ["commit", "-q", "--no-verify", "-m", message, "--", ...paths],
    repo.gitEnv,
  );
  if (r.code !== 0) return commitError(gitFailure(r, "git commit").reason);
  return true;
}

const commitError = (why: string) =>
  new Error(
    `could not commit the tracking files (${why}); nothing more is started until they can be committed — fix that, then run \`conveyor run\` again`,
  );

function readOr(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
