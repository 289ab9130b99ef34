/**
 * One reconcile at a time per repository, bursts coalesced.
 *
 * Every webhook only says "look again". A request for a key that is idle starts a pass
 * after a short settle delay (deliveries that arrive inside it join that pass); a request
 * for a key whose pass is running marks one more pass as pending, however many requests
 * arrive meanwhile. So a burst of N deliveries costs at most two passes: the one running
 * and one pending. Steps (permission checks, comment commands) ride along with the request
 * and run, in arrival order, at the start of the next pass, inside the same serialized
 * section as the reconcile. A failing pass is reported to `onError` and never rethrown:
 * the next request or the periodic sweep repairs what it left.
 */

export interface QueueTimers {
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
}

export type PassOutcome<S = unknown> =
  /** The pass ran (its steps and the reconcile). */
  | { kind: "done" }
  /** Another instance holds the repository; try again after `retryMs`, keep the steps. */
  | { kind: "busy"; retryMs: number }
  /** The pass could not finish its steps; try again after `retryMs` with `steps` first. */
  | { kind: "retry"; retryMs: number; steps: S[] };

export interface ReconcileQueueOptions<T, S> {
  /** One pass: run the steps in order, then reconcile `target`. */
  run: (key: string, target: T, steps: S[]) => Promise<PassOutcome<S> | undefined>;
  /** A pass that threw. The steps are not retried (the sweep reconciles again). */
  onError: (key: string, error: unknown) => void;
  /** Deliveries arriving within this delay of the first one share its pass. Default 0. */
  settleMs?: number;
  timers?: QueueTimers;
}

interface Slot<T, S> {
  target: T;
  steps: S[];
  /** A pass is running for this key. */
  running: boolean;
  /** A timer is set to start a pass. */
  timer?: unknown;
  /** A request arrived while running: one more pass follows. */
  pending: boolean;
}

export interface QueueStats {
  /** Requests received (deliveries, sweep ticks, retries). */
  requests: number;
  /** Passes started. */
  passes: number;
  /** Passes that threw. */
  failures: number;
  /** Passes that found the repository held by another instance. */
  busy: number;
  /** Passes that asked to be tried again (a step that failed). */
  retries: number;
}

export class ReconcileQueue<T, S = never> {
  readonly #slots = new Map<string, Slot<T, S>>();
  readonly #run: ReconcileQueueOptions<T, S>["run"];
  readonly #onError: ReconcileQueueOptions<T, S>["onError"];
  readonly #settleMs: number;
  readonly #timers: QueueTimers;
  readonly #idleWaiters: (() => void)[] = [];
  readonly stats: QueueStats = { requests: 0, passes: 0, failures: 0, busy: 0, retries: 0 };

  constructor(options: ReconcileQueueOptions<T, S>) {
    this.#run = options.run;
    this.#onError = options.onError;
    this.#settleMs = Math.max(0, options.settleMs ?? 0);
    this.#timers = options.timers ?? {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    };
  }

  /**
   * Asks for a pass over `key`. The latest `target` wins (it carries e.g. the installation
   * id); `step`, if given, runs at the start of the next pass.
   */
  request(key: string, target: T, step?: S): void {
    this.stats.requests++;
    let slot = this.#slots.get(key);
    if (!slot) {
      slot = { target, steps: [], running: false, pending: false };
      this.#slots.set(key, slot);
    }
    slot.target = target;
    if (step !== undefined) slot.steps.push(step);
    if (slot.running) {
      slot.pending = true;
      return;
    }
    if (slot.timer !== undefined) return;
    this.#schedule(key, slot, this.#settleMs);
  }

  /** Keys with a pass running, pending or scheduled. */
  get activeKeys(): string[] {
    return [...this.#slots.keys()];
  }

  /** Resolves once no pass is running, pending or scheduled (tests, shutdown). */
  idle(): Promise<void> {
    if (this.#slots.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Cancels scheduled passes (running ones finish). Steps not yet run are dropped. */
  stop(): void {
    for (const [key, slot] of this.#slots) {
      if (slot.timer !== undefined) this.#timers.clearTimeout(slot.timer);
      slot.timer = undefined;
      slot.pending = false;
      if (!slot.running) this.#slots.delete(key);
    }
    this.#maybeIdle();
  }

  #schedule(key: string, slot: Slot<T, S>, ms: number): void {
    slot.timer = this.#timers.setTimeout(() => {
      slot.timer = undefined;
      void this.#pass(key, slot);
    }, ms);
  }

  async #pass(key: string, slot: Slot<T, S>): Promise<void> {
    slot.running = true;
    slot.pending = false;
    const steps = slot.steps;
    slot.steps = [];
    this.stats.passes++;
    let retryMs: number | undefined;
    try {
      const outcome = await this.#run(key, slot.target, steps);
      if (outcome?.kind === "busy") {
        this.stats.busy++;
        retryMs = outcome.retryMs;
        slot.steps = [...steps, ...slot.steps];
      } else if (outcome?.kind === "retry") {
        this.stats.retries++;
        retryMs = outcome.retryMs;
        slot.steps = [...outcome.steps, ...slot.steps];
      }
    } catch (e: unknown) {
      this.stats.failures++;
      try {
        this.#onError(key, e);
      } catch {
        // A failing logger must not stop the queue.
      }
    }
    slot.running = false;
    if (retryMs !== undefined) {
      // Held elsewhere, or a step to finish: look again later, once.
      slot.pending = false;
      this.#schedule(key, slot, retryMs);
    } else if (slot.pending) {
      slot.pending = false;
      this.#schedule(key, slot, 0);
    } else if (slot.timer === undefined) {
      this.#slots.delete(key);
      this.#maybeIdle();
    }
  }

  #maybeIdle(): void {
    if (this.#slots.size > 0) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}
