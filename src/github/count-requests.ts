import type { GitHubPort } from "./port.js";

/**
 * Counts what a pass costs. A port that counts its HTTP requests (the Octokit port: every
 * request its fetch sends, retries and pages included) tells that; for any other (the fake)
 * each call through the wrapper counts as one.
 */
export function countRequests(port: GitHubPort): { port: GitHubPort; count: () => number } {
  const sentBefore = port.requestsSent?.();
  let calls = 0;
  const counted = new Proxy(port, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return {
    port: counted,
    count: () => (sentBefore === undefined ? calls : (port.requestsSent?.() ?? 0) - sentBefore),
  };
}
