/**
 * `npm run bench`: runs every `bench/*.bench.ts` (or the ones named on the command line)
 * and prints their figures. Benchmarks measure; they never fail on a number.
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();

for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as {
    default?: () => Promise<void> | void;
  };
  console.log(`\n== ${file.replace(/\.bench\.ts$/, "")} ==`);
  if (typeof mod.default !== "function") {
    console.log("(no default export to run)");
    continue;
  }
  await mod.default();
}
