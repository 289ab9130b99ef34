import {
  type AgentResult,
  type Board,
  cloneMemory,
  correlationId,
  IN_FLIGHT_STAGES,
  type PullRequest,
  STAGE_OF_ROLE,
  type Stage,
  type Task,
  type TaskMemory,
} from "./board.js";
import { type Config, modelFor, PRIORITIES, type Role } from "./config.js";
import {
  type Effect,
  ESCALATION_CHOICES,
  type Plan,
  type WaitCode,
  type Waiting,
} from "./effects.js";
import { cloneJson } from "./json.js";
import { LocationIndex, normalizedLocations } from "./locations.js";
import { compareIds } from "./markdown/task-order.js";
import { prName, thePr } from "./wording.js";

/**
 * The reconciler: from one snapshot of the board, what to do now. Pure and deterministic;
 * planning again over the board that results from applying the effects plans nothing new.
 *
 * Three phases over working copies of the tasks:
 *  A. observe: fold in agent results, notice dead/overdue runs, stale verdicts, merged PRs;
 *  B. dispatch: hand free agent slots to the tasks that need an agent, finishing work
 *     before starting work (tester > reviewer > task agent, then priority, then age);
 *  C. merge: one merge (or one batch of disjoint PRs) from the head of the merge queue.
 */
