import type { PassConfig } from "./pass-context.js";

/**
 * The config each repository's last pass read (through its port, once per pass): the sweep
 * paces repositories by it (`sweepMinutes`). Never read from GitHub here.
 */
export class RepoConfigCache {
  readonly #cache = new Map<string, Promise<PassConfig>>();

  /** What the pass over `key` read (a failed read keeps the previous one). */
  note(key: string, read: Promise<PassConfig>): void {
    read.then(
      () => this.#cache.set(key, read),
      () => undefined,
    );
  }

  /** The config the last pass read, if any. */
  peek(key: string): Promise<PassConfig> | undefined {
    return this.#cache.get(key);
  }
}
