import type { Board, Task } from "../core/board.js";
import type { MergeLogEntry } from "../local/git/merge-log.js";
import { formatTokens } from "../local/view/task-rows.js";
import { NPX } from "../package-info.js";

export interface DemoReport {
  dir: string;
  seconds: number;
  board: Board;
  merges: MergeLogEntry[];
  /** The Unreleased section of CHANGELOG.md on the base branch after the run. */
  changelog: string;
  base: string;
}

/** What a task came to, in a word. */
export function outcomeOf(task: Task): string {
  if (task.memory.escalation) return "escalated";
  if (task.stage === "done") return "merged";
  return task.stage;
}

/** The end-of-demo text: per task, the merges, the changelog, and how to run it for real. */
export function formatDemoSummary(r: DemoReport): string {
  const tasks = [...r.board.tasks].sort((a, b) =>
    a.id.localeCompare(b.id, "en", { numeric: true }),
  );
  const rows = [
    ["TASK", "OUTCOME", "RUNS", "RETRIES", "TOKENS", "TITLE"],
    ...tasks.map((t) => {
      const a = t.memory.attempts;
      return [
        t.id,
        outcomeOf(t),
        String(t.memory.runs),
        String(a.task + a.reviewer + a.tester + a.merge),
        formatTokens(t.memory.tokens),
        t.title,
      ];
    }),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const table = rows.map(
    (row) => `  ${row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")}`,
  );
  const escalated = tasks
    .filter((t) => t.memory.escalation)
    .map((t) => `  ${t.id} escalated: ${t.memory.escalation!.reason}`);
  const merges = r.merges.map((m, i) => {
    const what = m.merged.join(" + ") || "(nothing)";
    const batch =
      m.merged.length > 1
        ? `  ← one batch: disjoint files, merged one after another without re-testing`
        : "";
    const failed = m.failed ? `  (${m.failed.task} not merged: ${m.failed.reason})` : "";
    return `  ${i + 1}. ${what}${batch}${failed}`;
  });
  const tokens = tasks.reduce((n, t) => n + t.memory.tokens, 0);
  return [
    "",
    `Conveyor demo finished in ${r.seconds.toFixed(1)} s — ${tasks.filter((t) => t.stage === "done").length} of ${tasks.length} tasks merged, ${formatTokens(tokens)} tokens (replayed, offline).`,
    "",
    ...table,
    ...(escalated.length > 0 ? ["", ...escalated] : []),
    "",
    `Merges into ${r.base} (git merge --no-ff, one at a time):`,
    ...(merges.length > 0 ? merges : ["  (none)"]),
    "",
    "CHANGELOG.md, Unreleased:",
    ...r.changelog
      .trim()
      .split("\n")
      .map((l) => `  ${l}`),
    "",
    `The project is in ${r.dir} — try: cd ${r.dir} && git log --graph --oneline && cat TODO.md && ls .conveyor/reports/*`,
    "",
    "Run it for real on your own repository:",
    "  cd /path/to/your/repo",
    ...commented([
      [`${NPX} init`, ".github/conveyor.yml, TODO.md & co, workflow templates"],
      ["$EDITOR TODO.md", "one task per line: - [high] Title"],
      ["export ANTHROPIC_API_KEY=sk-ant-…", "or agent.runner: command in .github/conveyor.yml"],
      [`${NPX} run`, "Ctrl-C stops cleanly; run again to resume"],
    ]),
    "",
  ].join("\n");
}

/** Shell lines with their comments aligned. */
function commented(lines: [string, string][]): string[] {
  const width = Math.max(...lines.map(([cmd]) => cmd.length));
  return lines.map(([cmd, note]) => `  ${cmd.padEnd(width)}  # ${note}`);
}

/** The `## [Unreleased]` section of a changelog, heading included. */
export function unreleasedOf(changelog: string): string {
  const lines = changelog.split("\n");
  const start = lines.findIndex((l) => /^##\s+\[?unreleased\]?/i.test(l));
  if (start < 0) return "(no Unreleased section)";
  let end = start + 1;
  while (end < lines.length && !/^##\s/.test(lines[end]!)) end++;
  return lines.slice(start, end).join("\n");
}
