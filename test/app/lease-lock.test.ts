import { describe, expect, it } from "vitest";
import {
  formatLeaseMessage,
  LeaseLock,
  type LeaseStore,
  parseLeaseMessage,
} from "../../src/app/lease-lock.js";
import { portLeaseStore } from "../../src/app/lease-store.js";
import { FakeGitHub } from "../support/fake-github/index.js";

/** An in-memory git ref with GitHub's answers: create of an existing ref and non-fast-forward are refused. */
class MemoryRefStore implements LeaseStore {
  ref: string | undefined;
  commits = new Map<string, { message: string; parents: string[] }>();
  log: string[] = [];
  #n = 0;
  async createTree() {
    this.log.push("tree");
    return "tree1";
  }
  async createCommit(input: { message: string; tree: string; parents: string[] }) {
    const sha = `c${++this.#n}`;
    this.commits.set(sha, { message: input.message, parents: input.parents });
    this.log.push(`commit ${sha}`);
    return sha;
  }
  async createRef(sha: string) {
    if (this.ref !== undefined) {
      this.log.push("create-ref 422");
      return false;
    }
    this.ref = sha;
    this.log.push(`create-ref ${sha}`);
    return true;
  }
  async readRef() {
    return this.ref;
  }
  async readCommitMessage(sha: string) {
    return this.commits.get(sha)?.message ?? "";
  }
  async fastForwardRef(sha: string) {
    const parents = this.commits.get(sha)?.parents ?? [];
    if (this.ref === undefined || !parents.includes(this.ref)) {
      this.log.push("update-ref 422");
      return false;
    }
    this.ref = sha;
    this.log.push(`update-ref ${sha}`);
    return true;
  }
  async deleteRef() {
    this.ref = undefined;
    this.log.push("delete-ref");
  }
}

const T0 = new Date("2026-11-25T10:00:00Z");
const at = (minutes: number) => () => new Date(T0.getTime() + minutes * 60_000);
const lock = (holder: string, now: () => Date) => new LeaseLock({ holder, ttlMs: 5 * 60_000, now });

describe("lease lock on refs/conveyor/lock", () => {
  it("formats and reads the holder and expiry", () => {
    const msg = formatLeaseMessage({ holder: "host:1:ab", expiresAt: T0 });
    expect(msg).toMatchInlineSnapshot(`
      "conveyor lease

      holder: host:1:ab
      expires: 2026-11-25T10:00:00.000Z
      "
    `);
    expect(parseLeaseMessage(msg)).toEqual({ holder: "host:1:ab", expiresAt: T0 });
    expect(parseLeaseMessage("Merge branch main")).toBeUndefined();
    expect(parseLeaseMessage("holder: x\nexpires: soon")).toBeUndefined();
  });

  it("a free lock is acquired with one atomic create and released by deleting the ref", async () => {
    const store = new MemoryRefStore();
    const a = lock("A", at(0));
    const r = await a.acquire(store, "o/r");
    expect(r.acquired).toBe(true);
    if (!r.acquired) return;
    expect(store.ref).toBe(r.lease.sha);
    expect(await a.release(store, r.lease)).toBe(true);
    expect(store.ref).toBeUndefined();
    expect(store.log).toEqual(["tree", "commit c1", "create-ref c1", "delete-ref"]);
  });

  it("a held lock is refused, naming the holder and expiry", async () => {
    const store = new MemoryRefStore();
    await lock("A", at(0)).acquire(store, "o/r");
    const r = await lock("B", at(1)).acquire(store, "o/r");
    expect(r).toEqual({ acquired: false, holder: "A", expiresAt: at(5)() });
  });

  it("an expired lock (crashed holder) is taken over by a fast-forward", async () => {
    const store = new MemoryRefStore();
    await lock("A", at(0)).acquire(store, "o/r");
    const r = await lock("B", at(6)).acquire(store, "o/r");
    expect(r.acquired).toBe(true);
    if (!r.acquired) return;
    expect(r.lease.tookOverFrom).toBe("A");
    expect(store.commits.get(r.lease.sha)?.parents).toEqual(["c1"]);
  });

  it("two instances racing for one expired lease: exactly one wins", async () => {
    const store = new MemoryRefStore();
    await lock("A", at(0)).acquire(store, "o/r");
    const [b, c] = await Promise.all([
      lock("B", at(6)).acquire(store, "o/r"),
      lock("C", at(6)).acquire(store, "o/r"),
    ]);
    expect([b.acquired, c.acquired].filter(Boolean)).toHaveLength(1);
  });

  it("the tree is created once per repository per process", async () => {
    const store = new MemoryRefStore();
    const a = lock("A", at(0));
    for (let i = 0; i < 3; i++) {
      const r = await a.acquire(store, "o/r");
      if (r.acquired) await a.release(store, r.lease);
    }
    expect(store.log.filter((l) => l === "tree")).toHaveLength(1);
  });

  it("its own leftover lease (a release that failed) is taken back at once", async () => {
    const store = new MemoryRefStore();
    await lock("A", at(0)).acquire(store, "o/r");
    const r = await lock("A", at(1)).acquire(store, "o/r");
    expect(r.acquired).toBe(true);
    if (r.acquired) expect(r.lease.tookOverFrom).toBeUndefined();
  });

  it("does not release a lease someone else took over", async () => {
    const store = new MemoryRefStore();
    const a = lock("A", at(0));
    const ra = await a.acquire(store, "o/r");
    await lock("B", at(6)).acquire(store, "o/r");
    if (!ra.acquired) throw new Error("A should hold the lease");
    expect(await a.release(store, ra.lease)).toBe(false);
    expect(store.ref).toBeDefined();
  });
});

describe("the lease over the port (the fake GitHub's refs and commits)", () => {
  it("taken, refused to a second holder, taken over once expired, released: all port calls", async () => {
    const gh = new FakeGitHub();
    const store = portLeaseStore(gh);
    let now = new Date("2026-01-01T00:00:00Z");
    const a = lock("a", () => now);
    const b = lock("b", () => now);
    const first = await a.acquire(store, "o/r");
    expect(first.acquired).toBe(true);
    expect(gh.refs.get("conveyor/lock")).toBeDefined();
    expect(await b.acquire(store, "o/r")).toMatchObject({ acquired: false, holder: "a" });
    now = new Date(now.getTime() + 6 * 60_000);
    const second = await b.acquire(store, "o/r");
    expect(second).toMatchObject({ acquired: true, lease: { tookOverFrom: "a" } });
    // a's lease is gone: its release leaves b's alone.
    if (first.acquired) expect(await a.release(store, first.lease)).toBe(false);
    if (second.acquired) expect(await b.release(store, second.lease)).toBe(true);
    expect(gh.refs.has("conveyor/lock")).toBe(false);
    expect(gh.writeCalls()).toContain("o/r:update-ref conveyor/lock");
    expect(gh.writeCalls()).toContain("o/r:delete-ref conveyor/lock");
  });
});
