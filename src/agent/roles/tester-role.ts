import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestCount } from "../../core/board.js";
import { mergeUnreleased } from "../../core/markdown/changelog.js";
import type { DriveResult } from "../drive-agent.js";
import { git } from "../git.js";
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
import type { CommandRun, RoleOutcome } from "../role-types.js";
import { runShell } from "../run-shell.js";
import { scrubEnv } from "../scrub-env.js";
import { shellSandbox } from "../shell-sandbox.js";
import { type RepoFacts, ranNoTests, selectTests } from "../targeted-tests.js";
import { countTests } from "../test-counts.js";
import { toolsFor } from "../tools/toolset.js";
import { frameUntrusted } from "../untrusted-text.js";

const TEST_TIMEOUT_MS = 10 * 60_000;
/** Fixes the agent may make in one run: one drive, then the tests again. */
const FIX_ROUNDS = 1;

/**
 * The tester: merges the base branch in (a conflict is reported as such), runs the tests
 * aimed at the changed files, lets the agent fix failures within its budget, re-runs, pushes,
 * and publishes `conveyor/test` on the head SHA.
 */
export async function runTesterRole(s: RoleSession): Promise<RoleOutcome> {
  const o = s.o;
  await s.git.checkoutTaskBranch(o.branch, o.baseBranch);
  // The head this run starts from: its pass covers only what it pushes on top of it.
  const startSha = await s.git.head();
  const baseRef = (await s.git.ref(o.baseBranch))!;
  const baseSha = (await s.git.revParse(baseRef))!;
  await s.git.unionMerge(o.config.merge.sharedFiles);
  const before = await s.git.head();
  const merged = await s.git.merge(baseRef, `Merge ${o.baseBranch} into ${o.branch}`);
  if (merged.ok) await mergeChangelog(s, before, baseSha);
  if (!merged.ok) {
    const headSha = await s.git.head();
    const summary = `Merge conflict: merging ${o.baseBranch} (${baseSha.slice(0, 7)}) into ${o.branch} conflicts in ${merged.conflicts.map((f) => `\`${f}\``).join(", ") || "(unknown files)"}. The branch must be updated by a task agent.`;
    await check(s, headSha, false, summary, []);
    return finalize(s, {
      outcome: "failed",
      summary,
      drive: undefined,
      headSha,
      startSha,
      baseSha,
      passed: false,
      filesChanged: [],
      ...prOf(s),
    });
  }
  const changed = await s.git.changedSince(baseRef);
  const selection = selectTests(changed, o.config.tests, await repoFacts(s.workspaceReal));
  const commands = selection.commands;
  s.log(`tests: ${selection.note}${commands.length ? `: ${commands.join("; ")}` : ""}`);
  const runs: CommandRun[] = [];
  const runAll = async () => {
    const batch: CommandRun[] = [];
    if (commands.length === 0) return batch;
    // The tests are the PR's code: they run in the sandbox the agent's commands run in.
    const sandbox = shellSandbox({
      workspace: s.workspaceReal,
      allowedDomains: o.config.sandbox.allowedDomains,
      log: s.log,
    });
    try {
      for (const command of commands) {
        const left = s.stopAt.getTime() - s.now().getTime();
        const run = await runShell(command, {
          cwd: s.workspaceReal,
          env: scrubEnv(process.env, { CI: "true" }),
          sandbox,
          timeoutMs: Math.max(1000, Math.min(TEST_TIMEOUT_MS, left)),
          ...(o.signal ? { signal: o.signal } : {}),
        });
        s.log(`test: ${command} → ${run.timedOut ? "timed out" : `exit ${run.exitCode}`}`);
        batch.push(run);
      }
    } finally {
      sandbox?.close();
    }
    runs.push(...batch);
    return batch;
  };
  let last = await runAll();
  let drive: DriveResult | undefined;
  // A command that exits 0 but ran no test proves nothing: it counts as failing.
  const fails = (r: CommandRun) => r.exitCode !== 0 || r.timedOut || ranNoTests(r.output);
  const failing = () => last.filter(fails);
  // The counts of each round (the first run, then the run after the fix), for the log.
  const rounds: TestCount[] = [];
  const count = () => {
    const c = countTests(last.map((r) => ({ output: r.output, failed: fails(r) })));
    if (c) rounds.push(c);
  };
  count();
  if (failing().length > 0 && s.now() < s.stopAt) {
    const failures = failing()
      .map(
        (r) =>
          `$ ${r.command}\n${r.timedOut ? "(timed out)" : r.exitCode === 0 ? "exit 0 but no test ran" : `exit ${r.exitCode}`}\n${r.output}`,
      )
      .join("\n\n");
    drive = await driveGuarded(s, {
      prompt: renderRolePrompt(o, {
        ...baseVars(o),
        failures: frameUntrusted("test output", failures),
        changedFiles: changed.map((f) => `\`${f}\``).join(", "),
      }),
      tools: toolsFor("tester"),
    });
    if (drive.stop.reason !== "api_error" && drive.stop.reason !== "aborted") {
      last = await runAll();
      count();
    }
  }
  // "Passed" means: at least one test command ran, every one of them passed, and the
  // result is on the remote.
  const testsPassed = commands.length > 0 && failing().length === 0;
  const commit = await s.git.commitAll(`Fix targeted tests\n\nConveyor run ${o.correlationId}`);
  const push = await s.git.push(o.branch);
  const passed = testsPassed && !push.error;
  const headSha = await s.git.head();
  const agentOutcome = drive ? outcomeOf(drive.stop, drive.report) : "ok";
  const outcome = push.error
    ? "failed"
    : testsPassed
      ? "ok"
      : agentOutcome === "incomplete"
        ? "incomplete"
        : "ok";
  const summary = [
    commands.length === 0
      ? `No tests ran, so the change is not reported as passing: ${selection.note}.`
      : testsPassed
        ? `Targeted tests passed (${commands.length} command${commands.length > 1 ? "s" : ""}${drive ? ", after fixes" : ""}; ${selection.note}).`
        : `Targeted tests failed: ${failing()
            .map(
              (r) => `\`${r.command}\`${r.exitCode === 0 && !r.timedOut ? " (no test ran)" : ""}`,
            )
            .join(", ")} (${selection.note}).`,
    drive ? stopSentence(drive.stop) : "",
    drive?.report?.summary ?? "",
    push.error ? `Push failed: ${push.error}.` : "",
    commit ? `Fixes committed as ${commit.slice(0, 7)}${push.pushed ? " and pushed" : ""}.` : "",
  ]
    .filter(Boolean)
    .join(" ");
  const tests = rounds.length > 0 ? { tests: { runs: rounds, fixRounds: FIX_ROUNDS } } : {};
  let delivered: { outcome: RoleOutcome["result"]["outcome"]; summary: string; passed: boolean } = {
    outcome,
    summary,
    passed,
  };
  try {
    await check(s, headSha, passed, summary, runs);
  } catch (e: unknown) {
    // Without its check the merge queue cannot see the result: the run failed.
    s.log(`could not publish conveyor/test: ${errorMessage(e)}`);
    delivered = {
      outcome: "failed",
      passed: false,
      summary: `${summary} Could not publish the conveyor/test check: ${errorMessage(e)}.`,
    };
  }
  return finalize(s, {
    ...delivered,
    drive,
    headSha,
    startSha,
    baseSha,
    filesChanged: drive?.written ?? [],
    extraCommands: runs,
    ...tests,
    ...prOf(s),
  });
}

function prOf(s: RoleSession): { pr?: number } {
  return s.o.pr !== undefined ? { pr: s.o.pr } : {};
}

async function check(
  s: RoleSession,
  headSha: string,
  passed: boolean,
  summary: string,
  runs: CommandRun[],
) {
  const detail = runs
    .map(
      (r) =>
        `### \`${r.command}\`: ${r.timedOut ? "timed out" : `exit ${r.exitCode}`}\n\n\`\`\`\n${r.output.slice(-3000)}\n\`\`\``,
    )
    .join("\n\n");
  await s.o.host.publishCheck({
    name: "conveyor/test",
    headSha,
    conclusion: passed ? "success" : "failure",
    title: passed ? "Targeted tests passed" : "Targeted tests failed",
    summary: detail ? `${summary}\n\n${detail}` : summary,
  });
}

