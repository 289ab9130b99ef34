import { script } from "./script.js";
import type { ScriptedTurn } from "./turns.js";

/** A small repository for scripted sessions (the prompt-cache benchmark, demos). */
export const SAMPLE_REPO: Record<string, string> = {
  "package.json": `${JSON.stringify({ name: "sample", type: "module", scripts: { test: "node test.mjs" } }, null, 2)}\n`,
  "src/math.mjs": [
    "export const add = (a, b) => a - b;",
    "export const sub = (a, b) => a - b;",
    "export const mul = (a, b) => a * b;",
    "export function mean(xs) {",
    "  return xs.reduce(add, 0) / xs.length;",
    "}",
    "",
  ].join("\n"),
  "src/format.mjs": 'export const pct = (x) => (x * 100).toFixed(1) + "%";\n',
  "test.mjs": [
    'import { add, mean } from "./src/math.mjs";',
    "if (add(2, 3) !== 5) throw new Error('add');",
    "if (mean([1, 2, 3]) !== 2) throw new Error('mean');",
    "console.log('ok');",
    "",
  ].join("\n"),
  "CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n",
  "README.md": `# sample\n\n${"Some documentation line.\n".repeat(40)}`,
};

/** A 20-turn task session over SAMPLE_REPO: explore, edit, check, finish. */
export function twentyTurnScript(): ScriptedTurn[] {
  return script()
    .say("I'll start by looking at the repository layout.")
    .list(".")
    .view("README.md")
    .view("package.json")
    .search("add")
    .view("src/math.mjs")
    .view("test.mjs")
    .search("mean", { path: "src" })
    .say("add() subtracts; that also breaks mean().")
    .edit(
      "src/math.mjs",
      "export const add = (a, b) => a - b;",
      "export const add = (a, b) => a + b;",
    )
    .view("src/math.mjs", 1, 3)
    .bash("node --check src/math.mjs")
    .view("src/format.mjs")
    .search("pct", { regex: false })
    .search("sub(", {})
    .edit(
      "src/math.mjs",
      "export function mean(xs) {",
      "/** Arithmetic mean of a non-empty list. */\nexport function mean(xs) {",
    )
    .bash(
      "node -e \"import('./src/math.mjs').then(m => console.log(m.add(2, 3), m.mean([1, 2, 3])))\"",
    )
    .list("src")
    .edit(
      "CHANGELOG.md",
      "## [Unreleased]\n",
      "## [Unreleased]\n\n### Fixed\n\n- add() adds instead of subtracting\n",
    )
    .view("CHANGELOG.md")
    .bash("git status --short || true")
    .finish({
      summary: "add() now adds; mean() is right again.",
      found: "add subtracted",
      fixed: "a + b",
    })
    .turns();
}
