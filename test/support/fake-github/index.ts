/**
 * The in-memory GitHub of the tests, split by job: the data (`store.ts`), failure injection
 * (`failures.ts`), the call log (`call-log.ts`), what people and agents do (`people.ts`) and
 * the `GitHubPort` over all of it (`port.ts`).
 */
export { readsPull } from "./call-log.js";
export type { InjectedFailure } from "./failures.js";
export { FakeGitHub } from "./port.js";
export type { FakeGitHubOptions, FakeRun } from "./store.js";
