import {
  type Actor,
  decideActor,
  guardedLabels,
  isBot,
  labelRefusal,
} from "../core/actor-permission.js";
import { isGitHubError } from "../github/port.js";
import type { StepContext } from "./pass-context.js";

export interface LabelCheckStep {
  kind: "label";
  issue: number;
  label: string;
  actor: Actor;
}

export type LabelCheckOutcome = "ignored" | "allowed" | "removed";

/**
 * A Conveyor stage label added by someone without the scheduling permission is removed,
 * with a polite comment that says why. Whether the task is scheduled is still decided only
 * by the reconcile that follows (which then no longer sees the label).
 */
export async function checkLabel(
  ctx: StepContext,
  step: LabelCheckStep,
): Promise<LabelCheckOutcome> {
  const config = await ctx.config();
  if (!guardedLabels(config).includes(step.label)) return "ignored";
  const level = isBot(step.actor) ? undefined : await ctx.permissionOf(step.actor.login);
  const decision = decideActor(step.actor, level, config);
  if (decision.allowed) return "allowed";
  const where = `${ctx.owner}/${ctx.repo}#${step.issue}`;
  ctx.log(`${where}: label ${step.label} from ${step.actor.login} refused: ${decision.reason}`);
  if (ctx.dryRun) return "removed";
  await removeAndExplain(ctx, step, decision.reason);
  return "removed";
}

/** Takes the label off (already gone is fine) and comments why. */
async function removeAndExplain(ctx: StepContext, step: LabelCheckStep, reason: string) {
  const port = ctx.pass.port;
  // The board the pass may have loaded still shows the label: the pass reads it again.
  ctx.pass.changed();
  try {
    await port.removeLabel(step.issue, step.label);
  } catch (e: unknown) {
    // Someone removed it already: the comment still explains what happened.
    if (!isGitHubError(e, 404)) throw e;
  }
  await port.createComment(step.issue, labelRefusal(step.actor.login, step.label, reason));
}

export { labelRefusal };

/**
 * A label whose author could not be checked (the permission read kept failing): removed, so
 * it can never schedule work unchecked, with a comment that says why. Fail closed: a
 * maintainer adds it again once GitHub answers.
 */
export async function removeUnchecked(
  ctx: StepContext,
  step: LabelCheckStep,
  why: string,
): Promise<void> {
  const config = await ctx.config();
  if (!guardedLabels(config).includes(step.label)) return;
  const where = `${ctx.owner}/${ctx.repo}#${step.issue}`;
  ctx.log(`${where}: label ${step.label} from ${step.actor.login} removed unchecked: ${why}`);
  if (ctx.dryRun) return;
  await removeAndExplain(
    ctx,
    step,
    "I could not check who added it (GitHub did not answer the permission read)",
  );
}
