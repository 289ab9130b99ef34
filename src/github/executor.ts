import { labelRefusal } from "../core/actor-permission.js";
import type { Board, RepoMemory, Stage, Task } from "../core/board.js";
import { type Config, PRIORITIES, type Role } from "../core/config.js";
import { CONVEYOR_CHECK } from "../core/conveyor-check.js";
import type { Effect } from "../core/effects.js";
import { ESCALATION_CHOICES } from "../core/effects.js";
import {
  type Handlers,
  type LoopReport,
  type Outcome,
  runEffects,
} from "../core/execution-loop.js";
import { recordAbandoned } from "../core/markdown/changelog.js";
import { readMarker, upsertMarker } from "../core/markers.js";
import { labelOfStage, stageLabels } from "../core/stage-labels.js";
import { type CommitFilesOutcome, commitFiles } from "./commit-files.js";
import { formatDashboard } from "./format-dashboard.js";
import { type EscalationContext, formatEscalation } from "./format-escalation.js";
import { formatStatusComment } from "./format-status-comment.js";
import { errorText } from "./http-errors.js";
import type { GitHubState, Snapshot } from "./interpret-facts.js";
import {
  AGENT_WORKFLOW,
  CONFIG_PATH,
  DASHBOARD_TITLE,
  GitHubError,
  type GitHubPort,
  isGitHubError,
  runTitle,
} from "./port.js";

export interface ExecuteOptions {
  dryRun: boolean;
  log: (line: string) => void;
  config: Config;
  now: Date;
  /** Heads read earlier in the pass (branch → head), so a mirror commit needs no read. */
  knownHeads?: Map<string, string>;
  /**
   * The repository deletes a PR's head branch itself when it merges (its
   * `delete_branch_on_merge` setting): no delete request after a merge.
   */
  branchesDeletedOnMerge?: boolean;
  /**
   * `save-repo-memory` only updates the board: a `write-dashboard` effect later in the same
   * pass writes the memory with the dashboard (its marker), as `reconcileRepo`'s pass plans
   * it. Default: the executor writes the dashboard marker itself (commands such as
   * `/conveyor pause`). Either way one method creates the dashboard (`putDashboard`).
   */
  deferRepoMemory?: boolean;
}

/** What the shared loop reports (applied, skipped, failures), and what GitHub did. */
export interface ExecutionReport extends LoopReport {
  /** Runs dispatched, with the run id when known. */
  dispatched: { correlationId: string; runId?: string; url?: string }[];
  /** PRs merged. */
  merged: number[];
  /** Commits Conveyor wrote (mirror, CHANGELOG), each on top of `parent`, writing `files`. */
  commits: { branch: string; sha: string; parent: string; files: string[] }[];
}

/** The mode input of the agent workflow per role. */
export const MODE_OF_ROLE: Record<Role, string> = {
  task: "task",
  reviewer: "review",
  tester: "test",
};

const FEEDBACK_MAX = 4000;

/**
 * Applies effects in order through the shared loop (`runEffects`: dry-run, stop rules, one
 * report) with one GitHub handler per effect type; the next reconcile plans again from
 * what then is. Idempotent where GitHub lets us check (a dispatch whose run already
 * exists is skipped, a closed issue is not closed again). Dispatches and merges are never
 * retried blindly: after an unclear answer the state is read again. Dry-run logs each
 * effect and writes nothing.
 */
export async function executeEffects(
  port: GitHubPort,
  snapshot: Snapshot,
  effects: readonly Effect[],
  options: ExecuteOptions,
): Promise<ExecutionReport> {
  const report: Omit<ExecutionReport, keyof LoopReport> = {
    dispatched: [],
    merged: [],
    commits: [],
  };
  const ctx = new Context(port, snapshot, options, report);
  const loop = await runEffects(effects, ctx.handlers(), {
    dryRun: options.dryRun,
    log: options.log,
    stopsPass: isOutage,
    // The status, the call and the request id say why it failed ("Unknown error" does not).
    describeError: errorText,
  });
  return { ...report, ...loop };
}

/**
 * A failure that stops the whole pass: GitHub is down or limiting us (5xx, 429, a rate
 * limit), or no answer at all. Any other failure is about the effect itself (a 404, a
 * refused write): only the rest of its task's effects wait for the next pass.
 */
export function isOutage(err: unknown): boolean {
  if (!(err instanceof GitHubError)) return true;
  if (err.status >= 500 || err.status === 429) return true;
  return err.status === 403 && /rate limit|abuse/i.test(err.message);
}