export function plan(board: Board, config: Config, now: Date): Plan {
  const nowIso = now.toISOString();
  const nowMs = now.getTime();
  const drafts = board.tasks.map((task) => new Draft(task)).sort(byPriorityThenAge);
  const waiting: Waiting[] = [];
  const waitingIds = new Set<string>();
  const wait: WaitFn = (task, code, text) => {
    if (waitingIds.has(task)) return;
    waiting.push({ task, code, text });
    waitingIds.add(task);
  };

  // Phase A: observe.
  for (const d of drafts) observe(d, board, config, nowMs, nowIso, wait);

  // Phase C before B: merges decide which queued PRs must be re-tested on the new base,
  // and those need a tester in this same pass.
  const { queue, mergeEffects } = planMerges(drafts, board, config, nowIso, wait);

  // Phase B: dispatch.
  const repoMemory = cloneJson(board.repoMemory);
  const hourAgo = nowMs - 3_600_000;
  repoMemory.dispatches = repoMemory.dispatches.filter((at) => Date.parse(at) > hourAgo);
  // A run being cancelled still holds its runner until it ends (or is force-cancelled).
  let slotsUsed = drafts.reduce(
    (n, d) => n + (d.view.run ? 1 : 0) + (d.view.cancelling?.length ?? 0),
    0,
  );
  let inFlightUsed = drafts.filter(
    (d) => IN_FLIGHT_STAGES.includes(d.stage) && d.view.escalation === undefined,
  ).length;
  const blocker = globalBlocker(board);

  // Loop guards first: a task they stop waits for a person and gives its in-flight slot
  // back, which a task further down the order may take in this same plan.
  const stopped = new Set<Draft>();
  for (const d of drafts.filter((x) => x.need !== undefined)) {
    const guard =
      runsSinceRetry(d.view) >= config.guards.maxRunsPerTask
        ? `loop guard: ${runsSinceRetry(d.view)} agent runs reached the cap of ${config.guards.maxRunsPerTask}`
        : d.view.costUsd >= config.agent.taskBudgetUsd
          ? `cost budget spent: $${d.view.costUsd.toFixed(2)} of $${config.agent.taskBudgetUsd.toFixed(2)}`
          : undefined;
    if (!guard) continue;
    escalate(d, guard, nowIso);
    stopped.add(d);
    if (IN_FLIGHT_STAGES.includes(d.stage)) inFlightUsed--;
  }

  // Task agents at work hold their locations; so does, for a new task, every task already
  // in progress (its branch holds changes to those files even while it waits for a retry).
  // Indexed once (normalised paths per holder), so the check costs the same per dispatch
  // however many tasks hold files: the plan stays linear in its dispatches.
  const holders = new LocationIndex<Draft>();
  const halfDone = new LocationIndex<Draft>();
  if (config.guards.exclusiveLocations)
    for (const d of drafts) {
      if (d.view.run?.role === "task") holders.add(d, d.locations());
      else if (d.stage === "in-progress" && !d.view.escalation) halfDone.add(d, d.locations());
    }

  for (const d of drafts.filter((x) => x.need !== undefined).sort(byDispatchOrder)) {
    if (stopped.has(d)) continue;
    const need = d.need!;
    const ending = d.view.cancelling?.[0];
    if (ending) {
      // Two agents never write one branch at once: the retry waits for the cancelled run.
      const left = Math.max(
        0,
        Math.ceil(
          (Date.parse(ending.at) + config.guards.cancelGraceMinutes * 60_000 - nowMs) / 60_000,
        ),
      );
      wait(
        d.id,
        "cancelling",
        `waits for the cancelled ${roleName(roleOfCid(ending.correlationId) ?? need.role)} run to end (force-cancelled in ${left} min if it does not)`,
      );
      continue;
    }
    if (blocker) {
      wait(d.id, blocker.code, blocker.text);
      continue;
    }
    const counted = countsTowardHourlyCap(d, need);
    if (counted && repoMemory.dispatches.length >= config.guards.maxDispatchesPerHour) {
      const oldest = Math.min(...repoMemory.dispatches.map((at) => Date.parse(at)));
      const left = Math.max(1, Math.ceil((oldest + 3_600_000 - nowMs) / 60_000));
      wait(
        d.id,
        "dispatch-limit",
        `dispatch limit: ${repoMemory.dispatches.length} re-dispatches and retries in the last hour (cap ${config.guards.maxDispatchesPerHour}); the next can start in ${left} min`,
      );
      continue;
    }
    const slotsFull = slotsUsed >= config.capacity.agents;
    const inFlightFull = d.stage === "todo" && inFlightUsed >= config.capacity.inFlight;
    const slotsText = `slots full: ${slotsUsed}/${config.capacity.agents}`;
    const inFlightText = `in-flight tasks full: ${inFlightUsed}/${config.capacity.inFlight}`;
    if (slotsFull && inFlightFull) {
      wait(d.id, "slots-and-in-flight-full", `${slotsText}; ${inFlightText}`);
      continue;
    }
    if (slotsFull) {
      wait(d.id, "slots-full", slotsText);
      continue;
    }
    if (inFlightFull) {
      wait(d.id, "in-flight-full", inFlightText);
      continue;
    }
    if (need.role === "task" && config.guards.exclusiveLocations) {
      const clash =
        holders.first(d.locations(), d) ??
        (d.stage === "todo" ? halfDone.first(d.locations(), d) : undefined);
      if (clash) {
        wait(
          d.id,
          "location-clash",
          `waits for ${ref(clash.holder.id)}: both touch ${clash.paths.join(", ")}`,
        );
        continue;
      }
    }
    if (d.stage === "todo") {
      d.moveTo("in-progress", "picked up: an agent slot is free", nowIso);
      inFlightUsed++;
    }
    d.mem.runs += 1;
    const cid = correlationId(d.id, need.role, need.attempt, d.mem.runs);
    d.mem.run = {
      role: need.role,
      attempt: need.attempt,
      correlationId: cid,
      dispatchedAt: nowIso,
    };
    if (d.task.pr?.headSha) d.mem.run.headSha = d.task.pr.headSha;
    d.dispatch = {
      type: "dispatch",
      task: d.id,
      role: need.role,
      attempt: need.attempt,
      correlationId: cid,
      model: modelFor(config, need.role, need.attempt),
      timeoutMinutes: config.roles[need.role].timeoutMinutes,
      ...(need.feedback ? { feedback: need.feedback } : {}),
      ...(d.task.pr ? { pr: d.task.pr.number } : {}),
      ...((d.task.branch ?? d.task.pr?.branch)
        ? { branch: d.task.branch ?? d.task.pr?.branch }
        : {}),
    };
    if (counted) repoMemory.dispatches.push(nowIso);
    slotsUsed++;
    if (need.role === "task" && config.guards.exclusiveLocations) holders.add(d, d.locations());
  }

  // Assemble, task by task, in an order that keeps every rule of the executor true:
  // cancel before anything, the stage label before the memory, both before the dispatch.
  // The executor stops at the first failure, so what finishes work comes first: the tasks
  // that dispatch nothing, then the merge (tasks it sends back to testing follow it: if it
  // fails, they stay queued), then the dispatches in dispatch order.
  const effects: Effect[] = [];
  const late = (d: Draft) => d.dispatch !== undefined || d.afterMerge;
  for (const d of drafts) if (!late(d)) effects.push(...d.effects());
  effects.push(...mergeEffects);
  for (const d of drafts.filter(late).sort(byEmitOrder)) effects.push(...d.effects());
  if (!sameJson(repoMemory, board.repoMemory))
    effects.push({ type: "save-repo-memory", memory: repoMemory });

  // Every task the pass leaves as it is gets a reason, the running ones included.
  for (const d of drafts) {
    if (waitingIds.has(d.id) || d.dispatch || d.stage === "done" || d.stage === "abandoned")
      continue;
    if (d.view.escalation) {
      wait(
        d.id,
        "escalated",
        `escalated: ${d.view.escalation.reason} — waiting for a maintainer's choice`,
      );
      continue;
    }
    const run = d.view.run;
    if (run) {
      const observed = board.runs[run.correlationId];
      const name = roleName(run.role);
      if (observed?.status === "in_progress") {
        const since = Date.parse(observed.startedAt ?? run.dispatchedAt);
        wait(
          d.id,
          "running",
          `${name} running: ${minutes(nowMs - since)} of ${config.roles[run.role].timeoutMinutes} min`,
        );
      } else
        wait(
          d.id,
          "not-started",
          `${name} dispatched ${minutes(nowMs - Date.parse(run.dispatchedAt))} min ago, not started yet`,
        );
      continue;
    }
    const ending = d.view.cancelling?.[0];
    if (ending)
      wait(
        d.id,
        "cancelling",
        `waits for the cancelled ${roleName(roleOfCid(ending.correlationId) ?? "task")} run to end`,
      );
  }

  return {
    effects,
    waiting,
    slots: { used: slotsUsed, capacity: config.capacity.agents },
    inFlight: { used: inFlightUsed, capacity: config.capacity.inFlight },
    mergeQueue: queue,
  };
}

type WaitFn = (task: string, code: WaitCode, text: string) => void;

const ROLE_NAMES: Record<Role, string> = {
  task: "task agent",
  reviewer: "reviewer",
  tester: "tester",
};
const roleName = (role: Role): string => ROLE_NAMES[role];
const roleOfCid = (cid: string): Role | undefined => {
  const role = cid.split("/")[1];
  return role === "task" || role === "reviewer" || role === "tester" ? role : undefined;
};
const minutes = (ms: number): number => Math.max(0, Math.floor(ms / 60_000));

