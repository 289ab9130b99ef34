import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { git, gitOk, identityArgs } from "./git.js";
import { secretsOfConfig } from "./safe-git-env.js";

/**
 * The git steps of a role in its workspace: fetch, check out the task branch, merge the
 * base, commit everything, push. `remote` undefined means local mode without a remote.
 */
export class WorkspaceGit {
  /** The credentials' forms, cut out of every error text of fetch and push. */
  readonly #secrets: string[];

  constructor(
    readonly cwd: string,
    readonly remote: string | undefined,
    /**
     * Config for fetch and push only (credentials the agent never sees), given through the
     * environment (`GIT_CONFIG_COUNT`): never on a command line that an error would quote.
     */
    readonly remoteConfig: Record<string, string> = {},
  ) {
    this.#secrets = secretsOfConfig(remoteConfig);
  }

  #remoteCall() {
    return { config: this.remoteConfig, secrets: this.#secrets };
  }

  /** The remote name if it is configured in the repository, else undefined. */
  static async open(
    cwd: string,
    remote: string | null | undefined,
    remoteConfig: Record<string, string> = {},
  ): Promise<WorkspaceGit> {
    const wanted = remote === null || remote === "" ? undefined : (remote ?? "origin");
    if (wanted === undefined) return new WorkspaceGit(cwd, undefined);
    const remotes = (await git(cwd, ["remote"])).stdout.split("\n").map((s) => s.trim());
    return new WorkspaceGit(cwd, remotes.includes(wanted) ? wanted : undefined, remoteConfig);
  }

  /** The repository's configuration files and hook directory: the agent's shell could rewrite them. */
  async configPaths(): Promise<{ files: string[]; dirs: string[] }> {
    const dir = async (flag: string) =>
      (await gitOk(this.cwd, ["rev-parse", "--path-format=absolute", flag])).trim();
    const common = await dir("--git-common-dir");
    const own = await dir("--git-dir");
    return {
      files: [
        ...new Set([`${common}/config`, `${own}/config.worktree`, `${common}/info/attributes`]),
      ],
      dirs: [`${common}/hooks`],
    };
  }

