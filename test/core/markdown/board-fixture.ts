import {
  type Board,
  emptyMemory,
  emptyRepoMemory,
  type Task,
  type TaskMemory,
} from "../../../src/core/board.js";

/** A task with defaults; `memory` fields merge over an empty memory. */
export function task(
  id: string,
  fields: Partial<Omit<Task, "memory">> & { memory?: Partial<TaskMemory> } = {},
): Task {
  const { memory, ...rest } = fields;
  return {
    id,
    title: `Task ${id}`,
    priority: "medium",
    stage: "todo",
    createdAt: "2026-11-01T10:00:00Z",
    locations: [],
    ...rest,
    memory: { ...emptyMemory(), ...memory },
  };
}

export function board(tasks: Task[]): Board {
  return {
    repo: "acme/widgets",
    tasks,
    runs: {},
    results: {},
    preflight: [],
    repoMemory: emptyRepoMemory(),
  };
}

export const pr = (number: number, branch: string) => ({
  number,
  branch,
  headSha: "abc123",
  changedFiles: [],
  merged: false,
  mergeable: true,
});

/** A small realistic board: backlog, a retry, an escalation, a review, testing, a queue of two. */
export const realisticBoard = (): Board =>
  board([
    task("T1", {
      title: "Fix the login redirect loop",
      priority: "critical",
      createdAt: "2026-11-02T09:00:00Z",
      locations: ["src/auth/login.ts"],
      body: "Users bounce between /login and /home.\n\n- Steps: log in with SSO\n# not a heading",
    }),
    task("T2", {
      title: "Add a --json flag to the CLI",
      priority: "high",
      locations: ["src/cli.ts", "src/format.ts"],
    }),
    task("T5", { title: "Write the FAQ", priority: "low", createdAt: "2026-10-01T00:00:00Z" }),
    task("T4", {
      title: "Document the config",
      priority: "high",
      createdAt: "2026-11-03T00:00:00Z",
    }),
    task("T3", {
      title: "Cache the board between reconciles",
      stage: "in-progress",
      priority: "high",
      branch: "T3",
      memory: { attempts: { task: 1, reviewer: 0, tester: 0, merge: 0 }, lastFailure: "timed out" },
    }),
    task("T6", {
      title: "Rewrite the scheduler",
      stage: "in-progress",
      memory: {
        attempts: { task: 2, reviewer: 0, tester: 0, merge: 0 },
        escalation: {
          reason: "task agent failed twice: tests do not compile",
          at: "2026-11-04T00:00:00Z",
          stage: "in-progress",
        },
      },
    }),
    task("12", {
      title: "Retry merges on 405",
      stage: "review",
      pr: pr(40, "conveyor/12-retry-merges"),
      memory: {
        feedback: "The approach is wrong: re-read the PR instead of retrying.\nSecond line.",
      },
    }),
    task("T7", { title: "Target tests by changed file", stage: "testing", pr: pr(41, "T7") }),
    task("T8", {
      title: "Bump zod",
      stage: "merge-queue",
      pr: pr(42, "T8"),
      memory: { stageSince: "2026-11-05T12:00:00Z" },
    }),
    task("T9", {
      title: "Fix the typo in README",
      stage: "merge-queue",
      priority: "high",
      pr: pr(43, "T9"),
      memory: { stageSince: "2026-11-05T13:00:00Z" },
    }),
    task("T10", { title: "Old thing", stage: "done" }),
    task("T11", { title: "Dropped thing", stage: "abandoned" }),
  ]);