/** What a task needs next: an agent of this role, on this attempt, with these notes. */
interface Need {
  role: Role;
  attempt: number;
  feedback?: string;
}

/** A task being planned: working copies plus the effects decided so far. */
class Draft {
  readonly id: string;
  readonly task: Task;
  stage: Stage;
  private writable?: TaskMemory;
  need?: Need;
  dispatch?: Effect;
  readonly cancels: Effect[] = [];
  readonly extra: Effect[] = [];
  /** Merged in this pass: its effects follow the merge effect (see `postMerge`). */
  merged = false;
  /** Sent back to testing by this pass's merge: its effects follow the merge effect. */
  afterMerge = false;
  /** Queued, but the base changed these of its files since its tests: not mergeable as is. */
  drift?: string[];
  /** The name (`prName`) of the PR whose merge in this pass moved the base under it, if any. */
  mergedFirst?: string;
  private readonly moves: { from: Stage; to: Stage; reason: string }[] = [];

  constructor(task: Task) {
    this.id = task.id;
    this.task = task;
    this.stage = task.stage;
  }

  private normalized?: string[];

  /** The task's locations, normalised once. */
  locations(): string[] {
    if (this.normalized === undefined) this.normalized = normalizedLocations(this.task.locations);
    return this.normalized;
  }

  /** The task's memory for writing: copied on first use, so untouched tasks cost nothing. */
  get mem(): TaskMemory {
    if (this.writable === undefined) this.writable = cloneMemory(this.task.memory);
    return this.writable;
  }

  /** The task's memory for reading: the copy once written, the snapshot's until then. */
  get view(): TaskMemory {
    return this.writable ?? this.task.memory;
  }

  private memoryChanged(): boolean {
    return this.writable !== undefined && !sameJson(this.writable, this.task.memory);
  }

  moveTo(to: Stage, reason: string, nowIso: string): void {
    if (to === this.stage) return;
    this.moves.push({ from: this.stage, to, reason });
    this.stage = to;
    this.mem.stageSince = nowIso;
  }

  /** The task's effects, in executor order. */
  effects(): Effect[] {
    if (this.merged) return this.cancels;
    const out: Effect[] = [...this.cancels];
    const first = this.moves[0];
    const last = this.moves[this.moves.length - 1];
    if (first && last && this.stage !== this.task.stage)
      out.push({
        type: "set-stage",
        task: this.id,
        from: this.task.stage,
        to: this.stage,
        reason: this.moves.map((m) => m.reason).join("; then "),
      });
    if (this.memoryChanged()) out.push({ type: "save-memory", task: this.id, memory: this.mem });
    out.push(...this.extra);
    if (this.dispatch) out.push(this.dispatch);
    return out;
  }

  /** Effects for a task the merge phase merged: the memory and done move follow the merge. */
  postMerge(): Effect[] {
    const out: Effect[] = [];
    if (this.stage !== this.task.stage)
      out.push({
        type: "set-stage",
        task: this.id,
        from: this.task.stage,
        to: this.stage,
        reason: "merged",
      });
    if (this.memoryChanged()) out.push({ type: "save-memory", task: this.id, memory: this.mem });
    out.push(...this.extra);
    return out;
  }
}

function observe(
  d: Draft,
  board: Board,
  config: Config,
  nowMs: number,
  nowIso: string,
  wait: WaitFn,
): void {
  settleCancels(d, board, config, nowMs);
  if (d.stage === "done" || d.stage === "abandoned") return;
  const pr = d.task.pr;

  // A PR merged by hand (or by an earlier pass) finishes the task, whatever its stage.
  if (pr?.merged) {
    cancelActive(d, `${thePr(pr)} was merged`, nowIso);
    d.mem.escalation = undefined;
    d.moveTo("done", `${prName(pr)} was merged`, nowIso);
    d.extra.push({ type: "close-issue", task: d.id, reason: "completed" });
    return;
  }
  if (d.view.escalation) return;
  if (pr?.closed && d.stage !== "todo" && d.stage !== "in-progress") {
    cancelActive(d, `${thePr(pr)} was closed`, nowIso);
    escalate(d, `${prName(pr)} was closed without merging`, nowIso);
    return;
  }

  const run = d.view.run;
  if (run) {
    const result = board.results[run.correlationId];
    if (result && !d.view.handled.includes(run.correlationId)) {
      foldResult(d, result, config, nowIso);
      return;
    }
    const observed = board.runs[run.correlationId];
    const role = run.role;
    if (observed?.status === "completed") {
      d.mem.run = undefined;
      fail(
        d,
        role,
        `the ${role} agent run ended (${observed.conclusion ?? "no conclusion"}) without publishing a result`,
        config,
        nowIso,
      );
      return;
    }
    if (!observed || observed.status === "queued") {
      const graceMs = config.guards.startGraceMinutes * 60_000;
      if (nowMs - Date.parse(run.dispatchedAt) > graceMs) {
        if (observed)
          requestCancel(d, observed.correlationId, observed.runId, "it never started", nowIso);
        d.mem.run = undefined;
        fail(
          d,
          role,
          `the ${role} agent never started within ${config.guards.startGraceMinutes} min`,
          config,
          nowIso,
        );
      }
      return;
    }
    const started = Date.parse(observed.startedAt ?? run.dispatchedAt);
    const timeout = config.roles[role].timeoutMinutes;
    if (nowMs - started > timeout * 60_000) {
      requestCancel(
        d,
        run.correlationId,
        observed.runId,
        `over its ${timeout} min timeout`,
        nowIso,
      );
      d.mem.run = undefined;
      fail(
        d,
        role,
        `the ${role} agent timed out after ${timeout} min and was cancelled`,
        config,
        nowIso,
      );
    }
    return;
  }

  // No agent at work: what does the stage need?
  switch (d.stage) {
    case "todo":
    case "in-progress":
      d.need = needFor(d, "task");
      return;
    case "review":
      if (!hasPr(d)) {
        backToTaskAgent(d, "no pull request to review: back to a task agent", nowIso);
        return;
      }
      d.need = needFor(d, "reviewer");
      return;
    case "testing":
      checkTesting(d, nowIso);
      return;
    case "merge-queue":
      checkQueued(d, config, nowIso, wait);
      return;
  }
}

