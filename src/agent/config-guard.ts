import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Keeps the repository's git configuration and hooks as they were before the agent ran: its
 * shell could add a filter, a credential helper, an fsmonitor command or a hook that
 * Conveyor's own git calls (or the user's, later) would run. `restore` puts every file back,
 * removes files the agent added to the watched directories, and names what it changed.
 */
export class ConfigGuard {
  readonly #saved = new Map<string, string | undefined>();
  readonly #dirs: string[];

  constructor(files: string[], dirs: string[] = []) {
    this.#dirs = dirs;
    for (const f of [...files, ...dirs.flatMap(listFiles)]) this.#saved.set(f, read(f));
  }

  restore(): string[] {
    const changed: string[] = [];
    for (const [file, content] of this.#saved) {
      if (read(file) === content) continue;
      if (content === undefined) rmSync(file, { force: true });
      else writeFileSync(file, content);
      changed.push(file);
    }
    for (const f of this.#dirs.flatMap(listFiles))
      if (!this.#saved.has(f)) {
        rmSync(f, { force: true });
        changed.push(f);
      }
    return changed;
  }
}

function read(file: string): string | undefined {
  try {
    return existsSync(file) && statSync(file).isFile() ? readFileSync(file, "latin1") : undefined;
  } catch {
    return undefined;
  }
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() || e.isSymbolicLink())
      .map((e) => join(dir, e.name));
  } catch {
    return [];
  }
}