class Context {
  private readonly board: Board;
  private readonly github: GitHubState;
  private readonly config: Config;
  private readonly stageOf: Map<string, Stage>;

  constructor(
    private readonly port: GitHubPort,
    snapshot: Snapshot,
    private readonly options: ExecuteOptions,
    private readonly report: Pick<ExecutionReport, "dispatched" | "merged" | "commits">,
  ) {
    this.board = snapshot.board;
    this.github = snapshot.github;
    this.config = options.config;
    this.stageOf = stageLabels(options.config);
  }

  /** Tasks whose merge GitHub refused in this pass: escalated; their later effects skipped. */
  private readonly mergeRefused = new Set<string>();
  /** The pass's `write-mirror` is done (its digest then goes in the dashboard marker). */
  private mirrorLanded = false;

  /** The GitHub handler of each effect type. */
  handlers(): Handlers {
    // A task whose merge GitHub refused in this pass is escalated: its later effects skip.
    const guard =
      <E extends Effect>(apply: (e: E) => Promise<Outcome>) =>
      (e: E): Promise<Outcome> =>
        "task" in e && this.mergeRefused.has(e.task) ? Promise.resolve("skipped") : apply(e);
    return {
      "set-stage": guard((e) => this.setStage(e.task, e.from, e.to)),
      "save-memory": guard((e) => this.saveMemory(e.task, e.memory)),
      dispatch: guard((e) => this.dispatch(e)),
      "cancel-run": guard((e) => this.cancel(e.correlationId, e.runId, e.force)),
      merge: (e) => this.merge(e),
      escalate: guard(async (e) => {
        // The comment first: the label then says the maintainer was told. A comment already
        // posted for this escalation (the label write was lost) is not posted again.
        if (!this.toldSinceEscalation(e.task)) {
          const body = formatEscalation(e.reason, e.choices, this.escalationContext(e.task));
          const posted = await this.port.createComment(Number(e.task), body);
          const notices = this.github.escalationNotices.get(e.task) ?? [];
          this.github.escalationNotices.set(e.task, [...notices, posted.createdAt]);
        }
        await this.addLabel(e.task, this.config.labels.escalated);
        return "applied";
      }),
      "clear-escalation": guard(async (e) => {
        const labels = this.labelsOf(e.task);
        if (!labels.includes(this.config.labels.escalated)) return "skipped";
        try {
          await this.port.removeLabel(Number(e.task), this.config.labels.escalated);
        } catch (err: unknown) {
          if (!isGitHubError(err, 404)) throw err;
        }
        this.github.labels.set(
          e.task,
          labels.filter((l) => l !== this.config.labels.escalated),
        );
        return "applied";
      }),
      "set-priority": guard(async (e) => {
        const names = PRIORITIES.map((p) => this.config.priorities[p]);
        const next = [
          ...this.labelsOf(e.task).filter((l) => !names.includes(l)),
          this.config.priorities[e.to],
        ];
        await this.port.setLabels(Number(e.task), next);
        this.github.labels.set(e.task, next);
        const task = this.task(e.task);
        if (task) task.priority = e.to;
        return "applied";
      }),
      comment: guard(async (e) => {
        await this.port.createComment(Number(e.task), e.body);
        return "applied";
      }),
      "close-issue": guard(async (e) => {
        if (this.github.closed.has(e.task)) return "skipped";
        await this.port.updateIssue(Number(e.task), { state: "closed", stateReason: e.reason });
        this.github.closed.add(e.task);
        return "applied";
      }),
      "record-abandoned": guard(async (e) => {
        const outcome = await commitFiles(this.port, {
          branch: this.mirrorBranch(),
          message: `Conveyor: record abandoned #${e.task} in CHANGELOG.md [skip ci]`,
          read: ["CHANGELOG.md"],
          ...this.knownHead(),
          compute: (current) => ({
            "CHANGELOG.md": recordAbandoned(current["CHANGELOG.md"] ?? "", {
              id: `#${e.task}`,
              title: e.title,
              reason: e.reason,
            }),
          }),
        });
        return this.committed(outcome);
      }),
      "save-repo-memory": async (e) => {
        this.board.repoMemory = e.memory;
        if (this.options.deferRepoMemory) return "applied";
        return this.saveRepoMemory(e.memory);
      },
      "conveyor-check": guard((e) => this.writeConveyorCheck(e)),
      "write-mirror": async (e) => {
        const outcome = await commitFiles(this.port, {
          branch: this.mirrorBranch(),
          message: "Conveyor: update the tracking files [skip ci]",
          read: [],
          compute: () => e.files,
          ...this.knownHead(),
        });
        const done = this.committed(outcome);
        this.mirrorLanded = true;
        return done;
      },
      "refuse-scheduling": async (e) => {
        // On the issue, or (the merge-queue label put there by hand) on the task's PR.
        const number = e.pr ?? Number(e.task);
        try {
          await this.port.removeLabel(number, e.label);
        } catch (err: unknown) {
          if (!isGitHubError(err, 404)) throw err; // already gone: the comment still explains
        }
        if (e.pr === undefined)
          this.github.labels.set(e.task, without(this.labelsOf(e.task), e.label));
        else
          this.github.pullLabels.set(
            e.pr,
            without(this.github.pullLabels.get(e.pr) ?? [], e.label),
          );
        await this.port.createComment(number, labelRefusal(e.by || "there", e.label, e.reason));
        return "applied";
      },
      "write-dashboard": (e) => {
        // The board as this pass left it (the executor keeps it up to date), its closed
        // issues left out; the memory goes in the marker.
        const mirror = this.mirrorLanded ? (e.mirror?.next ?? e.mirror?.last) : e.mirror?.last;
        const mirrorAt = this.mirrorLanded ? this.options.now.toISOString() : e.mirror?.lastAt;
        const board = {
          ...this.board,
          tasks: this.board.tasks.filter((t) => !this.github.closed.has(t.id)),
        };
        const render = (previous: string | undefined, dashboardAt: string | undefined) =>
          formatDashboard({
            board,
            plan: e.view,
            configErrors: e.configErrors,
            state: {
              memory: this.board.repoMemory,
              ...(mirror ? { mirror } : {}),
              ...(mirrorAt ? { mirrorAt } : {}),
              ...(dashboardAt ? { dashboardAt } : {}),
              ...(e.preflight ? { preflight: e.preflight } : {}),
            },
            ...(previous !== undefined ? { previous } : {}),
            chartFrom: this.board,
          });
        // The marker keeps when the body last changed: an unchanged body stays as it is (no
        // edit), a changed one records this pass's time (the plan coalesces from it).
        return this.putDashboard((previous) => {
          const kept = render(previous, e.lastAt);
          return kept === previous ? kept : render(previous, this.options.now.toISOString());
        });
      },
      "report-config-check": async (e) => {
        const name = "Conveyor config";
        const existing = await this.port.listCheckRuns(e.sha);
        if (existing.some((c) => c.name === name)) return "skipped";
        const n = e.errors.length;
        await this.port.createCheckRun({
          name,
          headSha: e.sha,
          status: "completed",
          conclusion: "failure",
          title: `${CONFIG_PATH} is invalid (${n} ${n === 1 ? "problem" : "problems"})`,
          summary: e.errors.map((line) => `- ${line}`).join("\n"),
        });
        return "applied";
      },
    };
  }