/** The attempt number and notes for the next run of `role`. */
function needFor(d: Draft, role: Role): Need {
  const need: Need = { role, attempt: d.view.attempts[role] };
  if (d.view.feedback) need.feedback = d.view.feedback;
  return need;
}

/**
 * A task in testing with no agent at work: back to review when its head moved after the
 * approving review; otherwise it needs a tester. Also applied at once when the merge queue
 * sends a task back to testing, so that a second plan over the same board plans nothing.
 */
function checkTesting(d: Draft, nowIso: string): void {
  const pr = d.task.pr;
  const review = d.view.verdicts.review;
  if (!pr || !hasPr(d)) {
    backToTaskAgent(d, "no pull request to test: back to a task agent", nowIso);
    return;
  }
  if (review?.value !== "approve") {
    d.mem.verdicts = {};
    d.moveTo("review", "no approving review verdict", nowIso);
    d.need = needFor(d, "reviewer");
    return;
  }
  if (review.sha !== pr.headSha) {
    d.mem.verdicts.review = undefined;
    d.moveTo(
      "review",
      `the head moved to ${short(pr.headSha)} after the review of ${short(review.sha)}`,
      nowIso,
    );
    d.need = needFor(d, "reviewer");
    return;
  }
  d.need = needFor(d, "tester");
}

/** Checks a merge-queue task; sends it back when its test verdict no longer holds. */
function checkQueued(d: Draft, config: Config, nowIso: string, wait: WaitFn) {
  const pr = d.task.pr;
  const test = d.view.verdicts.test;
  const review = d.view.verdicts.review;
  if (!pr) {
    escalate(d, "in the merge queue without a pull request", nowIso);
    return;
  }
  // The merge takes only commits someone judged: the reviewer up to the head the tester
  // started from, the tester its own pushes on top.
  if (
    test?.value === "pass" &&
    test.sha === pr.headSha &&
    (review?.value !== "approve" || review.sha !== (test.startSha ?? test.sha))
  ) {
    d.mem.verdicts = {};
    d.moveTo(
      "review",
      review?.value !== "approve"
        ? "no approving review verdict"
        : `the tests ran on ${short(test.startSha ?? test.sha)}, not on the reviewed ${short(review.sha)}`,
      nowIso,
    );
    d.need = needFor(d, "reviewer");
    return;
  }
  if (test?.value !== "pass" || test.sha !== pr.headSha) {
    const why =
      test?.value !== "pass"
        ? "no passing test verdict"
        : `the head moved to ${short(pr.headSha)} after the tests passed on ${short(test.sha)}`;
    d.mem.verdicts.test = undefined;
    d.moveTo("testing", why, nowIso);
    checkTesting(d, nowIso);
    return;
  }
  const own = ownFiles(pr.changedFiles, config);
  const drift = (pr.baseDrift ?? []).filter((f) => own.includes(f));
  if (drift.length > 0) {
    // Never merged as is; `planMerges` re-tests it once no overlapping PR is ahead of it.
    d.drift = drift;
    return;
  }
  if (pr.mergeable === false) {
    backForConflict(d, pr, config, nowIso);
    return;
  }
  if (protectedChangeHeld(d, pr, config, nowIso, wait)) return;
  if (pr.mergeable === null)
    wait(d.id, "mergeability-unknown", `waits to learn whether ${thePr(pr)} can merge`);
}

/** A PR that conflicts with the base goes back to a task agent (bounded), else escalates. */
function backForConflict(d: Draft, pr: PullRequest, config: Config, nowIso: string): void {
  d.mem.attempts.merge += 1;
  const why = `${prName(pr)} conflicts with the base branch`;
  d.mem.lastFailure = why;
  if (d.mem.attempts.merge > config.retries) {
    escalate(
      d,
      `${why} (after ${d.mem.attempts.merge - 1} ${d.mem.attempts.merge === 2 ? "retry" : "retries"})`,
      nowIso,
    );
    return;
  }
  d.mem.verdicts = {};
  d.mem.feedback = `${why}: merge the base branch into ${pr.number !== undefined ? "the PR branch" : "it"} and resolve the conflicts.`;
  d.moveTo("in-progress", "merge conflict: back to a task agent", nowIso);
  d.need = needFor(d, "task");
}

