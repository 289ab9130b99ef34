import type { Config } from "../core/config.js";
import { codeSpan } from "../core/markdown/code-span.js";
import { cell } from "./format-status-comment.js";

/** The first line of every escalation comment. */
export const ESCALATION_HEADER = "### Conveyor needs a maintainer";

/** Where the escalated work is, for the comment (all optional but the task and permission). */
export interface EscalationContext {
  /** The task's issue number. */
  task: string;
  branch?: string;
  pr?: number;
  /** Link to the agent run that led to the escalation. */
  runUrl?: string;
  /** `<server>/<owner>/<repo>` (the server URL the runtime was given, GHE included). */
  repoUrl?: string;
  /** Login of who scheduled the task (added its todo label): told by a mention. */
  scheduledBy?: string;
  /** The configured `permissions.schedule`: who may answer with a command. */
  permission: Config["permissions"]["schedule"];
}

/**
 * The comment that escalates a task to a maintainer: why, where the work is (branch, PR,
 * run), a mention of who scheduled it, and the four choices as the commands that make them.
 * `choices` (the planner's generic wording) is not shown: the GitHub wording names the branch.
 */
export function formatEscalation(
  reason: string,
  _choices: readonly string[],
  context: EscalationContext = { task: "", permission: "write" },
): string {
  const { branch, pr, runUrl, repoUrl, scheduledBy } = context;
  const lines = [ESCALATION_HEADER, ""];
  lines.push(`This task is escalated: ${cell(reason)}`, "");
  const facts: string[] = [];
  if (branch) facts.push(`- Branch: ${codeSpan(branch)}`);
  if (pr !== undefined)
    facts.push(`- Pull request: ${repoUrl ? `[#${pr}](${repoUrl}/pull/${pr})` : `#${pr}`}`);
  if (runUrl) facts.push(`- Last agent run: [run log](${runUrl})`);
  if (facts.length > 0) lines.push(...facts, "");
  if (scheduledBy && /^[A-Za-z0-9][A-Za-z0-9-]*(\[bot\])?$/.test(scheduledBy))
    lines.push(`@${scheduledBy}, you scheduled this task: it needs your decision.`, "");
  const onBranch = branch ? `branch ${codeSpan(branch)}` : "the task's branch";
  lines.push(
    "Choose one, with a comment on this issue:",
    `- **Manual fix**: push your fix to ${onBranch}, then \`/conveyor retry\``,
    "- **Re-scope**: edit this issue's description, then `/conveyor retry`",
    "- **Deprioritize**: `/conveyor deprioritize <notes>` (back to the backlog at low priority; say what would bring it back)",
    "- **Abandon**: `/conveyor abandon <reason>` (closes the issue, recorded in CHANGELOG.md)",
    "",
    `Commands count from people with at least **${context.permission}** permission on this repository.`,
  );
  return lines.join("\n");
}
