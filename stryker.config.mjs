// Mutation testing of the pure core (`npm run mutate`): StrykerJS with its vitest runner,
// over the core's tests only. Slow (minutes per file on a small machine), so not in
// `npm test`; `npm run mutate -- --mutate src/core/plan.ts` narrows it to one file.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutate.config.ts", related: false },
  mutate: ["src/core/**/*.ts", "!src/core/**/*.d.ts"],
  coverageAnalysis: "perTest",
  reporters: ["clear-text", "progress"],
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  thresholds: { high: 90, low: 85, break: null },
  concurrency: 1,
  timeoutMS: 60_000,
  tempDirName: ".stryker-tmp",
  cleanTempDir: true,
  ignorePatterns: ["dist", "bench", "docs", ".worktrees", "reports"],
};
