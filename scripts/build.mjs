// Bundles the Action (dist/index.js), the CLI (dist/cli.js) and the GitHub App server
// (dist/app.js, `npm start`) with esbuild: ESM for Node 20, CommonJS dependencies loaded
// through a createRequire banner. Every dependency is bundled, so the published package has
// no runtime dependencies. Deterministic (same sources, same bytes), so CI can rebuild and
// compare with `git diff`:
// - a source map beside each bundle (`*.js.map`, mappings and names without the sources'
//   text; `node --enable-source-maps`, which bin/conveyor.js turns on, maps stack traces);
// - dist/THIRD_PARTY_LICENSES.txt: the name, version, licence and licence text of every
//   package bundled into any of the three files (minifying strips their notices).
//
// `node scripts/build.mjs --outdir <dir>` writes the same files elsewhere (tests, release).

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { outdir: { type: "string", default: "dist" } } });
const outdir = resolve(root, values.outdir);
const banner =
  'import { createRequire as __conveyorCreateRequire } from "node:module";\n' +
  "const require = __conveyorCreateRequire(import.meta.url);";

const entries = [
  { in: "src/action/main.ts", out: "index.js" },
  { in: "src/cli/main.ts", out: "cli.js" },
  { in: "src/app/server.ts", out: "app.js" },
];

mkdirSync(outdir, { recursive: true });
/** Folder (relative to the root) of every node_modules package any bundle took code from. */
const bundled = new Set();
for (const entry of entries) {
  const outfile = join(outdir, entry.out);
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry.in],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    banner: { js: banner },
    minify: true,
    legalComments: "none",
    sourcemap: "linked",
    sourcesContent: false,
    // Paths as seen from the package (a symlinked node_modules maps the same as a real one).
    preserveSymlinks: true,
    metafile: true,
    logLevel: "warning",
  });
  for (const input of Object.keys(result.metafile.inputs)) {
    const pkg = packageDirOf(input);
    if (pkg) bundled.add(pkg);
  }
  const out = result.metafile.outputs[relative(root, outfile)];
  console.log(`${relative(root, outfile)}: ${((out?.bytes ?? 0) / 1024).toFixed(0)} KiB`);
}
writeFileSync(join(outdir, "THIRD_PARTY_LICENSES.txt"), licences([...bundled]));
console.log(
  `${relative(root, join(outdir, "THIRD_PARTY_LICENSES.txt"))}: ${bundled.size} packages`,
);

/** `node_modules/@scope/name/lib/x.js` → `node_modules/@scope/name` (the innermost package). */
function packageDirOf(input) {
  const m = input.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//);
  return m ? m[1] : undefined;
}

function licences(dirs) {
  const seen = new Map();
  for (const dir of dirs) {
    const manifest = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8"));
    const key = `${manifest.name}@${manifest.version}`;
    if (seen.has(key)) continue;
    const licence =
      typeof manifest.license === "string"
        ? manifest.license
        : (manifest.license?.type ?? "see the package");
    const file = readdirSync(join(root, dir))
      .filter((f) => /^(licen[cs]e|copying|notice)(\.|$|-)/i.test(f))
      .sort()[0];
    const text = file ? readFileSync(join(root, dir, file), "utf8").trim() : undefined;
    seen.set(key, { name: manifest.name, version: manifest.version, licence, text });
  }
  const parts = [...seen.values()]
    .sort((a, b) => (a.name === b.name ? 0 : a.name < b.name ? -1 : 1))
    .map((p) =>
      [
        `${p.name} ${p.version}`,
        `License: ${p.licence}`,
        "",
        p.text ?? `(no licence file in the package; its package.json says ${p.licence})`,
      ].join("\n"),
    );
  return [
    "Third-party software bundled into dist/index.js, dist/cli.js and dist/app.js",
    "of Conveyor, with the licence each package ships.",
    "",
    ...parts.map((p) => `${"-".repeat(78)}\n${p}\n`),
  ].join("\n");
}
