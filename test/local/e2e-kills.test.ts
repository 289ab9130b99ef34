import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defaultLauncher } from "../../src/local/agents/agent-launcher.js";
import { loadBoard } from "../../src/local/board/load-board.js";
import { mergeJournalPath } from "../../src/local/git/merge-log.js";
import { cleanup, GIT_ENV, gitSync, makeRepo, openRepo } from "./temp-repo.js";

let dir = "";
/** What the runs printed, for the message of a failed expectation. */
let output = "";
let child: ChildProcess | undefined;
afterEach(() => {
  output = "";
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  child = undefined;
  if (dir) cleanup(dir);
  dir = "";
});

/**
 * A small package with its own test runner (`node --test`), as a user has it: the scripted
 * agent adds a module and its test per task (every role approves), the tester runs the
 * targeted tests for real.
 */
const AGENT = `#!/bin/sh
cat > /dev/null
n=$(git branch --show-current | tr -dc 0-9)
if [ ! -f src/m$n.js ]; then
  printf 'export const v%s = () => %s;\\n' $n $n > src/m$n.js
  cat > test/m$n.test.js <<EOF
import { test } from "node:test";
import assert from "node:assert";
import { v$n } from "../src/m$n.js";
test("v$n", () => assert.equal(v$n(), $n));
EOF
fi
echo '{"summary":"ok","verdict":"approve"}'
`;

const CONFIG = `agent:
  runner: command
  command: "sh scripts/agent.sh"
tests:
  rules:
    - glob: "test/*.test.js"
      command: "node --test {files}"
merge:
  batchWindowSeconds: 2
`;

/** Hand-written, with lines Conveyor cannot read as tasks (they must survive every pass). */
const TODO = `# TODO

Some notes of mine about this backlog, in prose.

<!-- team: ask before adding modules -->

- [high] Add module one
- [medium] Add module two
- [urgent] a priority Conveyor does not know

### Someday

Ideas that are not tasks yet.
`;

const UNREADABLE = [
  "Some notes of mine about this backlog, in prose.",
  "- [urgent] a priority Conveyor does not know",
];

/** Everything in TODO.md that is not a task: kept once each, in this order, whatever happens. */
const USERS = [
  "Some notes of mine about this backlog, in prose.",
  "<!-- team: ask before adding modules -->",
  "- [urgent] a priority Conveyor does not know",
  "### Someday",
  "Ideas that are not tasks yet.",
];

function expectUserLinesKept(todo: string): void {
  const lines = todo.split("\n");
  expect(
    lines.filter((l) => USERS.includes(l)),
    todo,
  ).toEqual(USERS);
}

function fixture(): string {
  const root = makeRepo({
    "package.json": `${JSON.stringify({ name: "tiny", type: "module", scripts: { test: "node --test" } }, null, 2)}\n`,
    "src/base.js": "export const base = () => 0;\n",
    "test/base.test.js":
      'import { test } from "node:test";\nimport assert from "node:assert";\nimport { base } from "../src/base.js";\ntest("base", () => assert.equal(base(), 0));\n',
    ".github/conveyor.yml": CONFIG,
    "scripts/agent.sh": AGENT,
    "TODO.md": TODO,
    "CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n",
  });
  // A commit hook that fails (it wants a terminal): Conveyor's commits must not depend on it.
  const hook = join(root, ".git", "hooks", "pre-commit");
  writeFileSync(hook, "#!/bin/sh\nexec < /dev/tty || exit 1\n");
  chmodSync(hook, 0o755);
  return root;
}

/** Starts `conveyor run --until-idle`; resolves with its exit code, or null when killed. */
function start(root: string): { exited: Promise<number | null>; proc: ChildProcess } {
  const launcher = defaultLauncher();
  const proc = spawn(
    launcher.command,
    [...launcher.args, "run", "--until-idle", "--plain", "--interval", "0.1"],
    { cwd: root, env: GIT_ENV, stdio: ["ignore", "pipe", "pipe"] },
  );
  child = proc;
  proc.stdout!.on("data", (d: Buffer) => {
    output += d.toString();
  });
  proc.stderr!.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const exited = once(proc, "exit").then(([code]) => code as number | null);
  return { exited, proc };
}

