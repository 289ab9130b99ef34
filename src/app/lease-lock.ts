/**
 * A lease lock on a git ref, so several app instances never act on one repository at once.
 *
 * The ref `refs/conveyor/lock` points at a parentless commit whose message names the holder
 * and the expiry. Creating a ref that exists answers 422, so acquiring is one atomic
 * create. A lease past its expiry (a crashed holder) is taken over by a fast-forward
 * update to a child commit of the expired one: two instances racing for the same expired
 * lease cannot both fast-forward, so at most one wins. Releasing deletes the ref, but only
 * while it still points at our own commit.
 */

/** The few git operations the lock needs (over the pass's port in `lease-store.ts`). */
export interface LeaseStore {
  /** A tree to hang lease commits on (content is irrelevant). */
  createTree(): Promise<string>;
  createCommit(input: { message: string; tree: string; parents: string[] }): Promise<string>;
  /** `false` when the ref exists already (422). */
  createRef(sha: string): Promise<boolean>;
  /** Commit the ref points at, or undefined when there is no ref. */
  readRef(): Promise<string | undefined>;
  readCommitMessage(sha: string): Promise<string>;
  /** Fast-forward only; `false` when the update is not a fast-forward (422). */
  fastForwardRef(sha: string): Promise<boolean>;
  deleteRef(): Promise<void>;
}

export interface Lease {
  repo: string;
  holder: string;
  sha: string;
  expiresAt: Date;
  /** Holder of the expired lease this one replaced. */
  tookOverFrom?: string;
}

export type AcquireResult =
  | { acquired: true; lease: Lease }
  | { acquired: false; holder: string; expiresAt?: Date };

export interface LeaseInfo {
  holder: string;
  expiresAt: Date;
}

export function formatLeaseMessage(info: LeaseInfo): string {
  return `conveyor lease\n\nholder: ${info.holder}\nexpires: ${info.expiresAt.toISOString()}\n`;
}

/** Reads a lease commit message; undefined when it is not one (treated as expired). */
export function parseLeaseMessage(message: string): LeaseInfo | undefined {
  const holder = /^holder: (.+)$/m.exec(message)?.[1]?.trim();
  const expires = /^expires: (.+)$/m.exec(message)?.[1]?.trim();
  if (!holder || !expires) return undefined;
  const expiresAt = new Date(expires);
  if (Number.isNaN(expiresAt.getTime())) return undefined;
  return { holder, expiresAt };
}

export interface LeaseLockOptions {
  /** This instance's id (e.g. host name + process id + random suffix). */
  holder: string;
  /** How long a lease lasts; longer than any reconcile pass. */
  ttlMs: number;
  now: () => Date;
}

export class LeaseLock {
  readonly #options: LeaseLockOptions;
  /** Tree per repository, created once per process. */
  readonly #trees = new Map<string, string>();

  constructor(options: LeaseLockOptions) {
    this.#options = options;
  }

  get holder(): string {
    return this.#options.holder;
  }

  async acquire(store: LeaseStore, repo: string): Promise<AcquireResult> {
    const { holder, ttlMs, now } = this.#options;
    const expiresAt = new Date(now().getTime() + ttlMs);
    const message = formatLeaseMessage({ holder, expiresAt });
    const tree = await this.#tree(store, repo);
    const sha = await store.createCommit({ message, tree, parents: [] });
    if (await store.createRef(sha))
      return { acquired: true, lease: { repo, holder, sha, expiresAt } };

    const current = await store.readRef();
    if (current === undefined) {
      // Released between our create and our read: one more atomic try.
      if (await store.createRef(sha))
        return { acquired: true, lease: { repo, holder, sha, expiresAt } };
      return { acquired: false, holder: "another instance" };
    }
    const info = parseLeaseMessage(await store.readCommitMessage(current));
    // Our own unexpired lease is a leftover (a release that failed): this process runs one
    // pass per repository at a time, so no pass of ours still holds it.
    if (info && info.holder !== holder && info.expiresAt.getTime() > now().getTime())
      return { acquired: false, holder: info.holder, expiresAt: info.expiresAt };

    // Expired, ours, or unreadable: take it over with a fast-forward, which only one racer wins.
    const takeover = await store.createCommit({ message, tree, parents: [current] });
    if (!(await store.fastForwardRef(takeover)))
      return { acquired: false, holder: "another instance (took over the expired lease)" };
    const lease: Lease = { repo, holder, sha: takeover, expiresAt };
    if (info && info.holder !== holder) lease.tookOverFrom = info.holder;
    return { acquired: true, lease };
  }

  /** Deletes the ref if it is still ours. Returns false when the lease was lost meanwhile. */
  async release(store: LeaseStore, lease: Lease): Promise<boolean> {
    const current = await store.readRef();
    if (current !== lease.sha) return false;
    await store.deleteRef();
    return true;
  }

  async #tree(store: LeaseStore, repo: string): Promise<string> {
    const cached = this.#trees.get(repo);
    if (cached) return cached;
    const tree = await store.createTree();
    this.#trees.set(repo, tree);
    return tree;
  }
}
