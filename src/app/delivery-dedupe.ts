/**
 * Remembers the last `capacity` webhook delivery ids (bounded LRU). GitHub keeps the same
 * `X-GitHub-Delivery` id on a redelivery, so a delivery seen before is skipped.
 */
export class DeliveryDedupe {
  readonly #seen = new Map<string, true>();
  readonly #capacity: number;

  constructor(capacity = 5000) {
    this.#capacity = Math.max(1, capacity);
  }

  /** True when `id` was seen before (and refreshes it); otherwise records it. */
  seenBefore(id: string): boolean {
    if (this.#seen.has(id)) {
      this.#seen.delete(id);
      this.#seen.set(id, true);
      return true;
    }
    this.#seen.set(id, true);
    if (this.#seen.size > this.#capacity) {
      const oldest = this.#seen.keys().next();
      if (!oldest.done) this.#seen.delete(oldest.value);
    }
    return false;
  }

  get size(): number {
    return this.#seen.size;
  }
}
