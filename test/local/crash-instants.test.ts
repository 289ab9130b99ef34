import * as fs from "node:fs";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import type { Effect } from "../../src/core/effects.js";
import { Supervisor } from "../../src/local/agents/supervisor.js";
import { loadBoard } from "../../src/local/board/load-board.js";
import { mergeBatch } from "../../src/local/git/merge-batch.js";
import type { LocalRepo } from "../../src/local/repo/local-repo.js";
import { executeEffects } from "../../src/local/run/execute-effects.js";
import { repairRepo } from "../../src/local/run/run-loop.js";
import { cleanup, gitSync, makeRepo, openRepo } from "./temp-repo.js";

/**
 * A SIGKILL can stop `conveyor run` between any two of its writes, or inside one (a file
 * opened and truncated, its text not yet written). These tests stop the executor at each
 * file write in turn — the write is cut off (the target left empty) and nothing after it
 * runs — then load the board as a resumed run would: no task may ever be missing.
 */
const crash = vi.hoisted(() => {
  const c = {
    at: 0,
    count: 0,
    hit: false,
    /** Kill points in git commands too, and in file writes only the merge's (the merge tests). */
    git: false,
    /** Counts one kill point; true when the crash hits there. */
    step: (): boolean => {
      if (c.at === 0) return false;
      c.count++;
      if (c.count !== c.at) return false;
      c.hit = true;
      return true;
    },
  };
  return c;
});

vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs")>();
  const step = crash.step;
  const mergeOnly = (file: unknown) => crash.git && !/merging|CHANGELOG/.test(String(file));
  const writeFileSync: typeof real.writeFileSync = (file, data, options) => {
    if (!mergeOnly(file) && step()) {
      // Killed after open(O_TRUNC), before the text went out.
      real.writeFileSync(file, "");
      throw new Error(`simulated SIGKILL inside write #${crash.count}`);
    }
    return real.writeFileSync(file, data, options);
  };
  const renameSync: typeof real.renameSync = (from, to) => {
    if (!mergeOnly(to) && step())
      throw new Error(`simulated SIGKILL before rename #${crash.count}`);
    return real.renameSync(from, to);
  };
  const mocked = { ...real, writeFileSync, renameSync };
  return { ...mocked, default: mocked };
});

/**
 * Git commands that write (the merge's own, and the tracking commits) get three kill points:
 * before the command; inside it (git dies holding `.git/index.lock`: a merge has written the
 * work tree — changed and new files — but not the index nor MERGE_HEAD); and after it.
 */
vi.mock("../../src/local/git/git.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/local/git/git.js")>();
  const fs = await vi.importActual<typeof import("node:fs")>("node:fs");
  const path = await vi.importActual<typeof import("node:path")>("node:path");
  const writing = new Set(["merge", "checkout", "rm", "add", "commit", "reset"]);
  const git: typeof real.git = async (cwd, args, env) => {
    if (!crash.git || !writing.has(args[0] ?? "")) return real.git(cwd, args, env);
    const name = `git ${args[0]}`;
    if (crash.step()) throw new Error(`simulated SIGKILL before ${name} #${crash.count}`);
    if (crash.step()) {
      const gitDir = path.join(cwd, ".git");
      const index = path.join(gitDir, "index");
      const before = fs.readFileSync(index);
      if (args[0] === "merge" && !args.includes("--abort")) {
        await real.git(cwd, args, env);
        const after = fs.readFileSync(index);
        fs.writeFileSync(index, before);
        fs.writeFileSync(path.join(gitDir, "index.lock"), after.subarray(0, after.length >> 1));
        for (const f of ["MERGE_HEAD", "MERGE_MSG", "MERGE_MODE", "AUTO_MERGE"])
          fs.rmSync(path.join(gitDir, f), { force: true });
      } else {
        fs.writeFileSync(path.join(gitDir, "index.lock"), "");
      }
      throw new Error(`simulated SIGKILL inside ${name} #${crash.count}`);
    }
    const r = await real.git(cwd, args, env);
    if (crash.step()) throw new Error(`simulated SIGKILL after ${name} #${crash.count}`);
    return r;
  };
  return { ...real, git };
});

const now = new Date("2026-11-25T10:00:00.000Z");
let dir = "";
afterEach(() => {
  crash.at = 0;
  crash.git = false;
  if (dir) cleanup(dir);
  dir = "";
});

const supervisorOf = (repo: LocalRepo) =>
  new Supervisor({ layout: repo.layout, launcher: { command: "true", args: [] }, env: {} });

/** One pass of the executor with `effects`; a simulated crash ends it where it hits. */
async function pass(repo: LocalRepo, effects: Effect[] = []): Promise<void> {
  const loaded = await loadBoard(repo, { now, preflight: [] });
  if (loaded instanceof Error) throw loaded;
  const ctx = { repo, supervisor: supervisorOf(repo), emit: () => {}, now };
  await executeEffects(loaded, effects, ctx);
}

