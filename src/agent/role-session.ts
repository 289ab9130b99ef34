import { realpathSync } from "node:fs";
import type { AgentResult } from "../core/board.js";
import { ConfigGuard } from "./config-guard.js";
import { type DriveResult, driveAgent } from "./drive-agent.js";
import { totalTokens } from "./pricing.js";
import {
  DEFAULT_PROMPTS,
  FINISH_JSON,
  FINISH_TOOL,
  outputContract,
  type PromptVars,
  renderPrompt,
} from "./prompts.js";
import { renderResultComment } from "./result-comment.js";
import type { AgentReport, LoopStop, RoleOutcome, RunRoleOptions } from "./role-types.js";
import type { ToolSpec } from "./tools/tool.js";
import { frameUntrusted } from "./untrusted-text.js";
import { WorkspaceGit } from "./workspace-git.js";

/** What every role shares: its git, clock, log, and the time it must stop the agent. */
export interface RoleSession {
  o: RunRoleOptions;
  git: WorkspaceGit;
  workspaceReal: string;
  startedAt: Date;
  now: () => Date;
  log: (line: string) => void;
  /** The agent stops here; the time left until the deadline is for commit, push, publish. */
  stopAt: Date;
}

export async function openSession(o: RunRoleOptions): Promise<RoleSession> {
  const now = o.now ?? (() => new Date());
  const startedAt = now();
  const total = o.deadline.getTime() - startedAt.getTime();
  const reserve = Math.min(120_000, Math.max(10_000, total * 0.15));
  return {
    o,
    git: await WorkspaceGit.open(o.workspace, o.remote, o.remoteGitConfig),
    workspaceReal: realpathSync(o.workspace),
    startedAt,
    now,
    log: o.log ?? (() => {}),
    stopAt: new Date(o.deadline.getTime() - reserve),
  };
}

/** Runs the agent; afterwards puts back any git configuration it changed (see ConfigGuard). */
export async function driveGuarded(
  s: RoleSession,
  session: { prompt: string; tools: ToolSpec[] },
): Promise<DriveResult> {
  const paths = await s.git.configPaths();
  const guard = new ConfigGuard(paths.files, paths.dirs);
  const drive = await driveAgent(s.o, { ...session, stopAt: s.stopAt });
  const restored = guard.restore();
  if (restored.length > 0) {
    const names = restored.map((f) => f.split("/").slice(-2).join("/")).join(", ");
    const note = `The agent changed the repository's git configuration or hooks (${names}); they were restored.`;
    s.log(note);
    drive.notes.push(note);
  }
  return drive;
}

/** How a run ended, in the result's terms. */
export function outcomeOf(stop: LoopStop, report: AgentReport | undefined): AgentResult["outcome"] {
  if (report) return report.outcome === "done" ? "ok" : report.outcome;
  switch (stop.reason) {
    case "finished":
      return "ok";
    case "deadline":
    case "max_turns":
    case "cost_budget":
    case "max_tokens":
    case "context_exhausted":
      return "incomplete";
    default:
      return "failed";
  }
}

/** Plain words for a run that did not finish normally. */
export function stopSentence(stop: LoopStop): string {
  const why: Record<LoopStop["reason"], string> = {
    finished: "",
    end_turn: "Failed: the agent ended without its report, even after a reminder",
    max_turns: "Stopped: turn limit reached",
    deadline: "Stopped: time budget reached",
    cost_budget: "Stopped: cost budget reached",
    max_tokens: "Stopped: the model kept hitting its output limit",
    refusal: "Failed: the model refused to continue",
    context_exhausted: "Stopped: the conversation filled the context window",
    api_error: "Failed: Anthropic API error",
    aborted: "Stopped: the run was cancelled",
    command_failed: "Failed: the agent command failed",
    config_error: "Failed: configuration error",
  };
  return why[stop.reason] ? `${why[stop.reason]} (${stop.message}).` : "";
}

