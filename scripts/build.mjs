// Bundles the Action (dist/index.js), the CLI (dist/cli.js) and the GitHub App server
// (dist/app.js, `npm start`) with esbuild: ESM for Node 20,
// CommonJS dependencies loaded through a createRequire banner. Deterministic (same sources,
// same bytes) and without source maps, so CI can rebuild and compare with `git diff`.

import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const banner =
  'import { createRequire as __conveyorCreateRequire } from "node:module";\n' +
  "const require = __conveyorCreateRequire(import.meta.url);";

const entries = [
  { in: "src/action/main.ts", out: "dist/index.js" },
  { in: "src/cli/main.ts", out: "dist/cli.js" },
  { in: "src/app/server.ts", out: "dist/app.js" },
];

for (const entry of entries) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry.in],
    outfile: entry.out,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    banner: { js: banner },
    minify: true,
    legalComments: "none",
    sourcemap: false,
    metafile: true,
    logLevel: "warning",
  });
  const bytes = result.metafile.outputs[entry.out]?.bytes ?? 0;
  console.log(`${entry.out}: ${(bytes / 1024).toFixed(0)} KiB`);
}