// --- Security (issue 11): PRs that change `.github/**` -----------------------------------
// Self-contained: the loader sets `touchesProtectedPaths` / `maintainerApproved` on the PR;
// `checkQueued` holds such a PR here and `planMerges` never merges it (`mayMergeProtected`).

/** A PR changing `.github/**` merges only when the config allows it and a maintainer approved. */
export function mayMergeProtected(pr: PullRequest, config: Config): boolean {
  if (!pr.touchesProtectedPaths) return true;
  return config.security.allowWorkflowChanges && pr.maintainerApproved === true;
}

function protectedChangeHeld(
  d: Draft,
  pr: PullRequest,
  config: Config,
  nowIso: string,
  wait: (t: string, code: WaitCode, text: string) => void,
): boolean {
  if (mayMergeProtected(pr, config)) return false;
  if (!config.security.allowWorkflowChanges) {
    escalate(
      d,
      `${prName(pr)} changes .github/** (workflows or the Conveyor config), which agents may not change (security.allowWorkflowChanges is false): review and merge it by hand, or abandon it`,
      nowIso,
    );
    return true;
  }
  wait(
    d.id,
    "approval-needed",
    `${prName(pr)} changes .github/**: waiting for a maintainer's approving review of its head`,
  );
  return true;
}

/** Folds an agent's published result into the task: the transitions of the workflow. */
function foldResult(d: Draft, result: AgentResult, config: Config, nowIso: string): void {
  const cid = result.correlationId;
  const run = d.view.run;
  d.mem.run = undefined;
  d.mem.handled = [...d.mem.handled, cid].slice(-20);
  d.mem.tokens += result.tokens ?? 0;
  d.mem.costUsd = round2(d.mem.costUsd + (result.costUsd ?? 0));
  const role = result.role;

  // A tester that failed on a PR that cannot merge failed on the conflict (it merges the
  // base in first): a task agent resolves it, the tester is not retried on it.
  if (result.outcome !== "ok" && role === "tester" && d.task.pr?.mergeable === false && hasPr(d)) {
    backForConflict(d, d.task.pr, config, nowIso);
    return;
  }
  if (result.outcome !== "ok") {
    fail(
      d,
      role,
      `the ${role} agent ${result.outcome === "incomplete" ? "did not finish" : "failed"}: ${result.summary}`,
      config,
      nowIso,
    );
    return;
  }
  d.mem.lastFailure = undefined;
  switch (role) {
    case "task":
      if (!hasPr(d)) {
        fail(
          d,
          "task",
          "the task agent reported success, but the task has no open pull request (no branch with commits)",
          config,
          nowIso,
        );
        return;
      }
      d.mem.feedback = undefined;
      d.moveTo(
        "review",
        d.task.pr?.number !== undefined
          ? "the task agent opened the PR"
          : "the task agent committed to its branch",
        nowIso,
      );
      d.need = needFor(d, "reviewer");
      return;
    case "reviewer": {
      const pr = d.task.pr;
      if (!pr || !hasPr(d)) {
        backToTaskAgent(d, "the pull request is gone: back to a task agent", nowIso);
        return;
      }
      const sha = result.headSha ?? run?.headSha ?? pr.headSha;
      if (result.verdict === "approve" && sha !== pr.headSha) {
        // An approval counts only for the head it judged: what came after is unreviewed.
        d.mem.verdicts = {};
        d.moveTo(
          "review",
          `the head moved to ${short(pr.headSha)} while the reviewer judged ${short(sha)}`,
          nowIso,
        );
        d.need = needFor(d, "reviewer");
        return;
      }
      if (result.verdict === "approve") {
        d.mem.verdicts.review = { role: "reviewer", value: "approve", sha, at: nowIso };
        d.mem.feedback = undefined;
        d.moveTo("testing", "the reviewer approved", nowIso);
        d.need = needFor(d, "tester");
        return;
      }
      if (result.verdict === "approach_wrong") {
        d.mem.attempts.task += 1;
        d.mem.verdicts = {};
        d.mem.lastFailure = `the reviewer judged the approach wrong: ${result.summary}`;
        if (d.mem.attempts.task > config.retries) {
          escalate(d, d.mem.lastFailure, nowIso);
          return;
        }
        d.mem.feedback = `The reviewer judged the approach wrong. Review:\n${result.summary}`;
        d.moveTo(
          "in-progress",
          "the reviewer judged the approach wrong: back to a task agent",
          nowIso,
        );
        d.need = needFor(d, "task");
        return;
      }
      // request_changes (or no verdict): the task agent addresses the review.
      d.mem.verdicts.review = undefined;
      d.mem.feedback = `The reviewer asked for changes. Review:\n${result.summary}`;
      d.moveTo("in-progress", "the reviewer requested changes", nowIso);
      d.need = needFor(d, "task");
      return;
    }
    case "tester": {
      const pr = d.task.pr;
      if (!pr || !hasPr(d)) {
        backToTaskAgent(d, "the pull request is gone: back to a task agent", nowIso);
        return;
      }
      const review = d.view.verdicts.review;
      // What the tester started from must be the reviewed head; its own pushes on top are
      // what its pass covers; any other commit on the branch goes back to review.
      const start = result.startSha ?? run?.headSha;
      const sha = result.headSha ?? start ?? pr.headSha;
      const unjudged =
        review?.value !== "approve"
          ? "no approving review verdict"
          : start !== review.sha
            ? `the tester started from ${short(start ?? "unknown")}, not the reviewed ${short(review.sha)}`
            : sha !== pr.headSha
              ? `the head moved to ${short(pr.headSha)} after the tester pushed ${short(sha)}`
              : undefined;
      if (result.passed === true && unjudged) {
        d.mem.verdicts = {};
        d.moveTo("review", `${unjudged}: review again`, nowIso);
        d.need = needFor(d, "reviewer");
        return;
      }
      if (result.passed === true) {
        d.mem.verdicts.test = {
          role: "tester",
          value: "pass",
          sha,
          ...(start ? { startSha: start } : {}),
          at: nowIso,
          ...(result.baseSha ? { baseSha: result.baseSha } : {}),
        };
        d.mem.feedback = undefined;
        d.moveTo("merge-queue", "the targeted tests passed", nowIso);
        checkQueued(d, config, nowIso, () => {});
        return;
      }
      d.mem.attempts.tester += 1;
      d.mem.verdicts = {};
      d.mem.lastFailure = `the tests failed: ${result.summary}`;
      if (d.mem.attempts.tester > config.retries) {
        escalate(d, d.mem.lastFailure, nowIso);
        return;
      }
      d.mem.feedback = `The tester's run failed. Notes:\n${result.summary}`;
      d.moveTo("review", "the tests failed: back to review with the failure notes", nowIso);
      d.need = needFor(d, "reviewer");
      return;
    }
  }
}

