import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The npm name Conveyor is published under: `npx @conveyor-dev/conveyor <command>`. */
export const PACKAGE_NAME = "@conveyor-dev/conveyor";

/** How a user runs the CLI without installing it first; every hint Conveyor prints uses it. */
export const NPX = `npx ${PACKAGE_NAME}`;

interface Manifest {
  name?: string;
  version?: string;
}

/** The folder of Conveyor's own package.json, from the sources or the bundle alike. */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string | undefined {
  let dir = dirname(from);
  for (let i = 0; i < 8; i++) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && readManifest(manifest)?.name === PACKAGE_NAME) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/** The version in Conveyor's package.json ("unknown" if the installation lost it). */
export function packageVersion(): string {
  const root = packageRoot();
  return (root && readManifest(join(root, "package.json"))?.version) || "unknown";
}

function readManifest(path: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Manifest;
  } catch {
    return undefined;
  }
}