async function board(repo: LocalRepo) {
  const loaded = await loadBoard(repo, { now, preflight: [] });
  if (loaded instanceof Error) throw loaded;
  return loaded;
}

const move = (task: string, from: "todo" | "in-progress", to: "in-progress" | "review") =>
  ({ type: "set-stage", task, from, to, reason: "test" }) as const;

/**
 * T1..T3 numbered and committed; then, in one pass, a task written by hand gets its id (T4),
 * T1 moves to in-progress, T2 on to review and T3 is abandoned: three tracking files and
 * CHANGELOG.md change, tasks leave one file and enter another.
 */
async function crashedRepo(at: number): Promise<{ repo: LocalRepo; hit: boolean }> {
  dir = makeRepo({
    "TODO.md": "# TODO\n\n- [high] One\n- Two\n- Three\n",
    "CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n",
  });
  const repo = await openRepo(dir);
  await pass(repo);
  await pass(repo, [move("T2", "todo", "in-progress")]);
  fs.appendFileSync(`${dir}/TODO.md`, "- Four, written by hand\n");
  crash.count = 0;
  crash.hit = false;
  crash.at = at;
  try {
    await pass(repo, [
      move("T1", "todo", "in-progress"),
      move("T2", "in-progress", "review"),
      { type: "set-stage", task: "T3", from: "todo", to: "abandoned", reason: "test" },
      { type: "record-abandoned", task: "T3", title: "Three", reason: "not needed" },
    ]);
  } catch (e: unknown) {
    if (!crash.hit) throw e;
  }
  crash.at = 0;
  return { repo, hit: crash.hit };
}

describe("a crash at any instant of a pass's writes", () => {
  it("loses no task, numbers none twice, and the next pass leaves the files whole and committed", async () => {
    let hits = 0;
    for (let at = 1; ; at++) {
      const { repo, hit } = await crashedRepo(at);
      const after = await board(repo);
      const where = `crash at write #${at}`;
      expect(after.board.tasks.map((t) => `${t.id} ${t.title}`).sort(), where).toEqual([
        "T1 One",
        "T2 Two",
        "T3 Three",
        "T4 Four, written by hand",
      ]);
      expect(after.problems, where).toEqual([]);

      // The resumed run's first pass repairs the files: whole, consistent, committed.
      await pass(repo);
      const resumed = await board(repo);
      expect(
        resumed.board.tasks.map((t) => [t.id, t.stage]),
        where,
      ).toEqual(after.board.tasks.map((t) => [t.id, t.stage]));
      expect(resumed.assigned, where).toEqual([]);
      // CHANGELOG.md records the abandon exactly when the board has T3 abandoned.
      const abandoned = resumed.board.tasks.find((t) => t.id === "T3")?.stage === "abandoned";
      const changelog = fs.readFileSync(`${dir}/CHANGELOG.md`, "utf8");
      expect(changelog.includes("Abandoned T3: Three — not needed"), where).toBe(abandoned);
      expect(gitSync(dir, "status", "--porcelain"), where).toBe("");
      cleanup(dir);
      dir = "";
      if (!hit) break;
      hits++;
    }
    // Every write of the pass was a crash point once (a sanity check on the harness).
    expect(hits).toBeGreaterThanOrEqual(4);
  }, 120_000);
});

/**
 * Main with two task branches queued as one batch (disjoint files; each changes a file, adds
 * one, and T1 deletes one; both add a CHANGELOG entry), plus the user's own uncommitted work
 * that the merges do not touch. The merge pass is killed at the given kill point.
 */
let template: { dir: string; t1: string; t2: string; start: string } | undefined;

/** The repository before the merge pass, built once and copied for each kill point. */
async function mergeTemplate() {
  if (template) return template;
  const root = makeRepo({
    "TODO.md": "# TODO\n\n- One\n- Two\n",
    "CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n",
    "a.txt": "a\n",
    "b.txt": "b\n",
    "gone.txt": "to be deleted\n",
    "notes.txt": "the user's notes\n",
  });
  dir = root;
  const repo = await openRepo(root);
  await pass(repo);
  const branch = (name: string, files: Record<string, string | null>, entry: string) => {
    gitSync(root, "switch", "-q", "-c", name, "main");
    for (const [path, text] of Object.entries(files)) {
      if (text === null) fs.rmSync(`${root}/${path}`);
      else fs.writeFileSync(`${root}/${path}`, text);
    }
    fs.writeFileSync(
      `${root}/CHANGELOG.md`,
      `# Changelog\n\n## [Unreleased]\n\n### Added\n\n- ${entry}\n`,
    );
    gitSync(root, "add", "-A");
    gitSync(root, "commit", "-q", "-m", `work on ${name}`);
    const sha = gitSync(root, "rev-parse", "HEAD");
    gitSync(root, "switch", "-q", "main");
    return sha;
  };
  const t1 = branch("T1", { "a.txt": "A\n", "new-1.txt": "one\n", "gone.txt": null }, "One.");
  const t2 = branch("T2", { "b.txt": "B\n", "new-2.txt": "two\n" }, "Two.");
  await pass(repo); // the board notes the branches: settled and committed before the merge
  dir = "";
  template = { dir: root, t1, t2, start: gitSync(root, "rev-parse", "HEAD") };
  return template;
}

