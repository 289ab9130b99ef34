import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // One build of the CLI per run: the local end-to-end tests start agents from it.
    globalSetup: ["test/support/agent-bundle.setup.ts"],
  },
});
