import { defineConfig } from "vitest/config";

// The core's tests, for mutation testing (stryker.config.mjs): fewer property runs per
// mutant, the same rules.
process.env.PROPERTY_RUNS ??= "3";

export default defineConfig({
  test: {
    include: ["test/core/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
