import { GitHubError } from "../../../src/github/port.js";
import { FakeStore } from "./store.js";

export interface InjectedFailure {
  /** Matched against the call's method name, e.g. `mergePull`, or its readable line. */
  match: string | RegExp;
  status: number;
  message?: string;
  times?: number;
  /** Apply the call first, then answer the error (a 500 after the merge happened). */
  afterApplying?: boolean;
  /** Runs when the failure fires (e.g. someone pushes to the PR just before the merge). */
  run?: () => void;
}

/** Failure injection: answers with an error, or a process that dies before a write. */
export class FakeFailures extends FakeStore {
  protected failures: InjectedFailure[] = [];

  protected crashAt: number | undefined;

  protected dead = false;

  protected writes = 0;

  /** Injects a failure for matching calls. */
  fail(failure: InjectedFailure): void {
    this.failures.push({ times: 1, ...failure });
  }

  /**
   * The process dies instead of the Nth write from now (1-based): that call and every call
   * after it throw a plain Error until `revive()` (a restarted process).
   */
  crashOnWrite(n: number): void {
    this.crashAt = this.writes + n;
  }

  /** A new process: calls work again. */
  revive(): void {
    this.dead = false;
  }

  /** True after an injected crash, until `revive()`. */
  get crashed(): boolean {
    return this.dead;
  }

  /** Writes done so far (the counter `crashOnWrite` uses). */
  get writeCount(): number {
    return this.writes;
  }

  protected takeFailure(
    method: string,
    line: string,
  ): { error: GitHubError; afterApplying: boolean } | undefined {
    const i = this.failures.findIndex((f) =>
      typeof f.match === "string" ? f.match === method : f.match.test(line),
    );
    if (i < 0) return undefined;
    const f = this.failures[i]!;
    f.run?.();
    f.times = (f.times ?? 1) - 1;
    if (f.times <= 0) this.failures.splice(i, 1);
    return {
      error: new GitHubError(f.status, f.message ?? `injected ${f.status}`, line),
      afterApplying: f.afterApplying === true,
    };
  }
}
