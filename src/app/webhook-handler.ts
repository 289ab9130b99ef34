import type { DeliveryDedupe } from "./delivery-dedupe.js";
import { readEventHint } from "./event-hint.js";
import type { RepoTarget } from "./pass-context.js";
import type { PassStep } from "./repo-pass.js";
import type { RepoRegistry } from "./repo-registry.js";

export interface HandlerDeps {
  dedupe: DeliveryDedupe;
  registry: RepoRegistry;
  /** Login of the app's bot user, e.g. `conveyor[bot]`. */
  botLogin: () => Promise<string>;
  request: (target: RepoTarget, step?: PassStep) => void;
  now: () => Date;
  log: { debug: (line: string) => void; info: (line: string) => void };
}

/**
 * Events whose sender is the app's bot but which are news, not echoes: an agent run the
 * app dispatched reports its progress (started, completed) with the app as sender.
 */
export const NOT_ECHOES: ReadonlySet<string> = new Set(["workflow_run"]);

export type HandlerOutcome =
  | "duplicate"
  | "echo"
  | "no-repository"
  | "no-installation"
  | "requested";

/**
 * THE webhook handler, for every event. It only decides whether to ask for a reconcile of
 * the repository, and which step to run first (a label permission check, a command). It
 * never acts on the payload's label list and never writes to GitHub itself.
 */
export async function handleDelivery(
  deps: HandlerDeps,
  delivery: { id: string; name: string; payload: unknown },
): Promise<HandlerOutcome> {
  if (deps.dedupe.seenBefore(delivery.id)) {
    deps.log.debug(`delivery ${delivery.id} (${delivery.name}) seen before: skipped`);
    return "duplicate";
  }
  const hint = readEventHint(delivery.name, delivery.payload);
  if (hint.installed && hint.installationId !== undefined) {
    // Newly installed: look at each repository now rather than at the next sweep.
    for (const r of hint.installed) {
      const target = { ...r, installationId: hint.installationId };
      deps.registry.noteEvent(target, deps.now());
      deps.request(target);
    }
    return "requested";
  }
  if (hint.owner === undefined || hint.repo === undefined) return "no-repository";
  if (
    hint.sender &&
    !NOT_ECHOES.has(delivery.name) &&
    hint.sender.login === (await deps.botLogin())
  )
    return "echo";
  if (hint.installationId === undefined) {
    deps.log.info(
      `${hint.owner}/${hint.repo}: ${delivery.name} delivery ${delivery.id} has no installation; skipped`,
    );
    return "no-installation";
  }
  const target: RepoTarget = {
    owner: hint.owner,
    repo: hint.repo,
    installationId: hint.installationId,
  };
  deps.registry.noteEvent(target, deps.now());
  if (hint.labeled && hint.sender)
    deps.request(target, {
      kind: "label",
      issue: hint.labeled.issue,
      label: hint.labeled.label,
      actor: hint.sender,
    });
  else if (hint.comment && hint.sender)
    deps.request(target, {
      kind: "command",
      issue: hint.comment.issue,
      commentId: hint.comment.commentId,
      body: hint.comment.body,
      actor: hint.sender,
    });
  else if (hint.dashboardEdit && hint.sender)
    deps.request(target, { kind: "dashboard", ...hint.dashboardEdit, actor: hint.sender });
  else deps.request(target);
  return "requested";
}
