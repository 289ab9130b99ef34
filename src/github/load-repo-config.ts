import { type Config, defaultConfig, readConfigText } from "../core/config.js";
import { trackedLabels } from "../core/stage-labels.js";
import {
  CONFIG_PATH,
  type DefaultBranchRead,
  type GitHubPort,
  type TrackedLabels,
} from "./port.js";

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
  /** The default branch as read with the config (head, settings, recent checks). */
  branch: DefaultBranchRead;
}

type ConfigRead = Omit<RepoConfig, "defaultBranch" | "headSha" | "branch">;

/**
 * What passes of one repository remember: the config parsed from its text (each pass reads
 * the default branch and the config's text in one request; the same text is not parsed
 * again), facts that never change, and Conveyor's own commits on the default branch. One
 * per process (the app) or per run (the Action).
 */
export class ConfigCache {
  /** `path`: where the config lives on the default branch (default `.github/conveyor.yml`). */
  constructor(private readonly path: string = CONFIG_PATH) {}

  /** Facts that never change (a PR's files at a head commit, a compare of two commits). */
  readonly facts = new Map<string, unknown>();

  /** Conveyor's own commits (mirror, CHANGELOG): sha → its parent and the files it wrote. */
  private readonly own = new Map<string, { parent: string; files: string[] }>();

  /**
   * Records a commit Conveyor wrote on the default branch: `files` on top of `parent`, so
   * what the base changed since a commit is known without a compare (see `ownTail`).
   */
  ownCommit(sha: string, parent: string, files: string[]): void {
    if (this.own.size >= 2000) this.own.clear();
    this.own.set(sha, { parent, files: [...files] });
  }

  /**
   * From `head` back through Conveyor's own commits: the first commit that is not ours (or
   * `stopAt`, when met on the way) and the files our commits above it wrote.
   */
  /** True for a commit Conveyor wrote (as far as this cache saw). */
  isOwn(sha: string): boolean {
    return this.own.has(sha);
  }

  ownTail(head: string, stopAt?: string): { sha: string; files: string[] } {
    const files = new Set<string>();
    let sha = head;
    for (let own = this.own.get(sha); own && sha !== stopAt; own = this.own.get(sha)) {
      for (const f of own.files) files.add(f);
      sha = own.parent;
    }
    return { sha, files: [...files].sort() };
  }

  /**
   * Reads the default branch and the config, and in the same request the tracked issues
   * under the labels of the config read last (the defaults at first). When the config
   * turns out to name other labels, `branch.tracked` is left out: list them again.
   */
  async load(port: GitHubPort): Promise<RepoConfig> {
    const guess = this.parsed?.read.config ?? defaultConfig();
    const branch = await port.readDefaultBranch(this.path, HISTORY_DEPTH, trackedLabels(guess));
    const text = branch.fileText;
    let parsed = this.parsed;
    if (!parsed || parsed.text !== text) {
      parsed = { text, read: parseRead(text) };
      this.parsed = parsed;
    }
    const asked = trackedLabels(guess);
    const wanted = trackedLabels(parsed.read.config);
    if (branch.tracked && !sameTrackedLabels(asked, wanted)) delete branch.tracked;
    return { ...parsed.read, defaultBranch: branch.name, headSha: branch.head, branch };
  }

  private parsed: { text: string | undefined; read: ConfigRead } | undefined;
}

const sameTrackedLabels = (a: TrackedLabels, b: TrackedLabels): boolean =>
  JSON.stringify(a) === JSON.stringify(b);

/** Commits of the default branch read with their checks (enough to see below our own). */
const HISTORY_DEPTH = 20;

/** Loads `.github/conveyor.yml` from the default branch; a bad file is a value, not a throw. */
export async function loadRepoConfig(port: GitHubPort, cache?: ConfigCache): Promise<RepoConfig> {
  return (cache ?? new ConfigCache()).load(port);
}

function parseRead(text: string | undefined): ConfigRead {
  const read = readConfigText(text, CONFIG_PATH);
  return { config: read.config, errors: read.errors, found: read.found };
}
