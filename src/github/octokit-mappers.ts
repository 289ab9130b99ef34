/** Plain port values from GitHub's REST and GraphQL answers. */
import { OWN_CHECKS } from "../core/conveyor-check.js";
import type {
  CheckRunInput,
  GhComment,
  GhIssue,
  GhPull,
  GhPullDetail,
  GhRun,
  RefState,
} from "./port.js";

type Json = Record<string, unknown>;

/** A commit's `statusCheckRollup` as `ROLLUP` reads it. */
export interface GqlRollup {
  state: string;
  contexts?: {
    totalCount: number;
    nodes: ({
      __typename?: string;
      name?: string;
      status?: string;
      conclusion?: string | null;
      context?: string;
      state?: string;
    } | null)[];
  };
}

/**
 * The state of a commit's checks without Conveyor's own (`OWN_CHECKS`: the `Conveyor`
 * check of quiet mode, the `Conveyor config` check): computed from the other checks when
 * one of ours is among them, else GitHub's combined state. When the commit has more checks
 * than one read lists, GitHub's combined state is all there is.
 */
export function ciState(
  rollup: GqlRollup | null | undefined,
  own: readonly string[] = OWN_CHECKS,
): RefState {
  if (!rollup) return "success";
  const contexts = rollup.contexts;
  const isOwn = (n: NonNullable<GqlRollup["contexts"]>["nodes"][number]) =>
    n?.__typename === "CheckRun" && own.includes(n.name ?? "");
  const nodes = contexts?.nodes ?? [];
  if (!nodes.some(isOwn) || (contexts?.totalCount ?? 0) > nodes.length)
    return rollupState(rollup.state);
  let state: RefState = "success";
  for (const n of nodes) {
    if (!n || isOwn(n)) continue;
    const s =
      n.__typename === "CheckRun" ? checkRunState(n.status, n.conclusion) : rollupState(n.state);
    if (s === "failure") return "failure";
    if (s === "pending") state = "pending";
  }
  return state;
}

function checkRunState(
  status: string | undefined,
  conclusion: string | null | undefined,
): RefState {
  if (status !== "COMPLETED") return "pending";
  switch (conclusion) {
    case "SUCCESS":
    case "NEUTRAL":
    case "SKIPPED":
      return "success";
    case "STALE":
      return "pending";
    default:
      return "failure";
  }
}

export function rollupState(state: string | undefined): RefState {
  switch (state) {
    case "FAILURE":
    case "ERROR":
      return "failure";
    case "PENDING":
    case "EXPECTED":
      return "pending";
    default:
      return "success"; // SUCCESS, or no statuses and no check runs at all
  }
}

export interface GqlDefaultBranch {
  deleteBranchOnMerge: boolean;
  defaultBranchRef: {
    name: string;
    target: {
      oid?: string;
      file?: { object: { text?: string | null } | null } | null;
      history?: {
        nodes: { oid: string; message: string; statusCheckRollup: GqlRollup | null }[];
      };
    } | null;
  } | null;
}

export interface GqlActor {
  __typename: string;
  login: string;
}

export interface GqlIssue {
  number: number;
  title: string;
  body: string;
  state: "OPEN" | "CLOSED";
  createdAt: string;
  updatedAt: string;
  author: GqlActor | null;
  labels: { nodes: { name: string }[] } | null;
  timelineItems?: {
    nodes: ({ createdAt: string; label: { name: string } | null; actor: GqlActor | null } | null)[];
  };
  closedByPullRequestsReferences?: { nodes: (GqlPull | null)[] };
  comments?: { totalCount: number; nodes: (GqlComment | null)[] };
}

/** An issue comment as `ISSUE_COMMENTS` reads it (`fullDatabaseId`: a BigInt, as a string). */
export interface GqlComment {
  fullDatabaseId: string | number | null;
  body: string;
  createdAt: string;
  updatedAt: string;
  author: GqlActor | null;
}