  /** Where an escalated task's work is, for its escalation comment. */
  private escalationContext(id: string): EscalationContext {
    const task = this.task(id);
    const m = task?.memory;
    const cid = m?.run?.correlationId ?? m?.handled.at(-1);
    const runUrl = cid ? this.board.runs[cid]?.url : undefined;
    const branch = task?.pr?.branch ?? task?.branch;
    const by = this.github.scheduledBy.get(id);
    return {
      task: id,
      permission: this.config.permissions.schedule,
      repoUrl: this.repoUrl(),
      ...(branch ? { branch } : {}),
      ...(task?.pr?.number ? { pr: task.pr.number } : {}),
      ...(runUrl ? { runUrl } : {}),
      ...(by ? { scheduledBy: by } : {}),
    };
  }

  /** The repository's web address on the server the port talks to (GHE included). */
  private repoUrl(): string {
    return `${this.port.webUrl ?? "https://github.com"}/${this.github.owner}/${this.github.repo}`;
  }

  /** True when an escalation comment was posted since the task's memory says it escalated. */
  private toldSinceEscalation(id: string): boolean {
    const at = this.task(id)?.memory.escalation?.at;
    if (!at) return false;
    const since = Date.parse(at) - 60_000;
    return (this.github.escalationNotices.get(id) ?? []).some((t) => Date.parse(t) >= since);
  }