/** A failed run: retry once in place (same stage, same role), then escalate. */
function fail(d: Draft, role: Role, why: string, config: Config, nowIso: string): void {
  d.mem.attempts[role] += 1;
  d.mem.lastFailure = why;
  if (d.mem.attempts[role] > config.retries) {
    escalate(d, why, nowIso);
    return;
  }
  d.mem.feedback = `The previous ${role} run failed: ${why}`;
  const stage = STAGE_OF_ROLE[role];
  if (d.stage !== stage) d.moveTo(stage, `retry of the ${role}`, nowIso);
  // A tester's retry is decided as a later pass would decide it: a head the failed run moved
  // past the reviewed commit goes back to review first.
  if (stage === "testing") checkTesting(d, nowIso);
  else d.need = needFor(d, role);
}

function escalate(d: Draft, reason: string, nowIso: string): void {
  d.need = undefined;
  d.mem.escalation = { reason, at: nowIso, stage: d.stage };
  d.extra.push({ type: "escalate", task: d.id, reason, choices: [...ESCALATION_CHOICES] });
}

function cancelActive(d: Draft, reason: string, nowIso: string): void {
  const run = d.view.run;
  if (!run) return;
  requestCancel(d, run.correlationId, undefined, reason, nowIso);
  d.mem.run = undefined;
}

function requestCancel(
  d: Draft,
  cid: string,
  runId: string | undefined,
  reason: string,
  nowIso: string,
) {
  d.cancels.push({
    type: "cancel-run",
    task: d.id,
    correlationId: cid,
    ...(runId ? { runId } : {}),
    force: false,
    reason,
  });
  d.mem.cancelling = [
    ...(d.mem.cancelling ?? []),
    { correlationId: cid, ...(runId ? { runId } : {}), at: nowIso },
  ];
}

/** Runs asked to cancel: forget those that ended, force-cancel those past the grace period. */
function settleCancels(d: Draft, board: Board, config: Config, nowMs: number): void {
  const list = d.view.cancelling;
  if (!list || list.length === 0) return;
  const keep = list.filter((c) => {
    const observed = board.runs[c.correlationId];
    if (!observed || observed.status === "completed") return false;
    if (nowMs - Date.parse(c.at) < config.guards.cancelGraceMinutes * 60_000) return true;
    d.cancels.push({
      type: "cancel-run",
      task: d.id,
      correlationId: c.correlationId,
      ...((observed.runId ?? c.runId) ? { runId: observed.runId ?? c.runId } : {}),
      force: true,
      reason: `still running ${config.guards.cancelGraceMinutes} min after the cancel`,
    });
    return false;
  });
  if (keep.length === 0) delete d.mem.cancelling;
  else d.mem.cancelling = keep;
}

/** A task's first runs: its task agent, its reviewer, its tester. */
const FIRST_RUNS = 3;

/**
 * Whether a dispatch counts toward `guards.maxDispatchesPerHour`: a retry, or a run beyond
 * a task's first three. First runs are bounded by the backlog, so counting them would only
 * cap throughput (more or faster agents); loops show up as re-dispatches.
 */
function countsTowardHourlyCap(d: Draft, need: Need): boolean {
  return need.attempt > 0 || d.view.runs >= FIRST_RUNS;
}

/** Why nothing may be dispatched right now, if anything blocks every dispatch. */
function globalBlocker(board: Board): { code: WaitCode; text: string } | undefined {
  if (board.configErrors && board.configErrors.length > 0)
    return {
      code: "config-invalid",
      text: `configuration invalid: ${board.configErrors[0]}${board.configErrors.length > 1 ? ` (+${board.configErrors.length - 1} more)` : ""}`,
    };
  if (board.repoMemory.paused)
    return {
      code: "paused",
      text: `dispatching paused${board.repoMemory.pausedReason ? `: ${board.repoMemory.pausedReason}` : ""} (/conveyor resume)`,
    };
  const failed = board.preflight.filter((p) => !p.ok);
  if (failed.length > 0)
    return {
      code: "preflight-failed",
      text: `pre-flight failed: ${failed.map((p) => p.detail).join("; ")}`,
    };
  return undefined;
}