describe("end to end: a real package, random kills (inside merges too), a failing hook, a stale lock", () => {
  it("ends with every task merged or escalated, nothing the user wrote lost, and --until-idle returned", async () => {
    dir = fixture();
    let seed = 20261202;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const journal = mergeJournalPath((await openRepo(dir)).layout);
    const kills: string[] = [];
    let code: number | null = null;
    for (let round = 0; round < 8; round++) {
      if (round === 2) {
        // A git killed earlier left its lock behind.
        writeFileSync(join(dir, ".git", "index.lock"), "");
      }
      const { exited, proc } = start(dir);
      if (round < 4) {
        // Kill at a random instant, or the moment a merge is under way.
        const deadline = Date.now() + 1000 + random() * 4000;
        let inMerge = false;
        while (Date.now() < deadline && proc.exitCode === null) {
          if (existsSync(journal)) {
            inMerge = true;
            break;
          }
          await new Promise((r) => setTimeout(r, 5));
        }
        if (proc.exitCode === null) {
          proc.kill("SIGKILL");
          kills.push(inMerge ? "inside a merge" : "at random");
        }
      }
      code = await exited;
      if (code !== null) break;
    }
    // --until-idle returned on its own: idle (0) or blocked by escalations (1).
    expect(code, `kills: ${kills.join(", ")}\n${output}`).not.toBeNull();
    expect(kills.length).toBeGreaterThan(0);

    const repo = await openRepo(dir);
    const loaded = await loadBoard(repo, { now: new Date(), preflight: [] });
    if (loaded instanceof Error) throw loaded;
    const tasks = loaded.board.tasks;
    expect(tasks.map((t) => t.title).sort()).toEqual(["Add module one", "Add module two"]);
    for (const t of tasks)
      expect(
        t.stage === "done" || t.memory.escalation !== undefined,
        `${t.id} ${t.stage}\n${output}`,
      ).toBe(true);
    // Merged once each, main whole and its own tests green.
    const merges = gitSync(dir, "log", "--merges", "--first-parent", "--format=%s", "main");
    for (const t of tasks.filter((t) => t.stage === "done"))
      expect(merges.split("\n").filter((m) => m.startsWith(`Merge ${t.id}:`))).toHaveLength(1);
    expect(gitSync(dir, "status", "--porcelain")).toBe("");
    expect(existsSync(join(dir, ".git", "MERGE_HEAD"))).toBe(false);
    expect(existsSync(join(dir, ".git", "index.lock"))).toBe(false);
    gitSync(dir, "stash", "list"); // nothing stashed away either
    expect(gitSync(dir, "stash", "list")).toBe("");
    const test = spawn("node", ["--test"], { cwd: dir, stdio: "ignore" });
    expect((await once(test, "exit"))[0]).toBe(0);
    // Nothing the user wrote in TODO.md is lost or repeated, kills or not.
    expectUserLinesKept(readFileSync(join(dir, "TODO.md"), "utf8"));
    // The hook is still there, as the user left it.
    expect(readFileSync(join(dir, ".git", "hooks", "pre-commit"), "utf8")).toContain("/dev/tty");
  }, 240_000);

  it("keeps every line of TODO.md Conveyor cannot read, exactly once", async () => {
    dir = fixture();
    const { exited } = start(dir);
    expect(await exited, output).not.toBe(2);
    expect(gitSync(dir, "log", "--merges", "--first-parent", "--format=%s", "main")).toContain(
      "Merge T1",
    );
    const todo = readFileSync(join(dir, "TODO.md"), "utf8");
    for (const line of UNREADABLE) expect(todo.split(line).length - 1, line).toBe(1);
    expectUserLinesKept(todo);
  }, 240_000);
});
