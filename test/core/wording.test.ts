import { describe, expect, it } from "vitest";
import type { Board, PullRequest, Task } from "../../src/core/board.js";
import { planCommand } from "../../src/core/commands.js";
import { plan } from "../../src/core/plan.js";
import { prName, thePr } from "../../src/core/wording.js";
import { board, config, lines, T0, task } from "../support/board-builder.js";

// The core words a task's pull request by what it is: GitHub's has a number, a local task's
// is its branch (no number, never "PR #0"); how to add a task follows the board's host.

const cfg = config();

/** A queued task whose tests passed on its head; `local`: its PR is a branch, no number. */
function queued(id: string, files: string[], local: boolean, pr: Partial<PullRequest> = {}): Task {
  const sha = `head${id}`.padEnd(40, "0");
  const t = task({
    id,
    stage: "merge-queue",
    pr: { changedFiles: files, ...pr },
    memory: {
      verdicts: {
        review: { role: "reviewer", value: "approve", sha, at: T0.toISOString() },
        test: { role: "tester", value: "pass", sha, at: T0.toISOString() },
      },
      stageSince: `2026-11-0${id.replace(/\D/g, "")}T00:00:00.000Z`,
    },
  });
  if (local) {
    delete t.pr!.number;
    t.pr!.branch = id;
  }
  return t;
}

const localBoard = (tasks: Task[]): Board => board(tasks, { host: "local" });

describe("a pull request is named by what it is", () => {
  it("prName / thePr: a number on GitHub, the branch locally", () => {
    expect(prName({ number: 12, branch: "conveyor/12-x" })).toBe("PR #12");
    expect(prName({ branch: "T3" })).toBe("branch T3");
    expect(thePr({ number: 12 })).toBe("the PR");
    expect(thePr({})).toBe("the branch");
  });

  it("a merged local branch finishes its task in the branch's name", () => {
    const p = plan(localBoard([queued("T3", ["a.ts"], true, { merged: true })]), cfg, T0);
    expect(lines(p.effects)).toContain("#T3: merge-queue -> done (branch T3 was merged)");
    const gh = plan(board([queued("3", ["a.ts"], false, { merged: true })]), cfg, T0);
    expect(lines(gh.effects)).toContain("#3: merge-queue -> done (PR #103 was merged)");
  });

  it("a conflict and a closed branch escalate in the branch's name", () => {
    const conflict = queued("T3", ["a.ts"], true, { mergeable: false });
    conflict.memory.attempts.merge = 1;
    expect(lines(plan(localBoard([conflict]), cfg, T0).effects)).toEqual([
      "#T3: escalate (branch T3 conflicts with the base branch (after 1 retry))",
    ]);
    const closed = queued("T4", ["a.ts"], true, { closed: true });
    expect(lines(plan(localBoard([closed]), cfg, T0).effects)).toEqual([
      "#T4: escalate (branch T4 was closed without merging)",
    ]);
  });

  it("a merge of local branches carries no PR number; a later one re-tests after the branch", () => {
    const b = localBoard([queued("T1", ["a.ts"], true), queued("T2", ["a.ts"], true)]);
    const p = plan(b, cfg, T0);
    const merge = p.effects.find((e) => e.type === "merge");
    expect(merge?.type === "merge" && merge.batch.map((m) => "pr" in m)).toEqual([false]);
    const text = lines(p.effects);
    expect(text[0]).toBe("merge #T1 (@ headT10) by merge");
    expect(text).toContain(
      "#T2: merge-queue -> testing (branch T1 merged first and touches a.ts: re-test on the new base)",
    );
    expect(text.join("\n")).not.toMatch(/PR #|PR 0|PR undefined/);
  });

  it("an unknown task is refused with the host's way to add one", () => {
    const retry = { kind: "retry" } as const;
    expect(planCommand(localBoard([]), "T42", retry, cfg, T0).reply).toBe(
      "T42 is not a Conveyor task (add it to TODO.md first).",
    );
    expect(planCommand(board([]), "42", retry, cfg, T0).reply).toBe(
      "#42 is not a Conveyor task (schedule it with the `conveyor:todo` label first).",
    );
  });
});
