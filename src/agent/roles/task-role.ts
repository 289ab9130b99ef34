import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { addUnreleasedEntry, changeTypeFor, escapeInline } from "../../core/markdown/changelog.js";
import { hasNewUnreleasedEntry } from "../changelog-entry.js";
import type { DriveResult } from "../drive-agent.js";
import { git } from "../git.js";
import { formatDuration } from "../result-comment.js";
import {
  baseVars,
  driveGuarded,
  errorMessage,
  finalize,
  outcomeOf,
  type RoleSession,
  renderRolePrompt,
  stopSentence,
} from "../role-session.js";
import type { RoleOutcome } from "../role-types.js";
import { toolsFor } from "../tools/toolset.js";
import { stripUntrusted } from "../untrusted-text.js";

/**
 * The task role: branch, agent, CHANGELOG entry, commit, push, PR. Work in progress is
 * committed and pushed even when the agent did not finish, so nothing is lost.
 */
export async function runTaskRole(s: RoleSession): Promise<RoleOutcome> {
  const o = s.o;
  const { created } = await s.git.checkoutTaskBranch(o.branch, o.baseBranch);
  s.log(`${created ? "created" : "reusing"} branch ${o.branch}`);
  const baseRef = (await s.git.ref(o.baseBranch))!;
  const drive = await driveGuarded(s, {
    prompt: renderRolePrompt(o, baseVars(o)),
    tools: toolsFor("task"),
  });
  let outcome = outcomeOf(drive.stop, drive.report);
  const changed = (await s.git.changedSince(baseRef)).filter((f) => f !== "CHANGELOG.md");
  if (changed.length > 0 && outcome === "ok") await ensureChangelog(s, baseRef);
  const filesChanged = await s.git.changedSince(baseRef);
  if (filesChanged.length === 0 && outcome === "ok") outcome = "failed";

  const title = stripUntrusted(o.task.title).replace(/\s+/g, " ").trim();
  const verb = outcome === "ok" ? "" : "WIP: ";
  const commit = await s.git.commitAll(
    `${verb}${title}${/^\d+$/.test(o.task.id) ? ` (#${o.task.id})` : ` [${o.task.id}]`}\n\nConveyor run ${o.correlationId}`,
  );
  const push = commit ? await s.git.push(o.branch) : { pushed: false };
  const headSha = await s.git.head();
  const problems: string[] = [];
  if (push.error) {
    // Work that did not reach the remote was not delivered: no PR, a failed run.
    outcome = "failed";
    problems.push(`Push failed: ${push.error}.`);
  }

  let pr = o.pr;
  if (outcome === "ok" && filesChanged.length > 0 && !push.error) {
    try {
      const opened = await o.host.openOrUpdatePr({
        branch: o.branch,
        base: o.baseBranch,
        title,
        body: prBody(s, drive, filesChanged),
        ...(o.pr !== undefined ? { pr: o.pr } : {}),
      });
      pr = opened.number ?? pr;
    } catch (e: unknown) {
      outcome = "failed";
      problems.push(`Could not open or update the PR: ${errorMessage(e)}.`);
    }
  }
  const summary = [
    filesChanged.length === 0 ? "No files were changed." : "",
    stopSentence(drive.stop),
    ...problems,
    drive.report?.summary ?? "",
    commit && outcome !== "ok"
      ? `${push.error ? "The work" : "Work in progress"} was committed as ${commit.slice(0, 7)}${push.pushed ? " and pushed" : " (not pushed)"}.`
      : "",
  ]
    .filter(Boolean)
    .join(" ");
  return finalize(s, {
    outcome,
    summary,
    drive,
    headSha,
    ...(pr !== undefined ? { pr } : {}),
    filesChanged,
  });
}

/** Writes the CHANGELOG entry deterministically when the agent did not. */
async function ensureChangelog(s: RoleSession, baseRef: string): Promise<void> {
  const path = join(s.workspaceReal, "CHANGELOG.md");
  const now = existsSync(path) ? readFileSync(path, "utf8") : undefined;
  const base = await git(s.workspaceReal, ["show", `${baseRef}:CHANGELOG.md`]);
  const before = base.code === 0 ? base.stdout : undefined;
  if (hasNewUnreleasedEntry(before, now)) return;
  const title = escapeInline(stripUntrusted(s.o.task.title));
  const ref = /^\d+$/.test(s.o.task.id) ? ` (#${s.o.task.id})` : ` (${s.o.task.id})`;
  writeFileSync(
    path,
    addUnreleasedEntry(now ?? "", { type: changeTypeFor(title), text: `${title}${ref}` }),
  );
  s.log("added the CHANGELOG entry the agent did not write");
}

function prBody(s: RoleSession, drive: DriveResult, files: string[]): string {
  const o = s.o;
  const r = drive.report;
  const u = drive.usage;
  const lines = [
    /^\d+$/.test(o.task.id) ? `Closes #${o.task.id}` : `Task ${o.task.id}`,
    "",
    "## What was found",
    r?.found?.trim() || "(not reported)",
    "",
    "## What was fixed",
    r?.fixed?.trim() || r?.summary?.trim() || "(not reported)",
    "",
    ...(r?.notes ? ["## Notes", r.notes.trim(), ""] : []),
    "## Files changed",
    ...files.map((f) => `- \`${f}\``),
    "",
    `Conveyor run \`${o.correlationId}\` · model \`${o.model}\` · ${(
      u.inputTokens + u.outputTokens + u.cacheWriteTokens + u.cacheReadTokens
    ).toLocaleString(
      "en-US",
    )} tokens (cache read ${u.cacheReadTokens.toLocaleString("en-US")}) · $${u.costUsd.toFixed(4)} · ${formatDuration(s.now().getTime() - s.startedAt.getTime())}`,
  ];
  return lines.join("\n");
}
