import type { TestCount } from "../core/board.js";

/**
 * How many tests a test command ran and how many failed, read from the summary its runner
 * prints (node:test, TAP, jest, vitest, mocha, ava, pytest, cargo). Undefined when no known
 * summary is in the output: the caller then counts commands.
 */
export function testsInOutput(output: string): { failed: number; total: number } | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes.
  const text = output.replace(/\u001b\[[0-9;]*m/g, "");
  const last = (re: RegExp): RegExpExecArray | undefined => {
    let found: RegExpExecArray | undefined;
    for (const m of text.matchAll(new RegExp(re.source, `${re.flags.replace("g", "")}g`)))
      found = m as RegExpExecArray;
    return found;
  };
  const n = (s: string | undefined): number => (s === undefined ? 0 : Number(s));

  // node:test (spec reporter "ℹ tests 14", TAP "# tests 14") and other TAP producers.
  const tap = last(/^(?:ℹ|#) tests (\d+)$/m);
  if (tap) {
    const after = text.slice(tap.index);
    const fail = /^(?:ℹ|#) fail (\d+)$/m.exec(after);
    return { failed: n(fail?.[1]), total: n(tap[1]) };
  }
  // jest: "Tests:       2 failed, 1 skipped, 12 passed, 15 total"
  const jest = last(/^Tests:\s+(.*?)(\d+) total/m);
  if (jest) return { failed: n(/(\d+) failed/.exec(jest[1]!)?.[1]), total: n(jest[2]) };
  // vitest: " Tests  2 failed | 12 passed (14)"
  const vitest = last(/^\s*Tests\s+(.*?)\((\d+)\)\s*$/m);
  if (vitest) return { failed: n(/(\d+) failed/.exec(vitest[1]!)?.[1]), total: n(vitest[2]) };
  // cargo: one "test result:" line per test binary.
  const cargo = [...text.matchAll(/^test result: \w+\. (\d+) passed; (\d+) failed;/gm)];
  if (cargo.length > 0) {
    const failed = cargo.reduce((s, m) => s + n(m[2]), 0);
    return { failed, total: cargo.reduce((s, m) => s + n(m[1]), 0) + failed };
  }
  // pytest: "==== 2 failed, 12 passed in 0.12s ===="
  const pytest = last(/^=+ (.*\b(?:passed|failed)\b.*) in [\d.]+s\b.*=+$/m);
  if (pytest) {
    const failed =
      n(/(\d+) failed/.exec(pytest[1]!)?.[1]) + n(/(\d+) errors?/.exec(pytest[1]!)?.[1]);
    return { failed, total: failed + n(/(\d+) passed/.exec(pytest[1]!)?.[1]) };
  }
  // mocha: "  12 passing (20ms)" and "  2 failing"
  const passing = last(/^\s*(\d+) passing\b/m);
  if (passing) {
    const failed = n(last(/^\s*(\d+) failing\b/m)?.[1]);
    return { failed, total: n(passing[1]) + failed };
  }
  // ava: "  2 tests failed", "  12 tests passed" (either may be missing).
  const avaFailed = last(/^\s*(\d+) tests? failed\b/m);
  const avaPassed = last(/^\s*(\d+) tests? passed\b/m);
  if (avaFailed || avaPassed) {
    const failed = n(avaFailed?.[1]);
    return { failed, total: failed + n(avaPassed?.[1]) };
  }
  return undefined;
}

/**
 * One round of test commands as a count: tests when every command's runner said how many
 * it ran, else commands (a command that failed, or ran no test, is one failing command).
 */
export function countTests(
  runs: readonly { output: string; failed: boolean }[],
): TestCount | undefined {
  if (runs.length === 0) return undefined;
  const counts = runs.map((r) => testsInOutput(r.output));
  if (counts.every((c) => c !== undefined && c.total > 0)) {
    const known = counts as { failed: number; total: number }[];
    // A command that failed without a failing test (a crash after the summary) still fails.
    const failed = known.reduce((s, c, i) => s + Math.max(c.failed, runs[i]!.failed ? 1 : 0), 0);
    return { failed, total: known.reduce((s, c) => s + c.total, 0), unit: "tests" };
  }
  return { failed: runs.filter((r) => r.failed).length, total: runs.length, unit: "commands" };
}
