import { describeEffect, type Effect, type EffectType } from "./effects.js";

/** What applying one effect came to: done now, or found already done. */
export type Outcome = "applied" | "skipped";

export type EffectOf<K extends EffectType> = Extract<Effect, { type: K }>;

/**
 * One handler per effect type: a backend that does not handle an effect type does not
 * compile. A handler throws when the effect failed.
 */
export type Handlers = { [K in EffectType]: (effect: EffectOf<K>) => Promise<Outcome> };

export interface LoopOptions {
  dryRun: boolean;
  log: (line: string) => void;
  /**
   * Whether a failure stops every effect after it, not only its task's: the service is
   * down or the workspace cannot be trusted any more. Default: every failure stops the pass.
   */
  stopsPass?: (error: unknown) => boolean;
  /** The words for a failure in the log and the report (default: its message). */
  describeError?: (error: unknown) => string;
}

export interface Failure {
  effect: string;
  error: string;
  /** The tasks the failed effect was about ([] for a repository-wide effect). */
  tasks: string[];
}

export interface LoopReport {
  /** `describeEffect` of each effect applied (dry-run: that would be applied). */
  applied: string[];
  /** Effects found already done (a dispatch whose run exists, an issue already closed). */
  skipped: string[];
  /** The first effect that failed. */
  failed?: { effect: string; error: string };
  /** Every effect that failed, in order. */
  failures: Failure[];
  /** Effects left out because an effect before them failed (see `runEffects`). */
  notApplied: string[];
}

/** The tasks an effect is about: its task, or each task of a merge batch. */
export function tasksOf(effect: Effect): string[] {
  if (effect.type === "merge") return effect.batch.map((b) => b.task);
  return "task" in effect ? [effect.task] : [];
}

/**
 * The one execution loop of both backends: applies effects in order through the backend's
 * handlers. Dry-run logs each effect and applies nothing. When an effect fails, the later
 * effects of the same tasks are left out (they were planned on its success), and so is the
 * mirror (it shows the board the whole plan leads to); the other tasks' effects still run,
 * unless the failure stops the pass (`stopsPass`), or the failed effect was about no task in
 * particular. The next pass plans again from what then is.
 */
export async function runEffects(
  effects: readonly Effect[],
  handlers: Handlers,
  options: LoopOptions,
): Promise<LoopReport> {
  const report: LoopReport = { applied: [], skipped: [], failures: [], notApplied: [] };
  const failedTasks = new Set<string>();
  let stopped = false;
  for (const effect of effects) {
    const line = describeEffect(effect);
    const tasks = tasksOf(effect);
    const dependsOnFailure =
      stopped ||
      tasks.some((t) => failedTasks.has(t)) ||
      (effect.type === "write-mirror" && report.failures.length > 0);
    if (dependsOnFailure) {
      report.notApplied.push(line);
      continue;
    }
    if (options.dryRun) {
      options.log(`[dry-run] ${line}`);
      report.applied.push(line);
      continue;
    }
    try {
      const done = await apply(handlers, effect);
      if (done === "skipped") {
        report.skipped.push(line);
        options.log(`skip (already done): ${line}`);
      } else {
        report.applied.push(line);
        options.log(line);
      }
    } catch (e: unknown) {
      const error = options.describeError
        ? options.describeError(e)
        : e instanceof Error
          ? e.message
          : String(e);
      report.failed ??= { effect: line, error };
      report.failures.push({ effect: line, error, tasks });
      for (const t of tasks) failedTasks.add(t);
      stopped = tasks.length === 0 || (options.stopsPass?.(e) ?? true);
      options.log(
        `failed: ${line}: ${error}; ${stopped ? "the pass stops here" : `the other effects of ${tasks.map((t) => `#${t}`).join(", ")} wait`}, the next pass plans again`,
      );
    }
  }
  return report;
}

function apply(handlers: Handlers, effect: Effect): Promise<Outcome> {
  // The mapped type pairs each type with its handler; TypeScript cannot follow the pairing
  // through the union, hence the one cast.
  const handler = handlers[effect.type] as (e: Effect) => Promise<Outcome>;
  return handler(effect);
}