async function repoFacts(root: string): Promise<RepoFacts> {
  let packageJson: RepoFacts["packageJson"];
  try {
    packageJson = JSON.parse(
      readFileSync(join(root, "package.json"), "utf8"),
    ) as RepoFacts["packageJson"];
  } catch {
    packageJson = undefined;
  }
  const listed = await git(root, ["ls-files", "-z", "--cached", "--others", "--exclude-standard"]);
  const files = listed.stdout.split("\0").filter(Boolean);
  return {
    ...(packageJson ? { packageJson } : {}),
    exists: (p) => existsSync(join(root, p)),
    files,
    read: (p) => {
      try {
        const abs = join(root, p);
        return statSync(abs).size > 500_000 ? undefined : readFileSync(abs, "utf8");
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * After a union merge of CHANGELOG.md: the Unreleased entries of both sides, each under
 * the type its side filed it (a union merge may file one under the other side's heading).
 */
async function mergeChangelog(s: RoleSession, ours: string, theirs: string): Promise<void> {
  const path = join(s.workspaceReal, "CHANGELOG.md");
  if (!existsSync(path)) return;
  const merged = readFileSync(path, "utf8");
  const show = async (rev: string) =>
    (await git(s.workspaceReal, ["show", `${rev}:CHANGELOG.md`])).stdout;
  const base = (await git(s.workspaceReal, ["merge-base", ours, theirs])).stdout.trim();
  const text = mergeUnreleased(
    merged,
    base ? await show(base) : "",
    await show(ours),
    await show(theirs),
  );
  if (text === merged) return;
  writeFileSync(path, text);
  await s.git.commitAll(
    "CHANGELOG: keep both sides' Unreleased entries after merging the base branch",
  );
}
