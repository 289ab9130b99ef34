import type { GitHubPort } from "./port.js";

/** Wraps a port to count the calls made through it (each call is one request or more). */
export function countRequests(port: GitHubPort): { port: GitHubPort; count: () => number } {
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
  return { port: counted, count: () => calls };
}
