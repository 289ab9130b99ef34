import { type Config, defaultConfig, parseConfig } from "../core/config.js";
import { CONFIG_PATH, type GitHubPort } from "./port.js";

/** The configuration of a repository as read from its default branch. */
export interface RepoConfig {
  config: Config;
  /** One line per bad key (`path: message`); empty when the file is valid or absent. */
  errors: string[];
  defaultBranch: string;
  /** Head of the default branch the config was read at. */
  headSha: string;
  /** False when `.github/conveyor.yml` does not exist (the defaults apply). */
  found: boolean;
}

type ConfigRead = Omit<RepoConfig, "defaultBranch" | "headSha">;

/**
 * Remembers the config per head commit of the default branch, so a push invalidates it and
 * nothing else re-reads it. One per process (the app) or per run (the Action).
 */
export class ConfigCache {
  private defaultBranch: string | undefined;

  /** `path`: where the config lives on the default branch (default `.github/conveyor.yml`). */
  constructor(private readonly path: string = CONFIG_PATH) {}

  private readonly bySha = new Map<string, ConfigRead>();
  private readonly aliases = new Map<string, string>();
  /** Facts that never change (a PR's files at a head commit, a compare of two commits). */
  readonly facts = new Map<string, unknown>();

  /** Conveyor's own commits (mirror, CHANGELOG): sha → its parent and the files it wrote. */
  private readonly own = new Map<string, { parent: string; files: string[] }>();

  /**
   * Conveyor's own commit `sha` (the mirror) changed only tracking files on top of
   * `parent`: the config read at `parent` holds for it too.
   */
  sameConfig(sha: string, parent: string): void {
    if (!this.path.endsWith(".md")) this.aliases.set(sha, parent);
  }

  /**
   * Records a commit Conveyor wrote on the default branch: `files` on top of `parent`. The
   * config read at `parent` holds for it (unless it wrote the config file), and what the
   * base changed since a commit is known without a compare (see `ownTail`).
   */
  ownCommit(sha: string, parent: string, files: string[]): void {
    if (!files.includes(this.path)) this.sameConfig(sha, parent);
    if (this.own.size >= 2000) this.own.clear();
    this.own.set(sha, { parent, files: [...files] });
  }

  /**
   * From `head` back through Conveyor's own commits: the first commit that is not ours (or
   * `stopAt`, when met on the way) and the files our commits above it wrote.
   */
  ownTail(head: string, stopAt?: string): { sha: string; files: string[] } {
    const files = new Set<string>();
    let sha = head;
    for (let own = this.own.get(sha); own && sha !== stopAt; own = this.own.get(sha)) {
      for (const f of own.files) files.add(f);
      sha = own.parent;
    }
    return { sha, files: [...files].sort() };
  }

  async load(port: GitHubPort): Promise<RepoConfig> {
    this.defaultBranch ??= await port.getDefaultBranch();
    const defaultBranch = this.defaultBranch;
    const headSha = (await port.getBranchSha(defaultBranch)) ?? "";
    const cached = this.bySha.get(headSha);
    if (cached) return { ...cached, defaultBranch, headSha };
    const sameAs = this.aliases.get(headSha);
    const aliased = sameAs ? this.bySha.get(sameAs) : undefined;
    if (aliased) {
      this.bySha.set(headSha, aliased);
      return { ...aliased, defaultBranch, headSha };
    }
    const read = await readConfig(port, this.path, headSha || defaultBranch);
    this.bySha.clear();
    this.bySha.set(headSha, read);
    return { ...read, defaultBranch, headSha };
  }
}

/** Loads `.github/conveyor.yml` from the default branch; a bad file is a value, not a throw. */
export async function loadRepoConfig(port: GitHubPort, cache?: ConfigCache): Promise<RepoConfig> {
  return (cache ?? new ConfigCache()).load(port);
}

async function readConfig(port: GitHubPort, path: string, ref: string): Promise<ConfigRead> {
  const text = await port.getFileText(path, ref);
  if (text === undefined) return { config: defaultConfig(), errors: [], found: false };
  const parsed = parseConfig(text);
  if (parsed.ok) return { config: parsed.config, errors: [], found: true };
  return {
    config: defaultConfig(),
    errors: parsed.errors.map((e) => `${e.path === "" ? "(file)" : e.path}: ${e.message}`),
    found: true,
  };
}
