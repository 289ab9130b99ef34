import picomatch from "picomatch";
import { shellQuote } from "../core/agent-presets.js";
import type { Config } from "../core/config.js";

export { shellQuote };

/**
 * Chooses the test commands aimed at the changed files, failing closed:
 * 1. config rules (glob → command with `{files}`);
 * 2. the conventions of the repository's runner for the changed files: vitest / jest related
 *    files, node:test / ava / mocha on the related test files, pytest, `go test` of the
 *    changed packages, `cargo test`;
 * 3. the tests related to the changed files by name or by import, run with the runner;
 * 4. the project's own test command (`tests.fallback`, package.json `test`, pytest,
 *    `go test ./...`, `cargo test`);
 * 5. nothing, said as such (the tester then reports that no tests ran: never a pass).
 * Pure: the caller passes what it read of the repository.
 */
export interface RepoFacts {
  /** Parsed package.json, if any. */
  packageJson?: {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
    scripts?: Record<string, string>;
  };
  exists: (path: string) => boolean;
  /** Tracked files of the repository (for related tests); default none. */
  files?: string[];
  /** Reads a tracked file (for imports of a changed module); undefined when unreadable. */
  read?: (path: string) => string | undefined;
}

export type SelectionBasis = "rule" | "convention" | "related" | "fallback" | "none";

export interface TestSelection {
  commands: string[];
  basis: SelectionBasis;
  /** Plain words: how the commands were chosen (for the report). */
  note: string;
}

const JS = /\.(c|m)?(j|t)sx?$/;
const JS_TEST =
  /(^|\/)(__tests__\/.*|.*[.-](test|spec)\.(c|m)?(j|t)sx?)$|(^|\/)tests?\/.*\.(c|m)?(j|t)sx?$/;
const PY_TEST = /(^|\/)(test_[^/]*\.py|[^/]*_test\.py)$/;
/** npm's placeholder `test` script. */
const NO_TEST_SCRIPT = /no test specified/;

export function selectTestCommands(
  changed: string[],
  rules: Config["tests"]["rules"],
  repo: RepoFacts,
): string[] {
  return selectTests(changed, { rules }, repo).commands;
}

export function selectTests(
  changed: string[],
  tests: Pick<Config["tests"], "rules"> & { fallback?: string | undefined },
  repo: RepoFacts,
): TestSelection {
  const present = changed.filter((f) => repo.exists(f));
  const byRule: string[] = [];
  for (const rule of tests.rules) {
    const isMatch = picomatch(rule.glob, { dot: true });
    const files = present.filter((f) => isMatch(f));
    if (files.length > 0)
      byRule.push(rule.command.replaceAll("{files}", files.map(shellQuote).join(" ")));
  }
  if (byRule.length > 0)
    return { commands: byRule, basis: "rule", note: "selected by the tests.rules of the config" };

  const runner = jsRunner(repo);
  const convention: string[] = [];
  const related: string[] = [];
  const js = present.filter((f) => JS.test(f));
  if (js.length > 0 && runner === "vitest")
    convention.push(`npx vitest related --run ${js.map(shellQuote).join(" ")}`);
  else if (js.length > 0 && runner === "jest")
    convention.push(`npx jest --findRelatedTests ${js.map(shellQuote).join(" ")}`);
  else if (js.length > 0) {
    const files = relatedTests(js, repo, JS_TEST);
    if (files.length > 0)
      related.push(`${jsRunCommand(runner)} ${files.map(shellQuote).join(" ")}`);
  }

  const py = new Set<string>();
  const pyChanged = present.filter((p) => p.endsWith(".py"));
  for (const f of pyChanged) {
    const base = f.split("/").pop()!;
    if (PY_TEST.test(f)) {
      py.add(f);
      continue;
    }
    const module = base.replace(/\.py$/, "");
    for (const candidate of [`tests/unit/test_${module}.py`, `tests/test_${module}.py`])
      if (repo.exists(candidate)) py.add(candidate);
  }
  if (py.size > 0)
    convention.push(`python3 -m pytest -q ${[...py].sort().map(shellQuote).join(" ")}`);
  else if (pyChanged.length > 0) {
    const files = relatedTests(pyChanged, repo, PY_TEST);
    if (files.length > 0) related.push(`python3 -m pytest -q ${files.map(shellQuote).join(" ")}`);
  }

  const goDirs = [
    ...new Set(
      present
        .filter((f) => f.endsWith(".go"))
        .map((f) => f.split("/").slice(0, -1).join("/") || "."),
    ),
  ].sort();
  if (goDirs.length > 0 && repo.exists("go.mod"))
    convention.push(
      `go test ${goDirs.map((d) => shellQuote(d === "." ? "." : `./${d}`)).join(" ")}`,
    );
  if (present.some((f) => f.endsWith(".rs")) && repo.exists("Cargo.toml"))
    convention.push("cargo test");

  if (convention.length > 0 || related.length > 0)
    return {
      commands: [...convention, ...related],
      basis: convention.length > 0 ? "convention" : "related",
      note:
        convention.length > 0
          ? "selected by the test runner's conventions for the changed files"
          : "the tests related to the changed files (by name or import)",
    };

  const fallback = projectTestCommand(tests.fallback, repo);
  if (fallback)
    return {
      commands: [fallback.command],
      basis: "fallback",
      note: `no test is aimed at the changed files, so the project's own test command ran (${fallback.why})`,
    };
  return {
    commands: [],
    basis: "none",
    note: "no test rule, runner convention or related test matched the changed files, and the project has no test command (set tests.fallback)",
  };
}

