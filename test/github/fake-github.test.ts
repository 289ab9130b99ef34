import { describe, expect, it } from "vitest";
import { FakeGitHub } from "../support/fake-github/index.js";

describe("the fake's request accounting", () => {
  it("an unchanged one-page list is a 304 (free); a change or a failure is not", async () => {
    const gh = new FakeGitHub();
    const n = gh.addIssue({ title: "A", labels: ["conveyor:todo"] });
    gh.addComment(n, "hello", "someone");
    await gh.listIssueComments(n);
    await gh.listIssueComments(n);
    expect([gh.requests, gh.notModified, gh.rateLimited]).toEqual([2, 1, 1]);
    gh.addComment(n, "again", "someone");
    await gh.listIssueComments(n);
    expect(gh.notModified).toBe(1);
    gh.fail({ match: "listIssueComments", status: 502 });
    await expect(gh.listIssueComments(n)).rejects.toThrow("502");
    await gh.listIssueComments(n);
    expect([gh.requests, gh.notModified]).toEqual([5, 2]);
  });

  it("a list of several pages costs a request per page and is never a 304", async () => {
    const gh = new FakeGitHub();
    const n = gh.addIssue({ title: "A" });
    for (let i = 0; i < 150; i++) gh.addComment(n, `c${i}`, "someone");
    await gh.listIssueComments(n);
    await gh.listIssueComments(n);
    expect([gh.requests, gh.notModified]).toEqual([4, 0]);
  });

  it("the tracked issues are one request per 100, whatever else is open", async () => {
    const gh = new FakeGitHub();
    for (let i = 0; i < 300; i++) gh.addIssue({ title: `I${i}` });
    for (let i = 0; i < 150; i++) gh.addIssue({ title: `T${i}`, labels: ["conveyor:todo"] });
    const { issues } = await gh.listTracked(["conveyor:todo"], "conveyor:board");
    expect(issues).toHaveLength(150);
    expect(gh.requests).toBe(2);
  });

  it("the tracked read brings each task's first 100 comments and their count, in one request", async () => {
    const gh = new FakeGitHub();
    const long = gh.addIssue({ title: "Long", labels: ["conveyor:todo"] });
    const short = gh.addIssue({ title: "Short", labels: ["conveyor:todo"] });
    for (let i = 0; i < 130; i++) gh.addComment(long, `c${i}`, "someone");
    gh.addComment(short, "status", "conveyor[bot]");
    const { issues, boards } = await gh.listTracked(["conveyor:todo"], "conveyor:board");
    expect(issues.map((i) => [i.commentCount, i.comments?.length])).toEqual([
      [130, 100],
      [1, 1],
    ]);
    expect(issues[0]!.comments?.[99]?.body).toBe("c99");
    expect(issues[1]!.comments?.[0]?.author).toBe("conveyor[bot]");
    expect(boards).toEqual([]);
    expect(gh.requests).toBe(1);
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
