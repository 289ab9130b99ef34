import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** How the supervisor starts `conveyor agent --job <file>`: a program and its first args. */
export interface AgentLauncher {
  command: string;
  args: string[];
}

/**
 * Running from the sources, a bundle of the CLI to start agents from instead of tsx (the test
 * run builds one: test/support/agent-bundle.setup.ts). Ignored by the built CLI.
 */
export const CLI_BUNDLE_ENV = "CONVEYOR_DEV_CLI_BUNDLE";

/**
 * `conveyor` itself, run by the same Node: the TypeScript sources through tsx's loader when
 * running from a checkout (`npm run demo`), or the built JavaScript (`dist/cli.js`).
 */
export function defaultLauncher(): AgentLauncher {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith(".ts")) {
    const bundle = process.env[CLI_BUNDLE_ENV];
    if (bundle?.endsWith(".js") && existsSync(bundle))
      return { command: process.execPath, args: [bundle] };
    const main = join(dirname(here), "..", "..", "cli", "main.ts");
    const require = createRequire(import.meta.url);
    const tsxDir = dirname(require.resolve("tsx/package.json"));
    const loader = join(tsxDir, "dist", "loader.mjs");
    return {
      command: process.execPath,
      args: ["--import", pathToFileURL(loader).href, main],
    };
  }
  // Compiled: either beside the sources (dist of tsc), or this file IS the bundled CLI.
  const main = join(dirname(here), "..", "..", "cli", "main.js");
  return { command: process.execPath, args: [existsSync(main) ? main : here] };
}
