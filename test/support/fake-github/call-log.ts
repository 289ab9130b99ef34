import { FakeFailures } from "./failures.js";

const WRITE_METHODS = new Set([
  "createRef",
  "deleteRef",
  "createTree",
  "createCommit",
  "fastForwardRef",
  "commitOnBranch",
  "createIssue",
  "updateIssue",
  "addLabels",
  "removeLabel",
  "setLabels",
  "createComment",
  "updateComment",
  "addReaction",
  "mergePull",
  "dispatchWorkflow",
  "cancelRun",
  "createCheckRun",
  "updateCheckRun",
]);

/** A list answer: how many items (pages of 100) and what it holds (for the ETag). */
export interface Listed {
  count: number;
  data: unknown;
  /** Requests per page (default 1). */
  requests?: number;
  /** A GraphQL read: never answered 304. */
  graphql?: boolean;
}

export const listed = (items: readonly unknown[]): Listed => ({ count: items.length, data: items });
const pagesOf = (list: Listed): number => Math.max(1, Math.ceil(list.count / 100));
const requestsOf = (list: Listed): number => pagesOf(list) * (list.requests ?? 1);

/** The call log: every call as a readable line, and the requests a real GitHub would count. */
export class FakeCallLog extends FakeFailures {
  /** Every call, in order, as a readable line. */
  readonly calls: string[] = [];

  /** Requests a real GitHub would have answered (pages of lists count one each). */
  requests = 0;

  /**
   * Of those, list requests answered 304 Not Modified: the octokit port sends a list's
   * first page with the ETag it saw last time, and a 304 costs no rate limit.
   */
  notModified = 0;

  /** Last answer per list call (its readable line), to tell when a list is unchanged. */
  protected readonly listDigests = new Map<string, string>();

  /** Requests that cost rate limit (all but the 304 answers). */
  get rateLimited(): number {
    return this.requests - this.notModified;
  }

  /** Calls that wrote something, in order. */
  writeCalls(): string[] {
    return this.calls.filter((c) => !c.startsWith("GET "));
  }

  /** Records a call, counts its requests, and throws an injected failure if one matches. */
  protected call(method: string, line: string, list?: Listed, requests = 1): void {
    this.countCall(line, method, list, requests);
    const failure = this.takeFailure(method, line);
    if (failure) throw failure.error;
    if (list) this.noteList(line, list);
  }

  /**
   * The port sends a one-page list with the ETag of its last answer (If-None-Match): when
   * the list did not change since, GitHub answers 304, which costs no rate limit.
   */
  protected noteList(line: string, list: Listed): void {
    if (list.graphql) return; // GraphQL has no conditional requests
    const digest = JSON.stringify(list.data);
    if (pagesOf(list) === 1 && this.listDigests.get(line) === digest)
      this.notModified += requestsOf(list);
    this.listDigests.set(line, digest);
  }

  protected countCall(line: string, method: string, list?: Listed, requests = 1): void {
    if (this.dead) throw new Error(`process crashed (call ${line} not sent)`);
    this.calls.push(line);
    if (list === undefined) {
      this.requests += requests;
    } else {
      this.requests += requestsOf(list);
    }
    if (WRITE_METHODS.has(method)) {
      this.writes++;
      if (this.crashAt !== undefined && this.writes === this.crashAt) {
        this.crashAt = undefined;
        this.dead = true;
        this.writes--;
        this.calls.pop();
        throw new Error(`injected crash before write ${this.writes}: ${line}`);
      }
    }
  }
}

/** True when a recorded call read PR `pr` (alone, or among several in one request). */
export function readsPull(call: string, pr: number): boolean {
  if (call === `GET pull #${pr}`) return true;
  const m = /^GET pulls (#[\d,#]+)/.exec(call);
  return m !== null && m[1]!.split(",").includes(`#${pr}`);
}