type JsRunner = "vitest" | "jest" | "ava" | "mocha" | "node";

function jsRunner(repo: RepoFacts): JsRunner {
  const deps = { ...repo.packageJson?.dependencies, ...repo.packageJson?.devDependencies };
  const script = repo.packageJson?.scripts?.test ?? "";
  if (deps.vitest) return "vitest";
  if (deps.jest) return "jest";
  if (deps.ava) return "ava";
  if (deps.mocha) return "mocha";
  if (/\bvitest\b/.test(script)) return "vitest";
  if (/\bjest\b/.test(script)) return "jest";
  if (/\bava\b/.test(script)) return "ava";
  if (/\bmocha\b/.test(script)) return "mocha";
  return "node";
}

function jsRunCommand(runner: JsRunner): string {
  switch (runner) {
    case "ava":
      return "npx ava";
    case "mocha":
      return "npx mocha";
    default:
      return "node --test";
  }
}

/**
 * Test files related to the changed files: changed tests themselves, tests named after a
 * changed module (`math.test.js`, `test_math.py`, `math_test.go`), and tests whose imports
 * name it.
 */
export function relatedTests(changed: string[], repo: RepoFacts, isTest: RegExp): string[] {
  const out = new Set<string>();
  const tests = (repo.files ?? []).filter((f) => isTest.test(f) && repo.exists(f));
  for (const f of changed) {
    if (isTest.test(f)) {
      out.add(f);
      continue;
    }
    const module = f
      .split("/")
      .pop()!
      .replace(/\.[^.]+$/, "");
    if (module === "" || module === "index" || module === "__init__") continue;
    const named = new RegExp(
      `(^|[/._-])(test_)?${escapeRe(module)}([._-](test|spec))?(_test)?\\.[a-z]+$`,
    );
    const imported = new RegExp(
      `(from|import|require\\()\\s*['"(]?[^'"\\n]*\\b${escapeRe(module)}(\\.[a-z]+)?['")]?`,
    );
    for (const t of tests) {
      if (named.test(t)) out.add(t);
      else if (imported.test(repo.read?.(t) ?? "")) out.add(t);
    }
  }
  return [...out].sort();
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The project's own test command, if it has one. */
export function projectTestCommand(
  fallback: string | undefined,
  repo: RepoFacts,
): { command: string; why: string } | undefined {
  if (fallback) return { command: fallback, why: "tests.fallback" };
  const script = repo.packageJson?.scripts?.test;
  if (script && !NO_TEST_SCRIPT.test(script))
    return { command: "npm test", why: "package.json test" };
  const files = repo.files ?? [];
  if (
    repo.exists("pytest.ini") ||
    repo.exists("conftest.py") ||
    /\[tool\.pytest/.test(repo.read?.("pyproject.toml") ?? "") ||
    files.some((f) => PY_TEST.test(f))
  )
    return { command: "python3 -m pytest -q", why: "pytest" };
  if (repo.exists("go.mod")) return { command: "go test ./...", why: "go.mod" };
  if (repo.exists("Cargo.toml")) return { command: "cargo test", why: "Cargo.toml" };
  return undefined;
}

/**
 * True when a test command's output says it ran no test at all (an exit 0 that proves
 * nothing): node:test `tests 0`, mocha `0 passing`, jest/vitest "No tests found",
 * go `[no test files]` only, cargo `running 0 tests` only.
 */
export function ranNoTests(output: string): boolean {
  if (/^(ℹ |# )tests 0$/m.test(output)) return true;
  if (/^\s*0 passing\b/m.test(output) && !/\b[1-9]\d* failing\b/.test(output)) return true;
  if (/No tests found|No test files found|no tests ran|collected 0 items/i.test(output))
    return true;
  if (/\[no test files\]/.test(output) && !/^(ok|FAIL|---)\s/m.test(output)) return true;
  const cargo = [...output.matchAll(/^running (\d+) tests?$/gm)].map((m) => Number(m[1]));
  if (cargo.length > 0 && cargo.every((n) => n === 0)) return true;
  return false;
}
