import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { CLI_BUNDLE_ENV, defaultLauncher } from "../../src/local/agents/agent-launcher.js";

// The test set-up points CLI_BUNDLE_ENV at a build of the CLI (faster starts); `npm run demo`
// has no such variable and starts agents from the sources: that path must exist.
describe("defaultLauncher from a checkout", () => {
  const saved = process.env[CLI_BUNDLE_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[CLI_BUNDLE_ENV];
    else process.env[CLI_BUNDLE_ENV] = saved;
  });

  it("starts the CLI's TypeScript entry point, which exists, through tsx", () => {
    delete process.env[CLI_BUNDLE_ENV];
    const launcher = defaultLauncher();
    const main = launcher.args.at(-1) ?? "";
    expect(main).toMatch(/src[/\\]cli[/\\]main\.ts$/);
    expect(existsSync(main)).toBe(true);
    expect(launcher.args).toContain("--import");
  });
});