export interface GqlTracked {
  issues: { nodes: GqlIssue[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
  board?: { nodes: GqlIssue[] } | null;
  closed?: { nodes: GqlIssue[] } | null;
}

/** GraphQL names a GitHub App's bot `conveyor`; REST (and webhooks) `conveyor[bot]`. */
export const loginOf = (actor: GqlActor | null): string =>
  !actor ? "" : actor.__typename === "Bot" ? `${actor.login}[bot]` : actor.login;

/** The last time each label was added, and by whom, from LABELED_EVENT timeline items. */
export function labeledOf(
  items: GqlIssue["timelineItems"],
): { label: string; at: string; by: string }[] {
  const labeled = new Map<string, { label: string; at: string; by: string }>();
  for (const e of items?.nodes ?? []) {
    if (!e?.label) continue;
    labeled.set(e.label.name, { label: e.label.name, at: e.createdAt, by: loginOf(e.actor) });
  }
  return [...labeled.values()];
}

export function fromGqlIssue(i: GqlIssue): GhIssue {
  return {
    number: i.number,
    title: i.title,
    body: i.body,
    labels: (i.labels?.nodes ?? []).map((l) => l.name),
    state: i.state === "OPEN" ? "open" : "closed",
    author: loginOf(i.author),
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
    isPullRequest: false,
    ...(i.timelineItems ? { labeled: labeledOf(i.timelineItems) } : {}),
    ...(i.closedByPullRequestsReferences
      ? {
          linkedPulls: i.closedByPullRequestsReferences.nodes
            .filter((p): p is GqlPull => p !== null)
            .map(fromGqlPull),
        }
      : {}),
    ...commentsOf(i),
  };
}

/**
 * The comments read with an issue, when each has its REST id (without one, a status
 * comment could not be edited: the loader then reads the issue's comments through REST).
 */
function commentsOf(i: GqlIssue): Pick<GhIssue, "comments" | "commentCount"> {
  if (!i.comments) return {};
  const nodes = i.comments.nodes.filter((c): c is GqlComment => c !== null);
  const comments = nodes.map((c) => fromGqlComment(i.number, c));
  if (comments.some((c) => !Number.isSafeInteger(c.id) || c.id <= 0)) return {};
  return { comments, commentCount: i.comments.totalCount };
}

/**
 * A comment as REST would show it: `id` its REST id, the author's login as REST writes it
 * (`name[bot]` for an app's bot, "" for a deleted account): the loader trusts status
 * comments and results by that login.
 */
export function fromGqlComment(issue: number, c: GqlComment): GhComment {
  return {
    id: Number(c.fullDatabaseId),
    issue,
    body: c.body,
    author: loginOf(c.author),
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

export interface GqlPull {
  number: number;
  title: string;
  headRefOid: string;
  headRefName: string;
  baseRefName: string;
  isCrossRepository?: boolean;
  state: "OPEN" | "CLOSED" | "MERGED";
  merged: boolean;
  mergeable: "MERGEABLE" | "CONFLICTING" | "UNKNOWN";
  labels: { nodes: { name: string }[] } | null;
  files?: { nodes: { path: string }[]; pageInfo: { hasNextPage: boolean } } | null;
}

export function fromGqlPull(p: GqlPull): GhPullDetail {
  return {
    number: p.number,
    title: p.title,
    headSha: p.headRefOid,
    headRef: p.headRefName,
    baseRef: p.baseRefName,
    state: p.state === "OPEN" ? "open" : "closed",
    merged: p.merged,
    mergeable: p.mergeable === "MERGEABLE" ? true : p.mergeable === "CONFLICTING" ? false : null,
    labels: (p.labels?.nodes ?? []).map((l) => l.name),
    ...(p.isCrossRepository ? { fromFork: true } : {}),
  };
}

export function checkBody(input: CheckRunInput): Json {
  return {
    name: input.name,
    status: input.status,
    ...(input.conclusion ? { conclusion: input.conclusion } : {}),
    output: {
      title: input.title,
      summary: input.summary,
      ...(input.text ? { text: input.text } : {}),
    },
  };
}

export function toIssue(i: Json): GhIssue {
  return {
    number: Number(i.number),
    title: String(i.title ?? ""),
    body: String(i.body ?? ""),
    labels: ((i.labels as (Json | string)[] | undefined) ?? []).map((l) =>
      typeof l === "string" ? l : String(l.name),
    ),
    state: i.state === "closed" ? "closed" : "open",
    author: String((i.user as Json | null)?.login ?? ""),
    createdAt: String(i.created_at),
    updatedAt: String(i.updated_at),
    isPullRequest: i.pull_request !== undefined && i.pull_request !== null,
  };
}

export function toComment(c: Json): GhComment {
  const url = String(c.issue_url ?? "");
  return {
    id: Number(c.id),
    issue: Number(url.slice(url.lastIndexOf("/") + 1)),
    body: String(c.body ?? ""),
    author: String((c.user as Json | null)?.login ?? ""),
    createdAt: String(c.created_at),
    updatedAt: String(c.updated_at),
  };
}

export function toPull(p: Json, withMergeable = false): GhPull {
  const head = p.head as Json;
  const base = p.base as Json;
  return {
    number: Number(p.number),
    title: String(p.title ?? ""),
    headSha: String(head.sha),
    headRef: String(head.ref),
    baseRef: String(base.ref),
    state: p.state === "closed" ? "closed" : "open",
    merged: p.merged === true || (p.merged_at !== null && p.merged_at !== undefined),
    mergeable: withMergeable ? ((p.mergeable as boolean | null | undefined) ?? null) : null,
    labels: ((p.labels as Json[] | undefined) ?? []).map((l) => String(l.name)),
    ...(isFork(head, base) ? { fromFork: true } : {}),
  };
}

/** A head in another repository than the base (or in a deleted fork: `repo` null). */
function isFork(head: Json, base: Json): boolean {
  const headRepo = head.repo as Json | null | undefined;
  const baseRepo = base.repo as Json | null | undefined;
  if (headRepo === undefined || baseRepo === undefined) return false; // not in the answer
  if (headRepo === null) return true;
  return String(headRepo.full_name) !== String(baseRepo?.full_name);
}

export function toRun(r: Json): GhRun {
  return {
    id: Number(r.id),
    title: String(r.display_title ?? r.name ?? ""),
    status: String(r.status) as GhRun["status"],
    conclusion: (r.conclusion as string | null | undefined) ?? null,
    createdAt: String(r.created_at),
    ...(r.run_started_at ? { startedAt: String(r.run_started_at) } : {}),
    url: String(r.html_url ?? ""),
  };
}