afterAll(() => {
  if (template) cleanup(template.dir);
});

async function crashedMerge(at: number) {
  const { t1, t2, start, dir: from } = await mergeTemplate();
  dir = fs.mkdtempSync(`${from}-copy-`);
  fs.cpSync(from, dir, { recursive: true });
  const repo = await openRepo(dir);
  // The user's work in progress, not the merges' business: it must come through untouched.
  fs.writeFileSync(`${dir}/notes.txt`, "the user's notes, edited\n");
  fs.writeFileSync(`${dir}/scratch.txt`, "untracked, the user's\n");
  const merge: Effect = {
    type: "merge",
    method: "merge",
    batch: [
      { task: "T1", sha: t1, branch: "T1" },
      { task: "T2", sha: t2, branch: "T2" },
    ],
    deleteBranch: true,
  };
  crash.count = 0;
  crash.hit = false;
  crash.at = at;
  crash.git = true;
  try {
    await pass(repo, [merge]);
  } catch (e: unknown) {
    if (!crash.hit) throw e;
  }
  crash.at = 0;
  crash.git = false;
  return { repo, hit: crash.hit, start, t1, t2 };
}

/** The merges on main's first-parent line since `start`, as the task branches they merged. */
function mergedSince(start: string, shas: Record<string, string>): string[] {
  const log = gitSync(dir, "log", "--first-parent", "--format=%P", `${start}..HEAD`);
  return log
    .split("\n")
    .filter((l) => l.trim() !== "")
    .reverse()
    .map((l) => {
      const second = l.split(" ")[1] ?? "(not a merge)";
      return Object.entries(shas).find(([, sha]) => sha === second)?.[0] ?? second;
    });
}

describe("a crash at any instant of a merge batch", () => {
  it("leaves main before or after each merge once repaired, and the user's own work untouched", async () => {
    let hits = 0;
    for (let at = 1; ; at++) {
      const { repo, hit, start, t1, t2 } = await crashedMerge(at);
      const where = `crash at kill point #${at}`;
      // What the next `conveyor run` does first, before it reads anything.
      expect(await repairRepo(repo, () => {}), where).toBeUndefined();
      const merged = mergedSince(start, { T1: t1, T2: t2 });
      expect([[], ["T1"], ["T1", "T2"]], where).toContainEqual(merged);
      expect(fs.existsSync(`${dir}/.git/MERGE_HEAD`), where).toBe(false);
      expect(fs.existsSync(`${dir}/.git/index.lock`), where).toBe(false);
      // Nothing half-merged: the only changes in the work tree are the user's.
      expect(gitSync(dir, "status", "--porcelain", "--untracked-files=all"), where).toBe(
        "M notes.txt\n?? scratch.txt",
      );
      expect(fs.readFileSync(`${dir}/notes.txt`, "utf8"), where).toBe("the user's notes, edited\n");
      expect(fs.readFileSync(`${dir}/scratch.txt`, "utf8"), where).toBe("untracked, the user's\n");

      // The next pass merges what is left, once.
      const left = [
        { task: "T1", branch: "T1", sha: t1, title: "One" },
        { task: "T2", branch: "T2", sha: t2, title: "Two" },
      ].filter((i) => !merged.includes(i.task));
      const out = await mergeBatch(dir, left, repo.gitEnv, repo.trackingPaths, repo.changelogPath);
      expect(out.failed, where).toBeUndefined();
      expect(mergedSince(start, { T1: t1, T2: t2 }), where).toEqual(["T1", "T2"]);
      expect(gitSync(dir, "show", "HEAD:a.txt"), where).toBe("A");
      expect(gitSync(dir, "show", "HEAD:new-2.txt"), where).toBe("two");
      expect(fs.existsSync(`${dir}/gone.txt`), where).toBe(false);
      const changelog = gitSync(dir, "show", "HEAD:CHANGELOG.md");
      expect(changelog.match(/- One\./g), where).toHaveLength(1);
      expect(changelog.match(/- Two\./g), where).toHaveLength(1);
      expect(gitSync(dir, "status", "--porcelain", "--untracked-files=all"), where).toBe(
        "M notes.txt\n?? scratch.txt",
      );
      cleanup(dir);
      dir = "";
      if (!hit) break;
      hits++;
    }
    // Kill points before, inside and after each merge and commit of both merges, at least.
    if (process.env.DEBUG_CRASH) console.log("hits", hits);
    expect(hits).toBeGreaterThanOrEqual(12);
  }, 240_000);
});
