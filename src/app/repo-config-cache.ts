import type { ProbotOctokit } from "probot";
import { type ConfigResult, parseConfig } from "../core/config.js";
import { httpStatus } from "../github/http-errors.js";

export const CONFIG_PATH = ".github/conveyor.yml";

type Request = ProbotOctokit["request"];

/** Reads `.github/conveyor.yml` from the default branch; a missing file is the defaults. */
export async function readRepoConfig(
  octokit: { request: Request },
  owner: string,
  repo: string,
): Promise<ConfigResult> {
  try {
    const res = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      owner,
      repo,
      path: CONFIG_PATH,
      mediaType: { format: "raw" },
    });
    const text = typeof res.data === "string" ? res.data : decodeContent(res.data);
    return parseConfig(text);
  } catch (e: unknown) {
    if (httpStatus(e) === 404) return parseConfig("");
    throw e;
  }
}

function decodeContent(data: unknown): string {
  if (typeof data === "object" && data !== null && "content" in data) {
    const content = (data as { content: unknown }).content;
    if (typeof content === "string") return Buffer.from(content, "base64").toString("utf8");
  }
  return "";
}

/**
 * The app's copy of each repository's config, read once and kept until a push to the
 * default branch (which may change it). The reconcile reads its own; this one serves the
 * permission checks and the sweep interval.
 */
export class RepoConfigCache {
  readonly #cache = new Map<string, Promise<ConfigResult>>();
  readonly #read: typeof readRepoConfig;

  constructor(read: typeof readRepoConfig = readRepoConfig) {
    this.#read = read;
  }

  get(octokit: { request: Request }, owner: string, repo: string): Promise<ConfigResult> {
    const key = `${owner}/${repo}`;
    let entry = this.#cache.get(key);
    if (!entry) {
      entry = this.#read(octokit, owner, repo);
      this.#cache.set(key, entry);
      // A failed read is not cached: the next caller tries again.
      entry.catch(() => this.#cache.delete(key));
    }
    return entry;
  }

  /** Cached result without reading, if any (the sweep uses it to pace repositories). */
  peek(key: string): Promise<ConfigResult> | undefined {
    return this.#cache.get(key);
  }

  invalidate(key: string): void {
    this.#cache.delete(key);
  }
}