  /** Writes the repository memory into the dashboard's marker (creating the dashboard). */
  private async saveRepoMemory(memory: RepoMemory): Promise<Outcome> {
    return this.putDashboard((previous) => {
      if (previous === undefined) return upsertMarker("board", `# ${DASHBOARD_TITLE}`, { memory });
      const old = readMarker("board", previous);
      const state = typeof old === "object" && old !== null ? old : {};
      return upsertMarker("board", previous, { ...state, memory });
    });
  }

  /**
   * The one code path that creates the dashboard issue: edits it in place when it exists
   * (reopened when someone closed it: it holds the repository's state, the pause and the
   * mirror), creates it otherwise. An unchanged body of an open dashboard is left alone.
   */
  private async putDashboard(bodyOf: (previous: string | undefined) => string): Promise<Outcome> {
    const dashboard = this.github.dashboard;
    const body = bodyOf(dashboard?.body);
    if (dashboard) {
      const closed = dashboard.closed === true;
      if (dashboard.body === body && !closed) return "skipped";
      await this.port.updateIssue(dashboard.number, { body, ...(closed ? { state: "open" } : {}) });
      this.github.dashboard = { number: dashboard.number, body };
      if (closed) this.options.log(`reopened the dashboard issue #${dashboard.number}`);
      return "applied";
    }
    const created = await this.port.createIssue(DASHBOARD_TITLE, body, [this.config.labels.board]);
    this.github.dashboard = { number: created.number, body };
    this.options.log(`created the dashboard issue #${created.number}`);
    return "applied";
  }

  /** The mirror branch's head as known in this pass (the branch may have moved: then a retry). */
  private knownHead(): { knownHead?: string } {
    const head = this.options.knownHeads?.get(this.mirrorBranch());
    return head ? { knownHead: head } : {};
  }

  private committed(outcome: CommitFilesOutcome): Outcome {
    if (!("committed" in outcome)) return "skipped";
    this.options.knownHeads?.set(this.mirrorBranch(), outcome.committed);
    this.report.commits.push({
      branch: this.mirrorBranch(),
      sha: outcome.committed,
      parent: outcome.parent,
      files: outcome.files,
    });
    return "applied";
  }

  private mirrorBranch(): string {
    return this.config.mirror.branch ?? this.github.baseBranch;
  }

  private task(id: string): Task | undefined {
    return this.board.tasks.find((t) => t.id === id);
  }

  private labelsOf(id: string): string[] {
    return this.github.labels.get(id) ?? [];
  }

  private async addLabel(id: string, label: string): Promise<void> {
    const labels = this.labelsOf(id);
    if (labels.includes(label)) return;
    await this.port.addLabels(Number(id), [label]);
    this.github.labels.set(id, [...labels, label]);
  }

  /** One request: all labels replaced (to `done`: labels and close in the same edit). */
  private async setStage(id: string, from: Stage, to: Stage): Promise<Outcome> {
    const labels = this.labelsOf(id);
    // A finished task keeps no stage label but `done`, and no escalation label.
    const finished = to === "done" || to === "abandoned";
    const stageNames = [
      ...this.stageOf.keys(),
      ...(finished ? [this.config.labels.escalated] : []),
    ];
    const target = labelOfStage(this.config, to);
    const next = [...labels.filter((l) => !stageNames.includes(l)), ...(target ? [target] : [])];
    if (to === "done") {
      await this.port.updateIssue(Number(id), {
        labels: next,
        state: "closed",
        stateReason: "completed",
      });
      this.github.closed.add(id);
    } else if (!sameSet(labels, next)) {
      await this.port.setLabels(Number(id), next);
    }
    this.github.labels.set(id, next);
    const task = this.task(id);
    if (task) task.stage = to;
    // The merge-queue label also goes on the PR (people look there); it leaves when the
    // task goes back (the merge itself leaves it on the merged PR).
    const pr = task?.pr?.number;
    const queue = this.config.labels.mergeQueue;
    if (pr !== undefined && !task?.pr?.merged) {
      const prLabels = this.github.pullLabels.get(pr) ?? [];
      if (to === "merge-queue" && !prLabels.includes(queue)) {
        await this.port.addLabels(pr, [queue]);
        this.github.pullLabels.set(pr, [...prLabels, queue]);
      } else if (from === "merge-queue" && to !== "done" && prLabels.includes(queue)) {
        try {
          await this.port.removeLabel(pr, queue);
        } catch (err: unknown) {
          if (!isGitHubError(err, 404)) throw err;
        }
        this.github.pullLabels.set(
          pr,
          prLabels.filter((l) => l !== queue),
        );
      }
    }
    return "applied";
  }

