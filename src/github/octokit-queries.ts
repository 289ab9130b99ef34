/** The GraphQL documents the port sends (checked against GitHub's schema in the tests). */

type Json = Record<string, unknown>;

/** The last label events of an issue or PR: when each label was added, and by whom. */
export const LABEL_EVENTS = `timelineItems(itemTypes: [LABELED_EVENT], last: 30) {
        nodes { ... on LabeledEvent { createdAt label { name } actor { __typename login } } }
      }`;

export const ISSUE_FIELDS = `number title body state createdAt updatedAt
      author { __typename login }
      labels(first: 100) { nodes { name } }`;

/** Comments read with each tracked issue (GraphQL's most per connection). */
export const COMMENTS_PER_ISSUE = 100;

/**
 * The first comments of an issue, oldest first, and how many it has: the loader reads a
 * longer thread whole through REST (`listIssueComments`). The REST id is `fullDatabaseId`
 * (a BigInt, sent as a string): comment ids have outgrown `databaseId`'s 32-bit Int.
 */
export const ISSUE_COMMENTS = `comments(first: ${COMMENTS_PER_ISSUE}) {
          totalCount
          nodes { fullDatabaseId body createdAt updatedAt author { __typename login } }
        }`;

/**
 * The tracked issues (open, carrying any of `$labels`) with the last label events and the
 * first comments of each, the closed issues still under way (with their comments too: they
 * are tasks), and the dashboard (`$board`, any state); each only when its variable says so.
 */
function trackedFields(
  issuesIf: string | undefined,
  boardIf: string,
  closedIf: string,
  paged: boolean,
): string {
  const issuesDirective = issuesIf ? ` @include(if: ${issuesIf})` : "";
  return `    issues(states: OPEN, labels: $labels, first: 100, ${paged ? "after: $after, " : ""}orderBy: {field: CREATED_AT, direction: ASC})${issuesDirective} {
      pageInfo { hasNextPage endCursor }
      nodes {
        ${ISSUE_FIELDS}
        ${LINKED_PULLS}
        ${LABEL_EVENTS}
        ${ISSUE_COMMENTS}
      }
    }
    board: issues(labels: $board, first: 5, orderBy: {field: CREATED_AT, direction: ASC}) @include(if: ${boardIf}) {
      nodes { ${ISSUE_FIELDS} }
    }
    closed: issues(states: CLOSED, labels: $active, first: 50, orderBy: {field: UPDATED_AT, direction: DESC}) @include(if: ${closedIf}) {
      nodes { ${ISSUE_FIELDS} ${LINKED_PULLS} ${ISSUE_COMMENTS} }
    }`;
}

/** The PRs that close an issue when they merge ("Closes #N"), open or not. */
export const LINKED_PULLS = `closedByPullRequestsReferences(first: 5, includeClosedPrs: true) {
          nodes { number title headRefOid headRefName baseRefName isCrossRepository state merged mergeable labels(first: 20) { nodes { name } } }
        }`;

/**
 * A commit's combined checks, with the checks they combine: Conveyor's own (`OWN_CHECKS`)
 * are left out when the state is read (`ciState`), so it never waits on itself.
 */
export const ROLLUP = `statusCheckRollup {
            state
            contexts(first: 50) {
              totalCount
              nodes {
                __typename
                ... on CheckRun { name status conclusion }
                ... on StatusContext { context state }
              }
            }
          }`;

export const DEFAULT_BRANCH_QUERY = `query DefaultBranch($owner: String!, $repo: String!, $file: String!, $depth: Int!, $labels: [String!], $board: [String!], $active: [String!], $withTracked: Boolean!, $withClosed: Boolean!) {
  repository(owner: $owner, name: $repo) {
${trackedFields("$withTracked", "$withTracked", "$withClosed", false)}
    deleteBranchOnMerge
    defaultBranchRef {
      name
      target {
        ... on Commit {
          oid
          file(path: $file) { object { ... on Blob { text } } }
          history(first: $depth) { nodes { oid message ${ROLLUP} } }
        }
      }
    }
  }
}`;

/** The issues Conveyor tracks (any of the stage labels: GraphQL's label filter is an OR, REST's an AND). */
export const TRACKED_QUERY = `query Tracked($owner: String!, $repo: String!, $labels: [String!], $board: [String!], $active: [String!], $after: String, $withBoard: Boolean!, $withClosed: Boolean!) {
  repository(owner: $owner, name: $repo) {
${trackedFields(undefined, "$withBoard", "$withClosed", true)}
  }
}`;

export const LABEL_EVENTS_QUERY = `query LabelEvents($owner: String!, $repo: String!, $n: Int!) {
  repository(owner: $owner, name: $repo) {
    issueOrPullRequest(number: $n) {
      ... on Issue { ${LABEL_EVENTS} }
      ... on PullRequest { ${LABEL_EVENTS} }
    }
  }
}`;

export const REF_STATE_QUERY = `query RefState($owner: String!, $repo: String!, $ref: String!) {
  repository(owner: $owner, name: $repo) {
    object(expression: $ref) {
      ... on Commit { ${ROLLUP} }
    }
  }
}`;

export const COMMIT_MUTATION = `mutation CommitFiles($input: CreateCommitOnBranchInput!) {
  createCommitOnBranch(input: $input) { commit { oid } }
}`;

/** PRs per GraphQL query (aliases); each may carry up to 100 files. */
export const PULLS_PER_QUERY = 50;

/** One query for several PRs: an alias per PR, the numbers as variables. */
export function pullsQuery(
  owner: string,
  repo: string,
  numbers: number[],
  files: boolean,
): { query: string; variables: Json } {
  const fields = `number title headRefOid headRefName baseRefName isCrossRepository state merged mergeable
      labels(first: 100) { nodes { name } }${files ? "\n      files(first: 100) { nodes { path } pageInfo { hasNextPage } }" : ""}`;
  const params = numbers.map((_, i) => `$n${i}: Int!`).join(", ");
  const aliases = numbers
    .map((_, i) => `    pr${i}: pullRequest(number: $n${i}) {\n      ${fields}\n    }`)
    .join("\n");
  const variables: Json = { owner, repo };
  numbers.forEach((n, i) => {
    variables[`n${i}`] = n;
  });
  return {
    query: `query Pulls($owner: String!, $repo: String!, ${params}) {\n  repository(owner: $owner, name: $repo) {\n${aliases}\n  }\n}`,
    variables,
  };
}
