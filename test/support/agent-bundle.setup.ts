/**
 * vitest globalSetup: builds the CLI once per test run, so that the local end-to-end tests
 * start each agent process (`conveyor agent --job …`) from plain JavaScript instead of
 * through tsx on the sources (about 0.2 s a start instead of 1–2 s). The bundle lives under
 * node_modules/.cache (inside the package, so it finds Conveyor's package.json as dist/
 * does) and is removed when the run ends. `CONVEYOR_TEST_FROM_SOURCES=1` skips it.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { CLI_BUNDLE_ENV } from "../../src/local/agents/agent-launcher.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

export default async function setup(): Promise<(() => void) | undefined> {
  if (process.env.CONVEYOR_TEST_FROM_SOURCES === "1") return undefined;
  const cache = join(root, "node_modules", ".cache", "conveyor-test");
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, "cli-"));
  const outfile = join(dir, "cli.js");
  await build({
    absWorkingDir: root,
    entryPoints: ["src/cli/main.ts"],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    // CommonJS dependencies call require: give the ESM bundle one (as scripts/build.mjs does).
    banner: {
      js: 'import { createRequire as __conveyorCreateRequire } from "node:module";\nconst require = __conveyorCreateRequire(import.meta.url);',
    },
    sourcemap: "inline",
    logLevel: "warning",
  });
  process.env[CLI_BUNDLE_ENV] = outfile;
  return () => rmSync(dir, { recursive: true, force: true });
}
