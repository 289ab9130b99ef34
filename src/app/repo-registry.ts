import { type RepoTarget, repoKey } from "./pass-context.js";

interface Entry {
  target: RepoTarget;
  lastEventAt?: number;
  lastPassAt?: number;
}

/**
 * Repositories this process has heard of (webhooks) or reconciled, with when. Memory only
 * and only a hint: the sweep also asks GitHub which repositories have work in flight, so
 * a restart loses nothing.
 */
export class RepoRegistry {
  readonly #entries = new Map<string, Entry>();

  noteEvent(target: RepoTarget, at: Date): void {
    this.#entry(target).lastEventAt = at.getTime();
  }

  notePass(target: RepoTarget, at: Date): void {
    this.#entry(target).lastPassAt = at.getTime();
  }

  lastPassAt(key: string): number | undefined {
    return this.#entries.get(key)?.lastPassAt;
  }

  /** Targets of an installation that had an event within `withinMs` of `now`. */
  recent(installationId: number, now: Date, withinMs: number): RepoTarget[] {
    const out: RepoTarget[] = [];
    for (const e of this.#entries.values())
      if (
        e.target.installationId === installationId &&
        e.lastEventAt !== undefined &&
        now.getTime() - e.lastEventAt <= withinMs
      )
        out.push(e.target);
    return out;
  }

  #entry(target: RepoTarget): Entry {
    const key = repoKey(target);
    let e = this.#entries.get(key);
    if (!e) {
      e = { target };
      this.#entries.set(key, e);
    }
    e.target = target;
    return e;
  }
}
