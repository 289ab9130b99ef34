import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";

/**
 * The Octokit the orchestrator Action uses: @octokit/rest plus the throttling plugin, so a
 * pass honours GitHub's primary and secondary rate limits instead of failing on them. A
 * rate-limited request was not processed by GitHub, so retrying it (up to twice) is safe even
 * for dispatches and merges; no other automatic retry is configured (see RELIABILITY.md).
 */
const ThrottledOctokit = Octokit.plugin(throttling);

type LimitHandler = (
  retryAfter: number,
  options: { method: string; url: string },
  octokit: unknown,
  retryCount: number,
) => boolean;

function retryTwice(what: string, log: (line: string) => void): LimitHandler {
  return (retryAfter, options, _octokit, retryCount) => {
    log(`${what} on ${options.method} ${options.url}: retry in ${retryAfter}s`);
    return retryCount < 2;
  };
}

export function makeOctokit(
  token: string,
  baseUrl: string,
  log: (line: string) => void = () => {},
): Octokit {
  return new ThrottledOctokit({
    auth: token,
    baseUrl,
    throttle: {
      onRateLimit: retryTwice("rate limit", log),
      onSecondaryRateLimit: retryTwice("secondary rate limit", log),
    },
  });
}