/** The task has a PR that can still be reviewed, tested and merged. */
const hasPr = (d: Draft): boolean => d.task.pr !== undefined && d.task.pr.closed !== true;

/** No PR to work on: a task agent opens one (not a failure of anyone's). */
function backToTaskAgent(d: Draft, reason: string, nowIso: string): void {
  d.mem.verdicts = {};
  d.moveTo("in-progress", reason, nowIso);
  d.need = needFor(d, "task");
}

function planMerges(
  drafts: Draft[],
  board: Board,
  config: Config,
  nowIso: string,
  wait: WaitFn,
): { queue: string[]; mergeEffects: Effect[] } {
  const queued = drafts
    .filter(
      (d) => d.stage === "merge-queue" && !d.view.escalation && !d.view.run && d.need === undefined,
    )
    .sort(byQueueOrder);
  const queue = queued.map((d) => d.id);
  const ready = queued.filter(
    (d) =>
      d.drift === undefined &&
      d.task.pr?.mergeable === true &&
      mayMergeProtected(d.task.pr, config),
  );
  const readySet = new Set(ready);
  if (board.configErrors && board.configErrors.length > 0) {
    for (const d of queued)
      if (d.drift || readySet.has(d))
        wait(d.id, "merge-held", "merge held: the configuration is invalid");
    return { queue, mergeEffects: [] };
  }
  const head = ready[0];
  if (!head) {
    retestDrifted(drafts, queued, readySet, config, nowIso, wait);
    return { queue: queued.filter((d) => !d.afterMerge).map((d) => d.id), mergeEffects: [] };
  }
  const batch: Draft[] = [head];
  if (config.merge.batchDisjoint) {
    const touched = new Set(ownFiles(head.task.pr!.changedFiles, config));
    for (const d of ready.slice(1)) {
      if (batch.length >= config.merge.maxBatch) break;
      const files = ownFiles(d.task.pr!.changedFiles, config);
      if (files.some((f) => touched.has(f))) continue;
      for (const f of files) touched.add(f);
      batch.push(d);
    }
  }
  const effects: Effect[] = [
    {
      type: "merge",
      method: config.merge.method,
      batch: batch.map((d) => ({
        task: d.id,
        ...(d.task.pr!.number !== undefined ? { pr: d.task.pr!.number } : {}),
        sha: d.task.pr!.headSha,
        branch: d.task.pr!.branch,
      })),
      deleteBranch: config.merge.deleteBranch,
    },
  ];
  for (const d of batch) {
    d.merged = true;
    d.moveTo("done", "merged", nowIso);
    d.mem.feedback = undefined;
    d.mem.lastFailure = undefined;
    d.extra.push({ type: "close-issue", task: d.id, reason: "completed" });
    effects.push(...d.postMerge());
  }
  // The merge moves the base under every queued PR that touches the same files: none of them
  // may merge before it is tested on the new base (the batch itself is pairwise disjoint).
  // Only the next one in line is re-tested now: the others would need another re-test when
  // it merges, so they keep their place and verdict and wait (the loaders report the drift
  // from the base their tester merged in; without that base the planner cannot see the drift
  // in a later pass, so such a PR is re-tested now).
  const batchFiles = batch.map((m) => ownFiles(m.task.pr!.changedFiles, config));
  const retestNow: Draft[] = [];
  for (const d of queued) {
    if (batch.includes(d)) continue;
    const files = ownFiles(d.task.pr!.changedFiles, config);
    const first = batch.findIndex((_, i) => batchFiles[i]!.some((f) => files.includes(f)));
    if (first < 0) continue;
    const overlap = files.filter((f) => batchFiles.some((bf) => bf.includes(f)));
    d.drift = [...new Set([...(d.drift ?? []), ...overlap])];
    d.mergedFirst = prName(batch[first]!.task.pr!);
    if (!d.view.verdicts.test?.baseSha) retestNow.push(d);
  }
  for (const d of retestNow) sendBackToTesting(d, nowIso);
  retestDrifted(drafts, queued, readySet, config, nowIso, wait);
  // What is still ahead after this pass's merge: the queued PRs that stay queued.
  let ahead = 0;
  for (const d of queued) {
    if (batch.includes(d) || d.afterMerge || d.drift) continue;
    if (d.task.pr?.mergeable === true)
      wait(
        d.id,
        "merge-queue",
        ahead > 0
          ? `merge queue: ${ahead} ahead`
          : config.merge.batchDisjoint
            ? `merge queue: next, after this pass's batch of ${batch.length} (the most one batch holds)`
            : "merge queue: next, after this pass's merge (one PR per merge)",
      );
    ahead++;
  }
  return {
    queue: queued.filter((d) => !d.afterMerge).map((d) => d.id),
    mergeEffects: effects,
  };
}

/**
 * Queued PRs the base moved under: each is re-tested once no PR that touches its files is
 * ahead of it (in testing, or queued and ready to merge), so that a merge of an overlapping
 * PR costs one re-test, not one per queued PR. The others keep their place and verdict.
 */