  async fetch(): Promise<void> {
    if (this.remote)
      await gitOk(this.cwd, ["fetch", "--quiet", "--prune", this.remote], this.#remoteCall());
  }

  /** The ref of a branch to build on: the remote's copy when there is a remote. */
  async ref(branch: string): Promise<string | undefined> {
    if (this.remote) {
      const remoteRef = `refs/remotes/${this.remote}/${branch}`;
      if ((await git(this.cwd, ["rev-parse", "--verify", "--quiet", remoteRef])).code === 0)
        return remoteRef;
    }
    const local = `refs/heads/${branch}`;
    if ((await git(this.cwd, ["rev-parse", "--verify", "--quiet", local])).code === 0) return local;
    return undefined;
  }

  async currentBranch(): Promise<string> {
    return (await git(this.cwd, ["symbolic-ref", "--quiet", "--short", "HEAD"])).stdout.trim();
  }

  /**
   * Checks out `branch`: reuses it (remote copy first) when it exists, else creates it
   * from `base`. Returns whether it was created.
   */
  async checkoutTaskBranch(branch: string, base: string): Promise<{ created: boolean }> {
    await this.fetch();
    if ((await this.currentBranch()) === branch) {
      const upstream = this.remote ? await this.ref(branch) : undefined;
      if (upstream?.startsWith("refs/remotes/"))
        await gitOk(this.cwd, ["merge", "--ff-only", "--quiet", upstream]).catch(() => undefined);
      return { created: false };
    }
    const existing = await this.ref(branch);
    if (existing) {
      await gitOk(this.cwd, ["checkout", "--quiet", "-B", branch, existing]);
      return { created: false };
    }
    const baseRef = await this.ref(base);
    if (!baseRef) throw new Error(`base branch '${base}' not found`);
    await gitOk(this.cwd, ["checkout", "--quiet", "-B", branch, baseRef]);
    return { created: true };
  }

  async head(): Promise<string> {
    return (await gitOk(this.cwd, ["rev-parse", "HEAD"])).trim();
  }

  async revParse(ref: string): Promise<string | undefined> {
    const r = await git(this.cwd, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  /** Files changed between `base` and the work tree (committed or not, new files included). */
  async changedSince(base: string): Promise<string[]> {
    const committed = (await git(this.cwd, ["diff", "--name-only", `${base}...HEAD`])).stdout;
    const status = (await git(this.cwd, ["status", "--porcelain", "--untracked-files=all"])).stdout;
    const pending = status
      .split("\n")
      .filter((l) => l.length > 3)
      .map((l) => l.slice(3).replace(/^.* -> /, ""));
    return [...new Set([...committed.split("\n").filter(Boolean), ...pending])].sort();
  }

  async diff(base: string): Promise<string> {
    return (
      await git(this.cwd, [
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        `${base}...HEAD`,
      ])
    ).stdout;
  }

  async hasPendingChanges(): Promise<boolean> {
    return (await git(this.cwd, ["status", "--porcelain"])).stdout.trim() !== "";
  }

  /** Commits everything pending; returns the new head, or undefined when nothing changed. */
  async commitAll(message: string): Promise<string | undefined> {
    if (!(await this.hasPendingChanges())) return undefined;
    await gitOk(this.cwd, ["add", "-A"]);
    await gitOk(this.cwd, [
      ...(await identityArgs(this.cwd)),
      "commit",
      "--quiet",
      "--no-verify",
      "-m",
      message,
    ]);
    return this.head();
  }

  /** Attributes of this workspace's own merges (`unionMerge`), given to `merge` only. */
  #mergeAttributes: string | undefined;

  /**
   * Files every branch appends to (CHANGELOG.md) merge with git's union driver, so two
   * Unreleased entries added at the same place never conflict. Only this workspace's own
   * merges use it (an attributes file under its git dir, passed to `merge` with `-c`): the
   * repository's `info/attributes` would change every later merge of its owner. Idempotent.
   */
  async unionMerge(paths: readonly string[]): Promise<void> {
    if (paths.length === 0) return;
    const own = (
      await git(this.cwd, ["rev-parse", "--path-format=absolute", "--git-dir"])
    ).stdout.trim();
    if (own === "") return;
    const file = join(own, "conveyor", "merge-attributes");
    const text = `${paths.map((p) => `/${p.replace(/^\/+/, "")} merge=union`).join("\n")}\n`;
    if (!existsSync(file) || readFileSync(file, "utf8") !== text) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
    this.#mergeAttributes = file;
  }

  /** Merges `ref` into the current branch; on a conflict aborts and lists the files. */
  async merge(
    ref: string,
    message: string,
  ): Promise<{ ok: true } | { ok: false; conflicts: string[]; message: string }> {
    const r = await git(this.cwd, [
      ...(await identityArgs(this.cwd)),
      ...(this.#mergeAttributes ? ["-c", `core.attributesFile=${this.#mergeAttributes}`] : []),
      "merge",
      "--no-ff",
      "--no-edit",
      "-m",
      message,
      ref,
    ]);
    if (r.code === 0) return { ok: true };
    const conflicts = (await git(this.cwd, ["diff", "--name-only", "--diff-filter=U"])).stdout
      .split("\n")
      .filter(Boolean);
    await git(this.cwd, ["merge", "--abort"]);
    return {
      ok: false,
      conflicts,
      message: (r.stdout + r.stderr).trim().split("\n").slice(-3).join(" / "),
    };
  }

  /** Pushes HEAD to `branch` on the remote (no-op without a remote). */
  async push(branch: string): Promise<{ pushed: boolean; error?: string }> {
    if (!this.remote) return { pushed: false };
    const r = await git(
      this.cwd,
      ["push", "--quiet", this.remote, `HEAD:refs/heads/${branch}`],
      undefined,
      this.#remoteCall(),
    );
    if (r.code === 0) return { pushed: true };
    return {
      pushed: false,
      error: (r.stderr || r.stdout).trim().split("\n").slice(-2).join(" / "),
    };
  }
}