  /** The `Conveyor` check run of the PR head: the one there is updated, else one created. */
  private async writeConveyorCheck(
    e: Extract<Effect, { type: "conveyor-check" }>,
  ): Promise<Outcome> {
    const input = {
      name: CONVEYOR_CHECK,
      headSha: e.sha,
      status: e.status,
      ...(e.conclusion ? { conclusion: e.conclusion } : {}),
      title: e.title,
      summary: `${e.summary}\n\nTask: ${this.repoUrl()}/issues/${e.task}`,
    };
    const existing = (await this.port.listCheckRuns(e.sha)).find((c) => c.name === CONVEYOR_CHECK);
    if (existing) await this.port.updateCheckRun(existing.id, input);
    else await this.port.createCheckRun(input);
    return "applied";
  }

  private async saveMemory(id: string, memory: Task["memory"]): Promise<Outcome> {
    const task = this.task(id);
    const shown = { id, stage: task?.stage ?? "todo", ...(task?.pr ? { pr: task.pr } : {}) };
    const runUrl = memory.run ? this.board.runs[memory.run.correlationId]?.url : undefined;
    const workflowUrl = `${this.repoUrl()}/actions/workflows/${AGENT_WORKFLOW}`;
    const body = formatStatusComment(shown, memory, {
      repoUrl: this.repoUrl(),
      ...(runUrl ? { runUrl } : { workflowUrl }),
    });
    const existing = this.github.statusComments.get(id);
    let outcome: Outcome = "applied";
    if (existing) {
      if (existing.body === body) outcome = "skipped";
      else await this.port.updateComment(existing.id, body);
      this.github.statusComments.set(id, { id: existing.id, body });
    } else {
      const created = await this.port.createComment(Number(id), body);
      this.github.statusComments.set(id, { id: created.id, body });
    }
    // Check runs for review and test results come from the agent runs themselves
    // (conveyor/review, conveyor/test on the head they judged).
    if (task) task.memory = memory;
    return outcome;
  }

  private async dispatch(e: Extract<Effect, { type: "dispatch" }>): Promise<Outcome> {
    if (this.board.runs[e.correlationId]) return "skipped";
    const inputs: Record<string, string> = {
      mode: MODE_OF_ROLE[e.role],
      issue: e.task,
      pr: e.pr !== undefined ? String(e.pr) : "",
      attempt: String(e.attempt),
      feedback: truncate(e.feedback ?? "", FEEDBACK_MAX),
      "correlation-id": e.correlationId,
      model: e.model,
    };
    const started = this.options.now.toISOString();
    // Never retried: a second dispatch would start a second agent.
    const answer = await this.port.dispatchWorkflow(
      AGENT_WORKFLOW,
      this.github.defaultBranch,
      inputs,
    );
    let runId = answer.runId !== undefined ? String(answer.runId) : undefined;
    let url = answer.url;
    if (runId === undefined) {
      // Older servers answer 204: find the run by its run-name (it may not be listed yet;
      // the next pass finds it then).
      const since = new Date(Date.parse(started) - 5 * 60_000).toISOString();
      const runs = await this.port.listWorkflowRuns(AGENT_WORKFLOW, since);
      const found = runs.find((r) => r.title === runTitle(e.correlationId));
      if (found) {
        runId = String(found.id);
        url = found.url;
      }
    }
    this.board.runs[e.correlationId] = {
      correlationId: e.correlationId,
      status: "queued",
      ...(runId ? { runId } : {}),
      ...(url ? { url } : {}),
    };
    this.report.dispatched.push({
      correlationId: e.correlationId,
      ...(runId ? { runId } : {}),
      ...(url ? { url } : {}),
    });
    return "applied";
  }

  private async cancel(cid: string, runId: string | undefined, force: boolean): Promise<Outcome> {
    const id = runId ?? this.board.runs[cid]?.runId;
    if (!id) return "skipped"; // never started: nothing to cancel
    const observed = this.board.runs[cid];
    if (observed?.status === "completed") return "skipped";
    try {
      await this.port.cancelRun(Number(id), force);
    } catch (e: unknown) {
      if (isGitHubError(e, 409)) return "skipped"; // it completed meanwhile
      throw e;
    }
    return "applied";
  }

