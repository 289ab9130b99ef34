import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { plan } from "../../src/core/plan.js";
import { executeEffects } from "../../src/local/execute-effects.js";
import { loadBoard } from "../../src/local/load-board.js";
import { Supervisor } from "../../src/local/supervisor.js";
import { cleanup, gitSync, makeRepo, openRepo } from "./temp-repo.js";

const now = new Date("2026-11-25T10:00:00.000Z");
let dir = "";
afterEach(() => {
  if (dir) cleanup(dir);
  dir = "";
});

/**
 * One pass of `conveyor run`: load, plan, execute. A dispatch writes the files before it
 * and again at the end of the pass, so one pass may rewrite a file several times.
 */
async function planAndRun(d: string) {
  const repo = await openRepo(d);
  const loaded = await loadBoard(repo, { now, preflight: [] });
  if (loaded instanceof Error) throw loaded;
  const supervisor = new Supervisor({
    layout: repo.layout,
    launcher: { command: "true", args: [] },
    env: {},
  });
  const planned = plan(loaded.board, repo.config, now);
  await executeEffects(loaded, planned.effects, { repo, supervisor, emit: () => {}, now });
  await supervisor.stopAll();
  return loaded;
}

const split = (text: string) => text.replace(/\r\n?/g, "\n").split("\n");

/** The lines the loader reports it cannot read, as written in `files` (in file order). */
function unreadable(loaded: Awaited<ReturnType<typeof planAndRun>>, path: string): string[] {
  const lines = split(loaded.files[path] ?? "");
  return loaded.problems
    .filter((p) => p.file === path && p.keep !== false)
    .sort((a, b) => a.line - b.line)
    .map((p) => lines[p.line - 1]!);
}

/** True when `sub` is a subsequence of `all` (in order, each element used once). */
function isSubsequence(sub: string[], all: string[]): boolean {
  let i = 0;
  for (const line of all) if (i < sub.length && line === sub[i]) i++;
  return i === sub.length;
}

const KEPT_NOTE =
  "<!-- Conveyor could not read the lines below (see `conveyor status`); they are kept as written. -->";

const count = (lines: string[], line: string) => lines.filter((l) => l === line).length;

describe("lines Conveyor cannot read", () => {
  it("are kept once, in order, through passes that write the files more than once", async () => {
    dir = makeRepo({
      "TODO.md": "# TODO\n\n- [high] Fix the thing\nsome stray prose\n- [urgent] Other\n",
    });
    for (let i = 0; i < 3; i++) await planAndRun(dir);
    const todo = readFileSync(join(dir, "TODO.md"), "utf8");
    const lines = todo.split("\n");
    expect(lines.filter((l) => l === "some stray prose")).toHaveLength(1);
    expect(lines.filter((l) => l === "- [urgent] Other")).toHaveLength(1);
    expect(lines.indexOf("some stray prose")).toBeLessThan(lines.indexOf("- [urgent] Other"));
    expect(lines.length).toBeLessThan(20);
    // What was committed on main is the same text.
    expect(gitSync(dir, "show", "HEAD:TODO.md")).toBe(todo.trimEnd());
  });

  const line = fc.oneof(
    fc.constantFrom(
      "- [high] Fix a",
      "- Plain task",
      "- [urgent] Bad priority",
      "- (priority: soon) Bad paren",
      "some prose",
      "  indented stray",
      "  - Location: a.ts",
      "  - PR: soon",
      "  - PR: #3",
      "  body text",
      "> a quote",
      "",
      "# Heading",
      "## Merge queue",
      "<!-- a note -->",
      "---",
      "_No tasks._",
      "- **T1** [low] Named",
      "- T2: plain id",
      "- **a/b** bad id",
      "1. numbered",
      "- [x] done",
      "- [ ] open",
      "-",
      " - [urgent] lead space",
      "* star",
    ),
    fc.string({ maxLength: 12 }).map((s) => s.replace(/[\r\n]/g, " ")),
  );
  const content = fc.array(line, { maxLength: 12 }).map((ls) => ls.join("\n"));

  it("any content, any number of passes: each unreadable line kept once, in order; no growth (property)", async () => {
    await fc.assert(
      fc.asyncProperty(content, content, fc.integer({ min: 2, max: 4 }), async (todo, wip, n) => {
        dir = makeRepo({ "TODO.md": todo, "IN_PROGRESS.md": wip });
        try {
          const first = await planAndRun(dir);
          const wanted = {
            "TODO.md": unreadable(first, "TODO.md"),
            "IN_PROGRESS.md": unreadable(first, "IN_PROGRESS.md"),
          };
          const original = { "TODO.md": split(todo), "IN_PROGRESS.md": split(wip) };
          let after: Record<string, string[]> = {};
          for (let pass = 1; pass <= n; pass++) {
            const texts = {
              "TODO.md": readFileSync(join(dir, "TODO.md"), "utf8"),
              "IN_PROGRESS.md": readFileSync(join(dir, "IN_PROGRESS.md"), "utf8"),
            };
            for (const [path, text] of Object.entries(texts)) {
              const lines = split(text);
              const want = wanted[path as keyof typeof wanted];
              expect(isSubsequence(want, lines)).toBe(true);
              for (const w of want) {
                expect(count(lines, w)).toBeGreaterThanOrEqual(count(want, w));
                expect(count(lines, w)).toBeLessThanOrEqual(
                  count(original[path as keyof typeof original], w),
                );
              }
            }
            // From the first pass on, the kept block is the same text: nothing is added to it,
            // and the rest of each file holds only the rendered tasks.
            const blocks = Object.fromEntries(
              Object.entries(texts).map(([path, text]) => {
                const lines = split(text);
                expect(count(lines, KEPT_NOTE)).toBeLessThanOrEqual(1);
                expect(lines.length).toBeLessThan(10 + 8 * original[path as "TODO.md"].length);
                const at = lines.indexOf(KEPT_NOTE);
                return [path, at < 0 ? [] : lines.slice(at + 1)];
              }),
            );
            if (pass > 1) expect(blocks).toEqual(after);
            after = blocks;
            if (pass < n) await planAndRun(dir);
          }
        } finally {
          cleanup(dir);
          dir = "";
        }
      }),
      { numRuns: 8 },
    );
  }, 120_000);
});
