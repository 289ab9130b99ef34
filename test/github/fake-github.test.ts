import { describe, expect, it } from "vitest";
import { FakeGitHub } from "../../src/github/fake-github.js";

describe("the fake's request accounting", () => {
  it("an unchanged one-page list is a 304 (free); a change, a new comment or a failure is not", async () => {
    const gh = new FakeGitHub();
    const n = gh.addIssue({ title: "A", labels: ["conveyor:todo"] });
    await gh.listOpenIssues();
    await gh.listOpenIssues();
    expect([gh.requests, gh.notModified, gh.rateLimited]).toEqual([2, 1, 1]);
    gh.addComment(n, "hello", "someone"); // the issue's comment count changes
    await gh.listOpenIssues();
    expect(gh.notModified).toBe(1);
    gh.fail({ match: "listOpenIssues", status: 502 });
    await expect(gh.listOpenIssues()).rejects.toThrow("502");
    await gh.listOpenIssues();
    expect([gh.requests, gh.notModified]).toEqual([5, 2]);
  });

  it("a list of several pages costs a request per page and is never a 304", async () => {
    const gh = new FakeGitHub();
    for (let i = 0; i < 150; i++) gh.addIssue({ title: `I${i}` });
    await gh.listOpenIssues();
    await gh.listOpenIssues();
    expect([gh.requests, gh.notModified]).toEqual([4, 0]);
  });

  it("a branch's state holds for its commits CI ran on, not for a [skip ci] head", async () => {
    const gh = new FakeGitHub();
    const real = gh.refs.get("heads/main")!;
    gh.refStates.set("main", "failure");
    expect(await gh.refState("main")).toBe("failure");
    const skip = await gh.commitOnBranch("main", real, "mirror [skip ci]", [
      { path: "TODO.md", content: "x" },
    ]);
    expect(gh.refs.get("heads/main")).toBe(skip);
    expect(await gh.refState("main")).toBe("success"); // nothing ran on the mirror commit
    expect(await gh.refState(real)).toBe("failure");
  });

  it("the base's pre-flight status is one request (the status check rollup)", async () => {
    const gh = new FakeGitHub();
    await gh.refState("main");
    expect(gh.requests).toBe(1);
  });

  it("a commit on a branch that moved answers 409 and writes nothing", async () => {
    const gh = new FakeGitHub();
    const head = gh.refs.get("heads/main")!;
    gh.advanceBase(["src/x.ts"]);
    const moved = gh.refs.get("heads/main")!;
    const err = await gh
      .commitOnBranch("main", head, "m", [{ path: "TODO.md", content: "x" }])
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 409 });
    expect(gh.refs.get("heads/main")).toBe(moved);
    expect(gh.fileOn("main", "TODO.md")).toBeUndefined();
  });

  it("reads several PRs in one request, mergeable computed on the way", async () => {
    const gh = new FakeGitHub();
    const a = gh.openPull({ branch: "conveyor/1-task", files: ["a.ts"] });
    const b = gh.openPull({ branch: "conveyor/2-task", files: ["b.ts", "c.ts"] });
    const before = gh.requests;
    const got = await gh.getPulls([a, b, 999], { files: true });
    expect(gh.requests - before).toBe(1);
    expect(got.get(b)?.files).toEqual(["b.ts", "c.ts"]);
    expect(got.has(999)).toBe(false);
  });
});
