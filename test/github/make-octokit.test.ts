import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeOctokit } from "../../src/github/make-octokit.js";

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe("makeOctokit (the orchestrator Action's client)", () => {
  it("waits out a secondary rate limit and retries, instead of failing the pass", async () => {
    const api = nock("https://api.github.test")
      .get("/repos/o/r/issues")
      .query(true)
      .reply(403, { message: "You have exceeded a secondary rate limit" }, { "retry-after": "1" })
      .get("/repos/o/r/issues")
      .query(true)
      .reply(200, []);
    const log: string[] = [];
    const octokit = makeOctokit("t0ken", "https://api.github.test", (l) => log.push(l));
    const res = await octokit.request("GET /repos/{owner}/{repo}/issues", {
      owner: "o",
      repo: "r",
    });
    expect(res.status).toBe(200);
    expect(api.isDone()).toBe(true);
    expect(log).toEqual(["secondary rate limit on GET /repos/{owner}/{repo}/issues: retry in 1s"]);
  });

  it("gives up after two retries", async () => {
    nock("https://api.github.test")
      .get("/repos/o/r/issues")
      .query(true)
      .times(3)
      .reply(
        429,
        { message: "API rate limit exceeded" },
        { "retry-after": "0", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "0" },
      );
    const octokit = makeOctokit("t0ken", "https://api.github.test");
    await expect(
      octokit.request("GET /repos/{owner}/{repo}/issues", { owner: "o", repo: "r" }),
    ).rejects.toMatchObject({ status: 429 });
  });
});