  private async merge(e: Extract<Effect, { type: "merge" }>): Promise<Outcome> {
    let anyMerged = false;
    for (const entry of e.batch) {
      // GitHub's pull requests always have a number (only a local branch has none).
      if (entry.pr === undefined)
        throw new Error(`merge of task #${entry.task}: no pull request number`);
      const item = { ...entry, pr: entry.pr };
      let merged: string | undefined;
      try {
        merged = await this.mergeOne(item.pr, item.sha, e.method);
      } catch (err: unknown) {
        // GitHub refuses this merge for good (403: e.g. a PR touching workflows with a token
        // without that permission; 422: a requirement it will not waive): retrying would
        // block the queue forever. The task is escalated with GitHub's reason; the queue
        // goes on.
        if (!isRefusedMerge(err)) throw err;
        await this.escalateRefusedMerge(item.task, item.pr, err as GitHubError);
        continue;
      }
      anyMerged = true;
      // The merge moved the base to its commit (if someone pushed meanwhile, a write that
      // builds on it loses the race and reads the branch again).
      if (merged) this.options.knownHeads?.set(this.github.baseBranch, merged);
      else this.options.knownHeads?.delete(this.github.baseBranch);
      this.report.merged.push(item.pr);
      const task = this.task(item.task);
      if (task?.pr) task.pr.merged = true;
      if (e.deleteBranch && !this.options.branchesDeletedOnMerge) {
        try {
          await this.port.deleteRef(`heads/${item.branch}`);
        } catch (err: unknown) {
          // Already deleted (by GitHub's auto-delete or a person): fine.
          if (!isGitHubError(err, 422) && !isGitHubError(err, 404)) throw err;
        }
      }
    }
    return anyMerged || e.batch.length === 0 ? "applied" : "skipped";
  }

  /** Escalates a task whose merge GitHub refused, saying GitHub's reason. */
  private async escalateRefusedMerge(id: string, pr: number, err: GitHubError): Promise<void> {
    const reason = `GitHub refused to merge PR #${pr} (${err.status}): ${err.message}`;
    this.options.log(`${reason}; escalated, the queue goes on`);
    const task = this.task(id);
    if (task) {
      const memory = structuredClone(task.memory);
      memory.attempts = { ...memory.attempts, merge: memory.attempts.merge + 1 };
      memory.lastFailure = reason;
      memory.escalation = { reason, at: this.options.now.toISOString(), stage: task.stage };
      await this.saveMemory(id, memory);
    }
    await this.handlers().escalate({
      type: "escalate",
      task: id,
      reason,
      choices: [...ESCALATION_CHOICES],
    });
    this.mergeRefused.add(id);
  }

  /**
   * One pinned merge; throws a readable error when it did not merge (the pass stops).
   * Returns the commit the merge made, when GitHub said it.
   */
  private async mergeOne(
    pr: number,
    sha: string,
    method: Config["merge"]["method"],
  ): Promise<string | undefined> {
    const retries = this.config.merge.baseModifiedRetries;
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.port.mergePull(pr, sha, method)) || undefined;
      } catch (err: unknown) {
        if (!(err instanceof GitHubError)) throw err;
        if (err.status === 409)
          throw new GitHubError(
            409,
            `PR #${pr}: the head moved from ${sha.slice(0, 7)}; it goes back to testing`,
          );
        if (
          err.status === 405 &&
          /base branch was modified/i.test(err.message) &&
          attempt < retries
        ) {
          this.options.log(
            `PR #${pr}: base branch was modified; merging again (${attempt + 1}/${retries})`,
          );
          continue;
        }
        if (err.status === 405)
          throw new GitHubError(405, `PR #${pr} cannot merge: ${err.message}`);
        if (err.status >= 500 || err.status === 0) {
          // Never merge again blindly: read whether it merged.
          const now = await this.port.getPull(pr);
          if (now.merged) return undefined;
          throw new GitHubError(
            err.status,
            `PR #${pr}: merge answered ${err.status} and did not merge`,
          );
        }
        throw err;
      }
    }
  }
}

/** A merge GitHub will not do however often it is asked (not a rate limit, not a moved head). */
function isRefusedMerge(err: unknown): boolean {
  if (!(err instanceof GitHubError)) return false;
  if (err.status !== 403 && err.status !== 422) return false;
  return !/rate limit|abuse/i.test(err.message);
}

const without = (labels: string[], label: string) => labels.filter((l) => l !== label);

const sameSet = (a: string[], b: string[]) =>
  a.length === b.length && a.every((x) => b.includes(x));

const truncate = (text: string, max: number) =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;