function retestDrifted(
  drafts: Draft[],
  queued: Draft[],
  ready: ReadonlySet<Draft>,
  config: Config,
  nowIso: string,
  wait: WaitFn,
): void {
  const drifted = queued.filter((d) => d.drift && !d.afterMerge && !d.merged);
  if (drifted.length === 0) return;
  // Who may be ahead, by file (the first in plan order): tasks in testing (their tester may
  // still pass and merge first), and the ready PRs that did not merge in this pass.
  const ahead = new Map<string, Draft>();
  const hold = (o: Draft) => {
    for (const f of ownFiles(o.task.pr?.changedFiles ?? [], config))
      if (!ahead.has(f)) ahead.set(f, o);
  };
  for (const o of drafts)
    if (
      o.task.pr !== undefined &&
      !o.merged &&
      !o.view.escalation &&
      (o.stage === "testing" || (ready.has(o) && !o.drift))
    )
      hold(o);
  for (const d of drifted) {
    const first = ownFiles(d.task.pr!.changedFiles, config)
      .map((f) => ahead.get(f))
      .find((o) => o !== undefined && o !== d);
    if (first) {
      wait(
        d.id,
        "merge-queue",
        `merge queue: re-tested after ${ref(first.id)} (the base changed ${d.drift!.join(", ")} since its tests, and ${ref(first.id)} touches them too)`,
      );
      continue;
    }
    sendBackToTesting(d, nowIso);
    hold(d);
  }
}

/** Back to testing for the base that moved under a queued PR: a run the schedule caused. */
function sendBackToTesting(d: Draft, nowIso: string): void {
  const why =
    d.mergedFirst !== undefined
      ? `${d.mergedFirst} merged first and touches ${d.drift!.join(", ")}: re-test on the new base`
      : `the base branch changed ${d.drift!.join(", ")} since the tests ran`;
  const { review, test } = d.view.verdicts;
  const head = d.task.pr?.headSha;
  // What the last tester pushed on top of the reviewed head (its merge of the base, its
  // fixes) was judged by its own pass: the next tester may start from there without a new
  // review. A head anyone else moved still goes back to review (`checkTesting`).
  if (
    review?.value === "approve" &&
    test?.value === "pass" &&
    test.sha === head &&
    review.sha === (test.startSha ?? test.sha) &&
    review.sha !== head
  )
    d.mem.verdicts.review = { ...review, sha: test.sha };
  d.afterMerge = true;
  d.mem.verdicts.test = undefined;
  d.moveTo("testing", why, nowIso);
  checkTesting(d, nowIso);
  // The loop guard counts the task's own runs, not the re-test the schedule caused.
  if (d.need) d.mem.runsAtRetry = (d.view.runsAtRetry ?? 0) + 1;
}

const ROLE_RANK: Record<Role, number> = { tester: 0, reviewer: 1, task: 2 };
const priorityRank = (d: Draft) => PRIORITIES.indexOf(d.task.priority);

function byPriorityThenAge(a: Draft, b: Draft): number {
  return (
    priorityRank(a) - priorityRank(b) ||
    cmp(a.task.createdAt, b.task.createdAt) ||
    compareIds(a.id, b.id)
  );
}

/**
 * Finish work before starting work: tester, reviewer, a task agent for a task already in
 * flight (a retry, a conflict), a new task; then priority, then age.
 */
const dispatchRank = (d: Draft): number =>
  ROLE_RANK[d.need!.role] + (d.need!.role === "task" && d.task.stage === "todo" ? 1 : 0);

function byDispatchOrder(a: Draft, b: Draft): number {
  return dispatchRank(a) - dispatchRank(b) || byPriorityThenAge(a, b);
}

/** Effects after the merge: re-queued tasks that dispatch nothing, then dispatch order. */
function byEmitOrder(a: Draft, b: Draft): number {
  const rank = (d: Draft) => (d.dispatch ? dispatchRank(d) : -1);
  return rank(a) - rank(b) || byPriorityThenAge(a, b);
}

function byQueueOrder(a: Draft, b: Draft): number {
  return (
    priorityRank(a) - priorityRank(b) ||
    cmp(a.view.stageSince ?? "", b.view.stageSince ?? "") ||
    byPriorityThenAge(a, b)
  );
}

/** Agent runs that count toward the loop guard: those since the last maintainer retry. */
export const runsSinceRetry = (m: TaskMemory): number => m.runs - (m.runsAtRetry ?? 0);

/** A PR's changed files less the shared append-only ones (the changelog). */
function ownFiles(files: readonly string[], config: Config): string[] {
  const shared = config.merge.sharedFiles;
  return shared.length === 0 ? [...files] : files.filter((f) => !shared.includes(f));
}

/**
 * Whether two JSON values are equal as `canonicalJson` sees them (key order ignored, keys
 * whose value is undefined absent), without building either text: comparing a task's
 * memory with its copy was most of the plan's cost on a large board.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === "number" && typeof b === "number") return Number.isNaN(a) && Number.isNaN(b);
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i] ?? null, b[i] ?? null)) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let defined = 0;
  for (const k in x) {
    if (x[k] === undefined) continue;
    defined++;
    if (!sameJson(x[k], y[k])) return false;
  }
  for (const k in y) if (y[k] !== undefined) defined--;
  return defined === 0;
}

/** Plain code-unit order: ISO times sort correctly, and it is far cheaper than localeCompare. */
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** How people refer to a task: `#12` for an issue, the id itself for a local task. */
export const ref = (id: string): string => (/^\d+$/.test(id) ? `#${id}` : id);

const short = (sha: string) => sha.slice(0, 7);
const round2 = (n: number) => Math.round(n * 10_000) / 10_000;
