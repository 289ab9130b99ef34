import { type Actor, decideActor, isBot } from "../core/actor-permission.js";
import { type DashboardBox, newlyTicked } from "../core/commands.js";
import { DASHBOARD_TITLE } from "../github/port.js";
import { refusal, reply } from "./comment-command.js";
import type { CommandService, StepContext } from "./pass-context.js";

/**
 * `issues.edited` on the dashboard: someone ticked boxes. `before`/`after` are the body
 * before and after that edit as GitHub delivered them (signed in the app, written by the
 * runner in the Action), so the boxes ticked are the ones this editor ticked.
 */
export interface DashboardEditStep {
  kind: "dashboard";
  issue: number;
  before: string;
  after: string;
  actor: Actor;
}

/**
 * The boxes an edit of the dashboard ticked, each run as the `/conveyor` command it names,
 * with the same permission check as a comment command (the editor must have the configured
 * `permissions.schedule` level; bots only when allowed). A refusal is answered on the
 * dashboard. The next dashboard write (the pass right after) unticks the boxes.
 */
export async function runDashboardEdit<C>(
  ctx: StepContext,
  step: DashboardEditStep,
  commands: CommandService<C>,
): Promise<("accepted" | "refused")[]> {
  const boxes = newlyTicked(step.before, step.after);
  if (boxes.length === 0) return [];
  if (!(await isDashboard(ctx, step.issue))) {
    ctx.log(`${ctx.owner}/${ctx.repo}#${step.issue}: not the Conveyor dashboard; boxes ignored`);
    return [];
  }
  const where = `${ctx.owner}/${ctx.repo}#${step.issue}`;
  const config = await ctx.config();
  const level = isBot(step.actor) ? undefined : await ctx.permissionOf(step.actor.login);
  const decision = decideActor(step.actor, level, config);
  if (!decision.allowed) {
    ctx.log(`${where}: boxes ticked by ${step.actor.login} refused: ${decision.reason}`);
    await reply(
      ctx,
      step.issue,
      refusal(step.actor.login, boxes.map((b) => b.text).join(", "), decision.reason),
    );
    return boxes.map(() => "refused");
  }
  const outcomes: ("accepted" | "refused")[] = [];
  for (const box of boxes) {
    const parsed = commands.parse(commandLine(box));
    if (!parsed?.ok) continue;
    const issue = box.task !== undefined ? Number(box.task) : step.issue;
    const applied = await commands.apply(ctx, {
      issue,
      command: parsed.command,
      actor: step.actor.login,
    });
    if (applied.accepted) {
      ctx.log(`${where}: box "${box.text}" ticked by ${step.actor.login}: ${parsed.text} accepted`);
      outcomes.push("accepted");
    } else {
      ctx.log(`${where}: box "${box.text}" refused: ${applied.reason}`);
      await reply(ctx, step.issue, refusal(step.actor.login, box.text, applied.reason));
      outcomes.push("refused");
    }
  }
  return outcomes;
}

/** The `/conveyor` command a box stands for. */
export function commandLine(box: DashboardBox): string {
  return `/conveyor ${box.command.kind}`;
}

/** Whether the issue is Conveyor's dashboard (its title, written by the bot), read now. */
async function isDashboard(ctx: StepContext, issue: number): Promise<boolean> {
  const found = await ctx.pass.port.getIssue(issue);
  return found?.title === DASHBOARD_TITLE && found.author === (await ctx.botLogin());
}