/** The prompt variables every role shares. */
export function baseVars(o: RunRoleOptions): PromptVars {
  const issueText = [
    o.task.body ?? "",
    ...(o.task.comments ?? []).map((c, i) => `--- comment ${i + 1} ---\n${c}`),
  ].join("\n\n");
  const source = /^\d+$/.test(o.task.id) ? `issue #${o.task.id}` : `task ${o.task.id}`;
  return {
    role: o.role,
    minutes: String(o.config.roles[o.role].timeoutMinutes),
    taskId: o.task.id,
    title: frameTitle(o.task.title),
    description: frameUntrusted(`${source} body and comments`, issueText || "(no description)"),
    locations: o.task.locations.length
      ? o.task.locations.map((l) => `- ${l}`).join("\n")
      : "(not given)",
    feedback: o.feedback
      ? `\n## Feedback from the previous run\nAddress every finding in it (its Problem, at its Location, with its Required fix) or say in your report why not.\n${frameUntrusted("previous review or test report", o.feedback)}\n`
      : "",
    branch: o.branch,
    baseBranch: o.baseBranch,
    attempt: String(o.attempt + 1),
    testPolicy: o.config.tests.taskAgentRunsTests
      ? "You may run the relevant tests with bash to check your change."
      : "Do not run the test suite: the tester does that after review. You may run quick checks (build, type check).",
    diff: "",
    changedFiles: "",
    failures: "",
    finishHow: o.driver.kind === "command" ? FINISH_JSON : FINISH_TOOL,
    qualityBar: o.config.agent.noTechDebt,
    reviewThreads: "",
  };
}

function frameTitle(title: string): string {
  return frameUntrusted("title", title).replace(/\n/g, " ");
}

/** The role's prompt; an agent command also gets the output contract it must follow. */
export function renderRolePrompt(o: RunRoleOptions, vars: PromptVars): string {
  const text = renderPrompt(o.config.roles[o.role].prompt ?? DEFAULT_PROMPTS[o.role], vars);
  return o.driver.kind === "command" ? `${text}\n${outputContract(o.role)}` : text;
}

export interface Finalize {
  outcome: AgentResult["outcome"];
  summary: string;
  drive: DriveResult | undefined;
  headSha?: string;
  /** Head the run checked out at its start (tester). */
  startSha?: string;
  baseSha?: string;
  pr?: number;
  verdict?: AgentResult["verdict"];
  passed?: boolean;
  /** Tester: the counts of its test runs. */
  tests?: AgentResult["tests"];
  filesChanged: string[];
  extraCommands?: RoleOutcome["commands"];
  review?: RoleOutcome["review"];
}

/**
 * Builds the result and publishes it on the issue. A result that could not be published
 * fails the run (outcome "failed", the reason in the summary); nothing is thrown.
 */
export async function finalize(
  s: Pick<RoleSession, "o" | "now" | "startedAt" | "log">,
  f: Finalize,
): Promise<RoleOutcome> {
  const o = s.o;
  const usage = f.drive?.usage ?? {
    calls: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheWriteTokens: 0,
    cacheReadTokens: 0,
    costUsd: 0,
  };
  let result: AgentResult = {
    correlationId: o.correlationId,
    role: o.role,
    outcome: f.outcome,
    ...(f.verdict ? { verdict: f.verdict } : {}),
    ...(f.passed !== undefined ? { passed: f.passed } : {}),
    ...(f.tests ? { tests: f.tests } : {}),
    ...(f.headSha ? { headSha: f.headSha } : {}),
    ...(f.startSha ? { startSha: f.startSha } : {}),
    ...(f.baseSha ? { baseSha: f.baseSha } : {}),
    ...(f.pr !== undefined ? { pr: f.pr } : {}),
    branch: o.branch,
    summary: [f.summary, ...(f.drive?.notes ?? [])].filter(Boolean).join(" "),
    tokens: totalTokens(usage),
    costUsd: Math.round(usage.costUsd * 1e6) / 1e6,
    finishedAt: s.now().toISOString(),
  };
  const commands = [...(f.drive?.commands ?? []), ...(f.extraCommands ?? [])];
  const durationMs = s.now().getTime() - s.startedAt.getTime();
  const details = { filesChanged: f.filesChanged, commands, durationMs };
  try {
    await o.host.publishResult({
      task: o.task.id,
      result,
      body: renderResultComment(result, details),
    });
  } catch (e: unknown) {
    // A result nobody can read was not delivered: the run failed. Say so once more with a
    // failed result (it may go through where the first body did not); the run fails anyway.
    const why = `The result could not be published: ${errorMessage(e)}.`;
    s.log(why);
    const { verdict: _v, passed: _p, ...rest } = result;
    result = {
      ...rest,
      outcome: "failed",
      ...(result.passed !== undefined ? { passed: false } : {}),
      summary: `${why} ${result.summary}`.trim(),
    };
    try {
      await o.host.publishResult({
        task: o.task.id,
        result,
        body: renderResultComment(result, details),
      });
    } catch (again: unknown) {
      s.log(`could not publish the failed result either: ${errorMessage(again)}`);
    }
  }
  return {
    result,
    filesChanged: f.filesChanged,
    commands,
    ...(f.review ? { review: f.review } : {}),
    ...(f.drive?.report ? { report: f.drive.report } : {}),
    usage,
    turns: f.drive?.turns ?? 0,
    durationMs,
    stop: f.drive?.stop ?? { reason: "finished", message: f.summary },
  };
}

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));
