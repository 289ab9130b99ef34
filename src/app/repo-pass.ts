import type { ProbotOctokit } from "probot";
import { errorText } from "../github/http-errors.js";
import type { OctokitLike } from "../github/octokit-transport.js";
import { type CommandStep, runCommand } from "./comment-command.js";
import { type DashboardEditStep, runDashboardEdit } from "./dashboard-edit.js";
import { checkLabel, type LabelCheckStep, removeUnchecked } from "./label-check.js";
import type { LeaseLock } from "./lease-lock.js";
import { portLeaseStore } from "./lease-store.js";
import type { CommandService, OpenPass, ReconcileFn } from "./pass-context.js";
import { type RepoTarget, repoKey, stepContext } from "./pass-context.js";
import type { PassOutcome } from "./reconcile-queue.js";
import type { RepoConfigCache } from "./repo-config-cache.js";
import type { RepoRegistry } from "./repo-registry.js";

export type PassStep = (LabelCheckStep | CommandStep | DashboardEditStep) & {
  /** Passes that already tried this step and failed. */
  failures?: number;
};

/**
 * A label check that keeps failing is tried this often; then the label is removed unchecked
 * (fail closed). The reconcile never runs while a label is unchecked.
 */
export const LABEL_CHECK_TRIES = 3;

export interface PassLog {
  info: (line: string) => void;
  warn: (line: string) => void;
  error: (line: string) => void;
}

export interface PassDeps {
  /** An Octokit authenticated as the installation. */
  auth: (installationId: number) => Promise<ProbotOctokit>;
  /** The pass over the installation's Octokit: its port, its config and permission reads. */
  openPass: OpenPass;
  lock: LeaseLock;
  configs: RepoConfigCache;
  registry: RepoRegistry;
  reconcile: ReconcileFn;
  commands?: CommandService<unknown> | undefined;
  botLogin: () => Promise<string>;
  dryRun: boolean;
  now: () => Date;
  /** When another instance holds the lease, look again after this long. */
  busyRetryMs: number;
  log: PassLog;
}

/**
 * One serialized pass over a repository: take the lease, run the steps the deliveries
 * brought (label checks, commands) in order, reconcile, release the lease. A failing step
 * is logged and does not stop the reconcile. Dry-run takes no lease (it writes nothing).
 */
export async function runRepoPass(
  deps: PassDeps,
  target: RepoTarget,
  steps: readonly PassStep[],
): Promise<PassOutcome<PassStep>> {
  const { owner, repo } = target;
  const key = repoKey(target);
  const octokit = await deps.auth(target.installationId);
  // Everything this pass sends to GitHub goes through its port, the lease included.
  const pass = deps.openPass(octokit as unknown as OctokitLike, target);
  const store = portLeaseStore(pass.port);
  let lease: Awaited<ReturnType<LeaseLock["acquire"]>> | undefined;
  if (!deps.dryRun) {
    try {
      lease = await deps.lock.acquire(store, key);
    } catch (e: unknown) {
      // Steps carry what a delivery alone can tell (who added a label, a command): keep them.
      if (steps.length === 0) throw e;
      deps.log.warn(`${key}: taking the lease failed (${errorText(e)}); trying again later`);
      return { kind: "retry", retryMs: deps.busyRetryMs, steps: [...steps] };
    }
    if (!lease.acquired) {
      deps.log.info(
        `${key}: held by ${lease.holder}${lease.expiresAt ? ` until ${lease.expiresAt.toISOString()}` : ""}; retrying in ${deps.busyRetryMs} ms`,
      );
      return { kind: "busy", retryMs: deps.busyRetryMs };
    }
    if (lease.lease.tookOverFrom)
      deps.log.warn(`${key}: took over the expired lease of ${lease.lease.tookOverFrom}`);
  }
  try {
    const ctx = stepContext(pass, target, {
      dryRun: deps.dryRun,
      botLogin: deps.botLogin,
      now: deps.now,
      log: (line) => deps.log.info(line),
      warn: (line) => deps.log.warn(line),
    });
    for (const [i, step] of steps.entries()) {
      try {
        if (step.kind === "label") await checkLabel(ctx, step);
        else if (!deps.commands)
          deps.log.warn(`${key}#${step.issue}: comment commands are not wired; ignored`);
        else if (step.kind === "dashboard") await runDashboardEdit(ctx, step, deps.commands);
        else await runCommand(ctx, step, deps.commands);
      } catch (e: unknown) {
        const failures = (step.failures ?? 0) + 1;
        deps.log.error(
          `${key}#${step.issue}: ${step.kind} step failed (${failures}): ${errorText(e)}`,
        );
        // An unchecked label must never reach the reconcile, which would schedule from it:
        // stop here and try again later; after a few tries the label comes off unchecked
        // (fail closed), and only once it is off does the pass go on.
        if (step.kind === "label") {
          const removed =
            failures >= LABEL_CHECK_TRIES &&
            (await removeUnchecked(ctx, step, errorText(e)).then(
              () => true,
              (err: unknown) => {
                deps.log.error(
                  `${key}#${step.issue}: removing the label failed: ${errorText(err)}`,
                );
                return false;
              },
            ));
          if (!removed)
            return {
              kind: "retry",
              retryMs: deps.busyRetryMs,
              steps: [{ ...step, failures }, ...steps.slice(i + 1)],
            };
        }
        // A command is not retried: it may have partly applied; its author can say it again.
      }
    }
    await deps.reconcile({
      pass,
      owner,
      repo,
      botLogin: await deps.botLogin(),
      now: deps.now,
      dryRun: deps.dryRun,
      log: (line) => deps.log.info(`${key}: ${line}`),
      warn: (line) => deps.log.warn(`${key}: ${line}`),
    });
    deps.registry.notePass(target, deps.now());
    const read = pass.configRead();
    if (read) deps.configs.note(key, read);
    return { kind: "done" };
  } finally {
    if (lease?.acquired) {
      try {
        if (!(await deps.lock.release(store, lease.lease)))
          deps.log.warn(`${key}: the lease expired during the pass and was taken over`);
      } catch (e: unknown) {
        // It expires by itself; the next holder takes it over.
        deps.log.warn(`${key}: releasing the lease failed: ${errorText(e)}`);
      }
    }
  }
}
