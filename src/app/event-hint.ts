import type { Actor } from "../core/actor-permission.js";
import { newlyTicked } from "../core/commands.js";

/**
 * What the one webhook handler takes from a delivery. Deliberately little: the repository
 * and installation to reconcile, who sent it (echo filter), and the two facts only a
 * payload can tell: which label someone just added (the scheduling permission check) and
 * a comment that may hold a `/conveyor` command. Never the payload's label list.
 */
export interface EventHint {
  owner?: string;
  repo?: string;
  installationId?: number;
  sender?: Actor;
  /** `issues.labeled` / `pull_request.labeled`: the one label added, on which issue. */
  labeled?: { issue: number; label: string };
  /** `issue_comment.created` whose body holds a `/conveyor` line. */
  comment?: { issue: number; commentId: number; body: string };
  /**
   * `issues.edited` whose edit ticked a box holding a Conveyor command (the dashboard's
   * boxes): the body before and after the edit, as delivered.
   */
  dashboardEdit?: { issue: number; before: string; after: string };
  /** A push to the default branch: the config may have changed. */
  defaultBranchPush: boolean;
  /** `installation.created` / `installation_repositories.added`: repositories to look at now. */
  installed?: { owner: string; repo: string }[];
}

const COMMAND_LINE = /^\s*\/conveyor\b/m;

export function hasCommand(body: string): boolean {
  return COMMAND_LINE.test(body);
}

export function readEventHint(name: string, payload: unknown): EventHint {
  const p = record(payload);
  const repository = record(p.repository);
  const owner = str(record(repository.owner).login);
  const repo = str(repository.name);
  const installationId = num(record(p.installation).id);
  const senderRecord = record(p.sender);
  const senderLogin = str(senderRecord.login);
  const hint: EventHint = { defaultBranchPush: false };
  if (owner !== undefined) hint.owner = owner;
  if (repo !== undefined) hint.repo = repo;
  if (installationId !== undefined) hint.installationId = installationId;
  if (senderLogin !== undefined) {
    const type = str(senderRecord.type);
    hint.sender = type === undefined ? { login: senderLogin } : { login: senderLogin, type };
  }
  const action = str(p.action);

  if ((name === "issues" || name === "pull_request") && action === "labeled") {
    const issue = num(record(name === "issues" ? p.issue : p.pull_request).number);
    const label = str(record(p.label).name);
    if (issue !== undefined && label !== undefined) hint.labeled = { issue, label };
  }
  if (name === "issue_comment" && action === "created") {
    const issue = num(record(p.issue).number);
    const comment = record(p.comment);
    const commentId = num(comment.id);
    const body = str(comment.body);
    if (issue !== undefined && commentId !== undefined && body !== undefined && hasCommand(body))
      hint.comment = { issue, commentId, body };
  }
  if (name === "issues" && action === "edited") {
    const issue = record(p.issue);
    const number = num(issue.number);
    const before = str(record(record(p.changes).body).from);
    const after = str(issue.body);
    if (number !== undefined && before !== undefined && after !== undefined)
      if (newlyTicked(before, after).length > 0)
        hint.dashboardEdit = { issue: number, before, after };
  }
  if (
    (name === "installation" && (action === "created" || action === "unsuspend")) ||
    (name === "installation_repositories" && action === "added")
  ) {
    const list = name === "installation" ? p.repositories : p.repositories_added;
    const installed = (Array.isArray(list) ? list : [])
      .map((r) => str(record(r).full_name)?.split("/"))
      .filter((parts): parts is [string, string] => parts?.length === 2)
      .map(([o, r]) => ({ owner: o, repo: r }));
    if (installed.length > 0) hint.installed = installed;
  }
  if (name === "push") {
    const branch = str(repository.default_branch) ?? str(repository.master_branch);
    hint.defaultBranchPush = branch !== undefined && str(p.ref) === `refs/heads/${branch}`;
  }
  return hint;
}

function record(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {};
}
function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}
