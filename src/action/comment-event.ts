import { existsSync, readFileSync } from "node:fs";
import { readEventHint } from "../app/event-hint.js";
import type { CommentCommand } from "../github/orchestrate.js";

/**
 * The `/conveyor` comment that started this workflow run (`issue_comment.created` with a
 * command line), read from the event payload; undefined for any other event. The payload
 * only says which comment to look at: the command runs from the comment read back by id.
 */
export function readCommentCommand(
  env: Record<string, string | undefined>,
): CommentCommand | undefined {
  if (env.GITHUB_EVENT_NAME !== "issue_comment") return undefined;
  const path = env.GITHUB_EVENT_PATH;
  if (!path || !existsSync(path)) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
  const hint = readEventHint("issue_comment", payload);
  if (!hint.comment || !hint.sender) return undefined;
  return { ...hint.comment, actor: hint.sender };
}
