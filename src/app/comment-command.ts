import { type Actor, decideActor, isBot } from "../core/actor-permission.js";
import { inline } from "../core/commands.js";
import { codeSpan } from "../core/markdown/code-span.js";
import { GITHUB_BODY_LIMIT, neutralizeMarkers } from "../core/markers.js";
import type { CommandService, StepContext } from "./pass-context.js";

export interface CommandStep {
  kind: "command";
  issue: number;
  commentId: number;
  body: string;
  actor: Actor;
}

export type CommandOutcome = "ignored" | "accepted" | "refused";

/**
 * A `/conveyor …` comment: from a permitted author it is applied and acknowledged with a
 * +1 reaction (and a reply when it answers something, like `status`); anything refused is
 * answered with the reason.
 */
export async function runCommand<C>(
  ctx: StepContext,
  delivered: CommandStep,
  commands: CommandService<C>,
): Promise<CommandOutcome> {
  if (commands.parse(delivered.body) === undefined) return "ignored";
  // The delivery only says "look at this comment": its current body and author are read
  // by id, so a forged or stale payload cannot put words in a maintainer's mouth.
  const step = await reread(ctx, delivered);
  if (step === undefined) return "ignored";
  const parsed = commands.parse(step.body);
  if (parsed === undefined) return "ignored";
  const where = `${ctx.owner}/${ctx.repo}#${step.issue}`;
  const config = await ctx.config();
  const level = isBot(step.actor) ? undefined : await ctx.permissionOf(step.actor.login);
  const decision = decideActor(step.actor, level, config);
  const shown = parsed.ok ? parsed.text : firstCommandLine(step.body);
  if (!decision.allowed) {
    ctx.log(`${where}: command from ${step.actor.login} refused: ${decision.reason}`);
    await reply(ctx, step.issue, refusal(step.actor.login, shown, decision.reason));
    return "refused";
  }
  if (!parsed.ok) {
    ctx.log(`${where}: unreadable command from ${step.actor.login}: ${parsed.error}`);
    await reply(ctx, step.issue, refusal(step.actor.login, shown, parsed.error));
    return "refused";
  }
  const applied = await commands.apply(ctx, {
    issue: step.issue,
    command: parsed.command,
    actor: step.actor.login,
  });
  if (!applied.accepted) {
    ctx.log(`${where}: ${parsed.text} refused: ${applied.reason}`);
    await reply(ctx, step.issue, refusal(step.actor.login, parsed.text, applied.reason));
    return "refused";
  }
  ctx.log(`${where}: ${parsed.text} accepted from ${step.actor.login}`);
  if (!ctx.dryRun) await ctx.pass.port.addReaction(step.commentId, "+1");
  if (applied.reply !== undefined) await reply(ctx, step.issue, applied.reply);
  return "accepted";
}

/** The comment as GitHub has it now; undefined when it is gone. */
async function reread(ctx: StepContext, step: CommandStep): Promise<CommandStep | undefined> {
  const comment = await ctx.pass.port.getComment(step.commentId);
  if (comment === undefined) {
    ctx.log(`${ctx.owner}/${ctx.repo}#${step.issue}: comment ${step.commentId} is gone; ignored`);
    return undefined;
  }
  if (!comment.author) return undefined;
  const actor: Actor = comment.authorType
    ? { login: comment.author, type: comment.authorType }
    : { login: comment.author };
  return { ...step, body: comment.body, actor };
}

/**
 * The answer to a refused command. The command is echoed as a code span whose fence is
 * longer than any backtick run inside it (so a backtick cannot break out into a real
 * @-mention or link), one line, with no marker and no mention.
 */
export function refusal(login: string, command: string, reason: string): string {
  const shown = codeSpan(inline(command));
  return neutralizeMarkers(`@${login} I did not run ${shown}: ${reason.replace(/\.$/, "")}.`);
}

function firstCommandLine(body: string): string {
  const line = body.split("\n").find((l) => l.trim().startsWith("/conveyor")) ?? "/conveyor";
  return line.trim().slice(0, 80);
}

/** Answers on `issue` (dry-run: logs the answer). */
export async function reply(ctx: StepContext, issue: number, body: string): Promise<void> {
  if (ctx.dryRun) {
    ctx.log(`${ctx.owner}/${ctx.repo}#${issue}: (dry-run) would comment: ${body}`);
    return;
  }
  await ctx.pass.port.createComment(issue, fitWithoutMarker(neutralizeMarkers(body)));
}

/** A reply within GitHub's limit (a status reply never comes close; a refusal quotes little). */
function fitWithoutMarker(body: string): string {
  return body.length <= GITHUB_BODY_LIMIT ? body : `${body.slice(0, GITHUB_BODY_LIMIT - 2)}…`;
}
