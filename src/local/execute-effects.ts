import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyEffects } from "../core/apply.js";
import type { Board, Task } from "../core/board.js";
import { describeEffect, type Effect } from "../core/effects.js";
import { recordAbandoned } from "../core/markdown/index.js";
import type { AgentJob } from "./agent-job.js";
import { git } from "./git.js";
import { writeTextAtomic } from "./json-file.js";
import type { LoadedBoard } from "./load-board.js";
import type { EventSink } from "./local-events.js";
import type { LocalRepo } from "./local-repo.js";
import { localWording } from "./local-wording.js";
import { mergeBatch } from "./merge-batch.js";
import { appendMergeLog } from "./merge-log.js";
import { type PendingWrite, pendingWrite } from "./pending-writes.js";
import { renderLocalFiles } from "./render-local-files.js";
import { taskReportsDir } from "./repo-layout.js";
import type { LocalState } from "./state-store.js";
import { writeState } from "./state-store.js";
import { escalationChoices } from "./status-text.js";
import type { Supervisor } from "./supervisor.js";
import { ensureWorktree, removeWorktree } from "./worktrees.js";

export interface ExecuteContext {
  repo: LocalRepo;
  supervisor: Supervisor;
  emit: EventSink;
  now: Date;
}

export interface PassOutcome {
  /** Set when an effect failed and the rest of the pass was skipped (re-planned next pass). */
  stopped?: string;
  dispatched: string[];
  merged: string[];
}

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
  for (const effect of localWording(effects)) {
    const failed = await w.apply(effect, outcome);
    if (failed !== undefined) {
      outcome.stopped = failed;
      ctx.emit({ kind: "error", text: `${describeEffect(effect)}: ${failed}` });
      break;
    }
  }
  const failed = await w.flush();
  if (failed !== undefined && outcome.stopped === undefined) {
    outcome.stopped = failed;
    ctx.emit({ kind: "info", text: failed });
  }
  return outcome;
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
        if (e.to === "done" || e.to === "abandoned") this.#finished.set(e.task, e.to);
        return undefined;
      case "save-memory":
      case "save-repo-memory":
      case "set-priority":
        this.board = applyEffects(this.board, [e], now);
        return undefined;
      case "write-mirror":
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
        emit({ kind: "info", task: e.task, text: `${e.task}: escalation cleared` });
        return undefined;
      case "comment":
        emit({ kind: "info", task: e.task, text: `${e.task}: ${e.body.split("\n")[0]}` });
        return undefined;
      case "close-issue":
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
      emit({
        kind: "merge",
        task: result.failed.task,
        text: `${result.failed.task}: not merged (${result.failed.reason}); left for the next pass`,
      });
      return `merge of ${result.failed.task} stopped: ${result.failed.reason}`;
    }
    return undefined;
  }

  async #dispatch(
    e: Extract<Effect, { type: "dispatch" }>,
    outcome: PassOutcome,
  ): Promise<string | undefined> {
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
      text: `${e.task}: ${e.role} agent started (attempt ${e.attempt + 1}, ${e.correlationId})`,
    });
    return undefined;
  }

  #task(id: string): Task | undefined {
    return this.board.tasks.find((t) => t.id === id);
  }

  #writeEscalation(task: string, reason: string): void {
    const dir = taskReportsDir(this.#ctx.repo.layout, task);
    mkdirSync(dir, { recursive: true });
    const local = escalationChoices(task);
    writeFileSync(
      join(dir, "escalation.md"),
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
    await commitTracking(repo, paths, this.#notes.splice(0));

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

/** Commits the given paths on the checked-out base branch when they differ from HEAD. */
export async function commitTracking(
  repo: LocalRepo,
  paths: string[],
  notes: string[],
): Promise<boolean> {
  const status = await git(repo.root, ["status", "--porcelain", "--", ...paths]);
  if (status.stdout.trim() === "") return false;
  await git(repo.root, ["add", "--", ...paths], repo.gitEnv);
  const subject =
    notes.length > 0 ? `conveyor: ${notes.join("; ")}` : "conveyor: update the tracking files";
  const message = subject.length > 200 ? `${subject.slice(0, 197)}...` : subject;
  const r = await git(
    repo.root,
    ["commit", "-q", "--no-verify", "-m", message, "--", ...paths],
    repo.gitEnv,
  );
  return r.code === 0;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
