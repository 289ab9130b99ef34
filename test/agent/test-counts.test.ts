import { describe, expect, it } from "vitest";
import { countTests, testsInOutput } from "../../src/agent/test-counts.js";

describe("test counts from a runner's summary", () => {
  it.each([
    ["node:test spec", "✔ a\n✖ b\nℹ tests 14\nℹ suites 0\nℹ pass 12\nℹ fail 2\n", 2, 14],
    ["TAP", "ok 1 - a\n1..14\n# tests 14\n# pass 14\n# fail 0\n", 0, 14],
    ["jest", "Tests:       2 failed, 1 skipped, 12 passed, 15 total\nTime: 1s\n", 2, 15],
    ["vitest", " Test Files  1 failed (1)\n      Tests  2 failed | 12 passed (14)\n", 2, 14],
    [
      "vitest, coloured",
      "\u001b[2m      Tests \u001b[22m \u001b[1m\u001b[32m3 passed\u001b[39m\u001b[22m\u001b[90m (3)\u001b[39m\n",
      0,
      3,
    ],
    ["mocha", "  12 passing (20ms)\n  2 failing\n", 2, 14],
    ["ava", "  ✘ a\n  2 tests failed\n  1 known failure\n", 2, 2],
    ["ava, passing", "  12 tests passed\n", 0, 12],
    ["pytest", "===== 2 failed, 12 passed in 0.12s =====\n", 2, 14],
    [
      "cargo",
      "test result: ok. 3 passed; 0 failed; 0 ignored\ntest result: FAILED. 4 passed; 1 failed; 0 ignored\n",
      1,
      8,
    ],
  ])("%s", (_name, output, failed, total) => {
    expect(testsInOutput(output)).toEqual({ failed, total });
  });

  it("knows nothing from output without a summary", () => {
    expect(testsInOutput("Error: cannot find module\n")).toBeUndefined();
  });

  it("counts commands when a runner's counts are unknown; a failed command with no failing test fails", () => {
    expect(
      countTests([
        { output: "# tests 3\n# pass 3\n# fail 0\n", failed: false },
        { output: "segfault", failed: true },
      ]),
    ).toEqual({ failed: 1, total: 2, unit: "commands" });
    expect(
      countTests([
        { output: "# tests 3\n# pass 3\n# fail 0\n", failed: true },
        { output: "  4 passing\n  1 failing\n", failed: true },
      ]),
    ).toEqual({ failed: 2, total: 8, unit: "tests" });
    expect(countTests([])).toBeUndefined();
  });
});
