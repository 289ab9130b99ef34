import {
  AGENT_WORKFLOW,
  type CheckRunInput,
  type DefaultBranchRead,
  type GhCheckRun,
  type GhComment,
  type GhIssue,
  type GhPull,
  type GhPullDetail,
  type GhReview,
  type GhRun,
  GitHubError,
  type GitHubPort,
  type IssuePatch,
  type MergeMethod,
  type Permission,
  type TrackedIssues,
  type TrackedLabels,
  type TreeEntry,
} from "../../../src/github/port.js";
import { listed } from "./call-log.js";
import { FakePeople } from "./people.js";
import type { FakeIssue } from "./store.js";

/**
 * An in-memory GitHub for one repository (Prow's fakegithub style): issues, labels,
 * comments, pull requests, refs and commits, workflow runs and check runs. Every call is
 * recorded as a readable string in `calls` (writes like `o/r#1:+conveyor:review`), tests
 * inject failures (`fail`, `crashOnWrite`) and play the agents (`publishResult`, `openPull`).
 */

export class FakeGitHub extends FakePeople implements GitHubPort {
  async readDefaultBranch(
    file: string,
    depth: number,
    tracked?: TrackedLabels,
  ): Promise<DefaultBranchRead> {
    // One GraphQL request; tracked issues past the first 100 cost one more per 100.
    const trackedIssues = tracked ? this.trackedOf(tracked.labels) : [];
    this.call(
      "readDefaultBranch",
      `GET base ${this.defaultBranch} +${file}${tracked ? " +tracked" : ""}`,
      {
        count: trackedIssues.length,
        data: null,
        graphql: true,
      },
    );
    const head = this.refs.get(`heads/${this.defaultBranch}`) ?? "";
    const history: DefaultBranchRead["history"] = [];
    for (let sha = head; sha && history.length < depth; ) {
      const c = this.commits.get(sha);
      if (!c) break;
      history.push({ sha, state: this.stateOf(sha), message: c.message });
      sha = c.parents[0] ?? "";
    }
    const tree = head ? this.trees.get(this.commits.get(head)!.tree) : undefined;
    return {
      name: this.defaultBranch,
      head,
      fileText: tree?.[file],
      deleteBranchOnMerge: this.deleteBranchOnMerge,
      history,
      ...(tracked ? { tracked: this.trackedResult(trackedIssues, tracked) } : {}),
    };
  }

  async getBranchSha(branch: string): Promise<string | undefined> {
    this.call("getBranchSha", `GET branch ${branch}`);
    return this.refs.get(`heads/${branch}`);
  }

  async getFileText(path: string, ref: string): Promise<string | undefined> {
    this.call("getFileText", `GET file ${path}@${ref}`);
    const sha = this.refs.get(`heads/${ref}`) ?? (this.commits.has(ref) ? ref : undefined);
    if (!sha) throw new GitHubError(404, `No commit found for the ref ${ref}`);
    return this.trees.get(this.commits.get(sha)!.tree)?.[path];
  }

  async createRef(ref: string, sha: string): Promise<void> {
    this.call("createRef", `${this.slug}:create-ref ${ref}`);
    if (this.refs.has(ref)) throw new GitHubError(422, "Reference already exists");
    this.refs.set(ref, sha);
  }

  async deleteRef(ref: string): Promise<void> {
    this.call("deleteRef", `${this.slug}:delete-ref ${ref}`);
    if (!this.refs.delete(ref)) throw new GitHubError(422, "Reference does not exist");
  }

  async createTree(files: Record<string, string>): Promise<string> {
    this.call("createTree", `${this.slug}:tree ${Object.keys(files).join(",")}`);
    return this.putTree({ ...files });
  }

  async createCommit(message: string, tree: string, parents: string[]): Promise<string> {
    this.call("createCommit", `${this.slug}:commit-object "${firstLine(message)}"`);
    if (!this.trees.has(tree)) throw new GitHubError(422, "Tree SHA does not exist");
    for (const p of parents)
      if (!this.commits.has(p)) throw new GitHubError(422, "Parent SHA does not exist");
    return this.putCommit({ tree, parents: [...parents], message });
  }

  async getRef(ref: string): Promise<string | undefined> {
    this.call("getRef", `GET ref ${ref}`);
    return this.refs.get(ref);
  }

  async getCommitMessage(sha: string): Promise<string> {
    this.call("getCommitMessage", `GET commit ${sha.slice(0, 7)}`);
    const c = this.commits.get(sha);
    if (!c) throw new GitHubError(404, "Not Found");
    return c.message;
  }

