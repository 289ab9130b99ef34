import { existsSync, readFileSync } from "node:fs";
import { readEventHint } from "../app/event-hint.js";
import type { CommentCommand, DashboardEdit } from "../github/orchestrate.js";

/**
 * The `/conveyor` comment that started this workflow run (`issue_comment.created` with a
 * command line), read from the event payload; undefined for any other event. The payload
 * only says which comment to look at: the command runs from the comment read back by id.
 */
export function readCommentCommand(
  env: Record<string, string | undefined>,
): CommentCommand | undefined {
  const payload = readEvent(env, "issue_comment");
  if (payload === undefined) return undefined;
  const hint = readEventHint("issue_comment", payload);
  if (!hint.comment || !hint.sender) return undefined;
  return { ...hint.comment, actor: hint.sender };
}

/**
 * The boxes an edit of the dashboard ticked (`issues.edited`, body before and after as the
 * runner wrote the event), with who edited; undefined for any other event or edit.
 */
export function readDashboardEdit(
  env: Record<string, string | undefined>,
): DashboardEdit | undefined {
  const payload = readEvent(env, "issues");
  if (payload === undefined) return undefined;
  const hint = readEventHint("issues", payload);
  if (!hint.dashboardEdit || !hint.sender) return undefined;
  return { ...hint.dashboardEdit, actor: hint.sender };
}

function readEvent(env: Record<string, string | undefined>, name: string): unknown {
  if (env.GITHUB_EVENT_NAME !== name) return undefined;
  const path = env.GITHUB_EVENT_PATH;
  if (!path || !existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}
