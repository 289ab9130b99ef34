import { defineConfig } from "vitest/config";

/** `npm run test:contract`: the bundled app and Action against GitHub's published descriptions. */
export default defineConfig({
  test: {
    include: ["test/contract/**/*.contract.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: "forks",
    // One file at a time: each boots processes of its own.
    fileParallelism: false,
  },
});