  async fastForwardRef(ref: string, sha: string): Promise<void> {
    this.call("fastForwardRef", `${this.slug}:update-ref ${ref}`);
    const current = this.refs.get(ref);
    if (current === undefined) throw new GitHubError(422, "Reference does not exist");
    if (!this.isAncestor(current, sha)) throw new GitHubError(422, "Update is not a fast forward");
    this.refs.set(ref, sha);
  }

  async compareFiles(base: string, head: string): Promise<string[]> {
    this.call("compareFiles", `GET compare ${base.slice(0, 7)}...${head}`);
    const from = this.resolve(base);
    const to = this.resolve(head);
    const a = this.trees.get(this.commits.get(from)!.tree)!;
    const b = this.trees.get(this.commits.get(to)!.tree)!;
    const paths = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...paths].filter((p) => a[p] !== b[p]).sort();
  }

  async refState(ref: string): Promise<"success" | "failure" | "pending"> {
    // One GraphQL request in the real port (the status check rollup); no ETag there.
    this.call("refState", `GET status ${ref}`);
    return this.stateOf(ref);
  }

  async commitOnBranch(
    branch: string,
    expectedHead: string,
    message: string,
    entries: TreeEntry[],
  ): Promise<string> {
    const headline = message.split("\n")[0] ?? "";
    this.call(
      "commitOnBranch",
      `${this.slug}:commit "${headline}" ${entries.map((e) => e.path).join(",")}`,
    );
    const head = this.refs.get(`heads/${branch}`);
    if (!head) throw new GitHubError(404, `Could not resolve to a Ref "refs/heads/${branch}"`);
    if (head !== expectedHead)
      throw new GitHubError(
        409,
        `Expected branch to point to "${expectedHead}" but it did not. Pull and try again.`,
      );
    const files = { ...this.trees.get(this.commits.get(head)!.tree)! };
    for (const e of entries) {
      if (e.content === null) delete files[e.path];
      else files[e.path] = e.content;
    }
    const sha = this.putCommit({ tree: this.putTree(files), parents: [head], message });
    this.refs.set(`heads/${branch}`, sha);
    return sha;
  }

  async getIssue(issue: number): Promise<GhIssue | undefined> {
    this.call("getIssue", `GET issue #${issue}`);
    const i = this.issues.get(issue);
    return i ? this.toIssue(i) : undefined;
  }

  async labelEvents(issue: number): Promise<{ label: string; at: string; by: string }[]> {
    this.call("labelEvents", `GET label events #${issue}`);
    return this.labeledOf(this.mustIssue(issue));
  }

  async createIssue(title: string, body: string, labels: string[] = []): Promise<GhIssue> {
    const number = this.nextNumber;
    this.call("createIssue", `${this.slug}#${number}:create "${title}"`);
    this.nextNumber++;
    const at = this.iso();
    const issue: FakeIssue = {
      number,
      title,
      body,
      labels: [...labels],
      state: "open",
      author: this.botLogin,
      createdAt: at,
      updatedAt: at,
      isPullRequest: false,
      labeled: new Map(labels.map((l) => [l, { at, by: this.botLogin }])),
    };
    this.issues.set(number, issue);
    return this.toIssue(issue);
  }

  async updateIssue(issue: number, patch: IssuePatch): Promise<void> {
    const before = this.issues.get(issue)?.labels ?? [];
    const what = [
      patch.body !== undefined ? "body" : "",
      patch.labels ? labelDiff(before, patch.labels) : "",
      patch.state ? `${patch.state}${patch.stateReason ? ` ${patch.stateReason}` : ""}` : "",
    ]
      .filter((s) => s !== "")
      .join(" ");
    this.call("updateIssue", `${this.slug}#${issue}:edit ${what}`);
    const i = this.mustIssue(issue);
    if (patch.body !== undefined) i.body = patch.body;
    if (patch.labels) this.setIssueLabels(i, patch.labels, this.botLogin);
    if (patch.state) i.state = patch.state;
    if (patch.stateReason) i.stateReason = patch.stateReason;
    i.updatedAt = this.iso();
  }

  async addLabels(issue: number, labels: string[]): Promise<void> {
    this.call("addLabels", `${this.slug}#${issue}:${labels.map((l) => `+${l}`).join(",")}`);
    this.labelAs(this.botLogin, issue, labels);
  }

  async removeLabel(issue: number, label: string): Promise<void> {
    this.call("removeLabel", `${this.slug}#${issue}:-${label}`);
    const i = this.mustIssue(issue);
    if (!i.labels.includes(label)) throw new GitHubError(404, "Label does not exist");
    i.labels = i.labels.filter((l) => l !== label);
  }

  async setLabels(issue: number, labels: string[]): Promise<void> {
    const i = this.issues.get(issue);
    const before = i?.labels ?? [];
    this.call("setLabels", `${this.slug}#${issue}:${labelDiff(before, labels) || "="}`);
    this.setIssueLabels(this.mustIssue(issue), labels, this.botLogin);
  }

  async listTracked(
    labels: string[],
    boardLabel: string,
    active: string[] = [],
  ): Promise<TrackedIssues> {
    const issues = this.trackedOf(labels);
    // One GraphQL request per 100 tracked issues (the board comes with the first).
    this.call("listTracked", "GET tracked", { count: issues.length, data: null, graphql: true });
    return this.trackedResult(issues, { labels, boardLabel, active });
  }

  async listIssueComments(issue: number): Promise<GhComment[]> {
    const found = this.commentsOn(issue);
    this.call("listIssueComments", `GET comments #${issue}`, listed(found));
    return found.map((c) => ({ ...c }));
  }

  async getComment(id: number): Promise<GhComment | undefined> {
    this.call("getComment", `GET comment ${id}`);
    const c = this.comments.find((x) => x.id === id);
    if (!c) return undefined;
    return { ...c, authorType: c.author.endsWith("[bot]") ? "Bot" : "User" };
  }

  async createComment(issue: number, body: string): Promise<GhComment> {
    this.call("createComment", `${this.slug}#${issue}:comment "${firstLine(body)}"`);
    return { ...this.addComment(issue, body, this.botLogin) };
  }

  async updateComment(id: number, body: string): Promise<void> {
    const c = this.comments.find((x) => x.id === id);
    this.call("updateComment", `${this.slug}#${c?.issue ?? "?"}:edit-comment "${firstLine(body)}"`);
    if (!c) throw new GitHubError(404, "Not Found");
    c.body = body;
    c.updatedAt = this.iso();
  }

  async addReaction(commentId: number, content: "+1" | "eyes" | "confused"): Promise<void> {
    this.call("addReaction", `${this.slug}:react ${commentId} ${content}`);
    this.reactions.push(`${commentId}:${content}`);
  }

  async getPermission(user: string): Promise<Permission> {
    this.call("getPermission", `GET permission ${user}`);
    return this.permissions.get(user) ?? "none";
  }

  async listOpenPulls(): Promise<GhPull[]> {
    const open = [...this.pulls.values()].filter((p) => p.state === "open");
    const labels = open.map((p) => this.issues.get(p.number)?.labels);
    this.call("listOpenPulls", "GET pulls", { count: open.length, data: [open, labels] });
    return open.map((p) => this.toPull(p, false));
  }

  async getPull(pr: number): Promise<GhPull> {
    this.call("getPull", `GET pull #${pr}`);
    const p = this.mustPull(pr);
    const out = this.toPull(p, true);
    // The first read after the base moved answers null; GitHub computes it meanwhile.
    if (p.mergeable === null && p.state === "open") p.mergeable = !p.conflicts;
    return out;
  }

  async getPulls(
    numbers: number[],
    options: { files?: boolean } = {},
  ): Promise<Map<number, GhPullDetail>> {
    // One GraphQL request in the real port, whatever the number of PRs (up to 50).
    const wanted = [...new Set(numbers)];
    this.call(
      "getPulls",
      `GET pulls ${wanted.map((n) => `#${n}`).join(",")}${options.files ? " +files" : ""}`,
      undefined,
      Math.max(1, Math.ceil(wanted.length / 50)),
    );
    const out = new Map<number, GhPullDetail>();
    for (const n of wanted) {
      const p = this.pulls.get(n);
      if (!p) continue;
      out.set(n, { ...this.toPull(p, true), ...(options.files ? { files: [...p.files] } : {}) });
      if (p.mergeable === null && p.state === "open") p.mergeable = !p.conflicts;
    }
    return out;
  }

  async listPullFiles(pr: number): Promise<string[]> {
    const p = this.mustPull(pr);
    this.call("listPullFiles", `GET pull #${pr} files`, listed(p.files));
    return [...p.files];
  }

  async listReviews(pr: number): Promise<GhReview[]> {
    this.mustPull(pr);
    const reviews = this.reviews.get(pr) ?? [];
    this.call("listReviews", `GET pull #${pr} reviews`, listed(reviews));
    return reviews.map((r) => ({ ...r }));
  }

  async mergePull(pr: number, sha: string, method: MergeMethod, title?: string): Promise<string> {
    this.mergesInFlight++;
    this.maxConcurrentMerges = Math.max(this.maxConcurrentMerges, this.mergesInFlight);
    try {
      // Let any other caller run meanwhile, as a real request would.
      await new Promise((resolve) => setImmediate(resolve));
      return this.mergeNow(pr, sha, method, title);
    } finally {
      this.mergesInFlight--;
    }
  }

  protected mergeNow(pr: number, sha: string, method: MergeMethod, title?: string): string {
    const line = `${this.slug}#${pr}:merge@${sha.slice(0, 7)} ${method}`;
    this.countCall(line, "mergePull");
    const failure = this.takeFailure("mergePull", line);
    if (failure && !failure.afterApplying) throw failure.error;
    const p = this.mustPull(pr);
    if (p.merged) throw new GitHubError(405, "Pull Request is not mergeable");
    if (p.headSha !== sha)
      throw new GitHubError(409, "Head branch was modified. Review and try the merge again.");
    if (p.conflicts || p.mergeable === false)
      throw new GitHubError(405, "Pull Request is not mergeable");
    const merged = this.applyMerge(p, title ?? `Merge pull request #${pr}`);
    this.merges.push(`#${pr}@${sha.slice(0, 7)}`);
    if (failure) throw failure.error;
    return merged;
  }

  async listWorkflowRuns(workflow: string, since: string): Promise<GhRun[]> {
    const found = this.runs
      .filter((r) => workflow === AGENT_WORKFLOW && r.createdAt >= since)
      .slice()
      .reverse();
    this.call("listWorkflowRuns", `GET runs ${workflow}`, listed(found));
    return found.map(({ inputs: _inputs, cancelRequested: _c, ...r }) => ({ ...r }));
  }

  async getWorkflowRun(runId: number): Promise<GhRun | undefined> {
    this.call("getWorkflowRun", `GET run ${runId}`);
    const found = this.runs.find((r) => r.id === runId);
    if (!found) return undefined;
    const { inputs: _inputs, cancelRequested: _c, ...r } = found;
    return { ...r };
  }

  async dispatchWorkflow(
    workflow: string,
    ref: string,
    inputs: Record<string, string>,
  ): Promise<{ runId?: number; url?: string }> {
    const cid = inputs["correlation-id"] ?? "";
    const line = `${this.slug}:dispatch ${inputs.mode ?? "?"} ${cid}`;
    this.countCall(line, "dispatchWorkflow");
    const failure = this.takeFailure("dispatchWorkflow", line);
    if (failure && !failure.afterApplying) throw failure.error;
    if (workflow !== AGENT_WORKFLOW) throw new GitHubError(404, "Not Found");
    if (!this.refs.has(`heads/${ref}`)) throw new GitHubError(422, `No ref found for: ${ref}`);
    const id = this.nextId++;
    const url = `https://github.com/${this.owner}/${this.repo}/actions/runs/${id}`;
    this.runs.push({
      id,
      title: `conveyor ${cid}`,
      status: "queued",
      conclusion: null,
      createdAt: this.iso(),
      url,
      inputs: { ...inputs },
    });
    if (failure) throw failure.error; // the run started; the answer was lost
    return this.runDetails ? { runId: id, url } : {};
  }

  async cancelRun(runId: number, force: boolean): Promise<void> {
    this.call("cancelRun", `${this.slug}:${force ? "force-cancel" : "cancel"} run ${runId}`);
    const r = this.mustRun(runId);
    if (r.status === "completed")
      throw new GitHubError(409, "Cannot cancel a workflow run that is completed.");
    r.cancelRequested = true;
    if (force || r.status === "queued") {
      r.status = "completed";
      r.conclusion = "cancelled";
    }
  }

  async listCheckRuns(sha: string): Promise<GhCheckRun[]> {
    const found = this.checkRuns.filter((c) => c.headSha === sha);
    this.call("listCheckRuns", `GET check-runs ${sha.slice(0, 7)}`, listed(found));
    return found.map((c) => ({
      id: c.id,
      name: c.name,
      headSha: c.headSha,
      status: c.status,
      conclusion: c.conclusion ?? null,
    }));
  }

  async createCheckRun(input: CheckRunInput): Promise<number> {
    this.call(
      "createCheckRun",
      `${this.slug}:check "${input.name}" ${input.conclusion ?? input.status}`,
    );
    const id = this.nextId++;
    this.checkRuns.push({ ...input, id });
    return id;
  }

  async updateCheckRun(id: number, input: CheckRunInput): Promise<void> {
    this.call(
      "updateCheckRun",
      `${this.slug}:check "${input.name}" ${input.conclusion ?? input.status}`,
    );
    const i = this.checkRuns.findIndex((c) => c.id === id);
    if (i < 0) throw new GitHubError(404, "Not Found");
    this.checkRuns[i] = { ...input, id };
  }
}

const labelDiff = (before: string[], after: string[]): string =>
  [
    ...before.filter((l) => !after.includes(l)).map((l) => `-${l}`),
    ...after.filter((l) => !before.includes(l)).map((l) => `+${l}`),
  ].join(",");

const firstLine = (text: string): string => {
  const line = text.split("\n")[0] ?? "";
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
};
