/** A sleep that something else can cut short (an agent exits: plan again at once). */
export class Waker {
  #wake: (() => void) | undefined;
  #pending = false;

  wake(): void {
    if (this.#wake) this.#wake();
    else this.#pending = true;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.#pending || signal?.aborted) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
      this.#wake = done;
    });
  }
}
