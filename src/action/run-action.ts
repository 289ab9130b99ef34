import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Octokit } from "@octokit/rest";
import { branchName } from "../agent/branch-name.js";
import { GitHubHost } from "../agent/github-host.js";
import type { AgentDriver, RoleOutcome, RunRoleOptions } from "../agent/role-types.js";
import { runRole } from "../agent/run-role.js";
import { basicAuthHeader } from "../agent/safe-git-env.js";
import { type Config, modelFor, type Role, readConfigText } from "../core/config.js";
import { parseLocations } from "../core/locations.js";
import { errorText } from "../github/http-errors.js";
import { makeOctokit as throttledOctokit } from "../github/make-octokit.js";
import { OctokitPort } from "../github/octokit-port.js";
import { githubUrls } from "../github/octokit-transport.js";
import { type OrchestrateOptions, runOrchestrate } from "../github/orchestrate.js";
import { readCommentCommand, readDashboardEdit } from "./comment-event.js";
import { type GitHubContext, readGitHubContext } from "./github-context.js";
import { type Inputs, readInputs } from "./inputs.js";
import { agentJobSummary } from "./job-summary.js";

/** What the runner hands the Action, passed in so tests can drive it. */
export interface ActionDeps {
  getInput: (name: string) => string;
  env: Record<string, string | undefined>;
  cwd: string;
  log: (line: string) => void;
  now?: () => Date;
  octokit?: (token: string, baseUrl: string) => Octokit;
  runRole?: (options: RunRoleOptions) => Promise<RoleOutcome>;
  runOrchestrate?: (options: OrchestrateOptions) => Promise<{ summary: string }>;
}

/** What the entry file does with the run: set outputs, write the summary, fail or not. */
export interface ActionResult {
  outputs: Record<"result" | "pr" | "verdict" | "tokens" | "cost", string>;
  summary: string;
  /** Set when the step must fail, with the reason in plain words. */
  failure?: string;
}

const ROLE_OF_MODE: Record<Exclude<Inputs["mode"], "orchestrate">, Role> = {
  task: "task",
  review: "reviewer",
  test: "tester",
};

const emptyOutputs = (): ActionResult["outputs"] => ({
  result: "",
  pr: "",
  verdict: "",
  tokens: "0",
  cost: "0",
});

const failed = (message: string): ActionResult => ({
  outputs: emptyOutputs(),
  summary: `### Conveyor\n\n${message}\n`,
  failure: message,
});

/** The Action: validates inputs and config, then runs one role (or one orchestrator pass). */
export async function runAction(deps: ActionDeps): Promise<ActionResult> {
  const read = readInputs(deps.getInput);
  if (!read.ok) return failed(`Invalid inputs:\n${read.errors.map((e) => `- ${e}`).join("\n")}`);
  const inputs = read.inputs;
  const gh = readGitHubContext(deps.env, deps.cwd);
  if (gh instanceof Error) return failed(gh.message);
  const makeOctokit =
    deps.octokit ??
    ((token: string, baseUrl: string) => throttledOctokit(token, baseUrl, deps.log));

  if (inputs.mode === "orchestrate") {
    const octokit = makeOctokit(inputs.githubToken, gh.apiUrl);
    // The runner tells where the APIs and the web pages are (GHE: /api/v3, /api/graphql).
    const port = new OctokitPort(octokit, gh.owner, gh.repo, {
      urls: githubUrls(gh.apiUrl, { graphql: gh.graphqlUrl, web: gh.serverUrl }),
    });
    const command = readCommentCommand(deps.env);
    const dashboardEdit = readDashboardEdit(deps.env);
    try {
      const out = await (deps.runOrchestrate ?? runOrchestrate)({
        octokit,
        port,
        owner: gh.owner,
        repo: gh.repo,
        configPath: inputs.configPath,
        dryRun: inputs.dryRun,
        log: deps.log,
        ...(command ? { command } : {}),
        ...(dashboardEdit ? { dashboardEdit } : {}),
      });
      return { outputs: emptyOutputs(), summary: out.summary };
    } catch (e: unknown) {
      // A read that failed (GitHub down, a token without access): one line that says which
      // call, and the summary all the same.
      const what = `The pass on ${gh.owner}/${gh.repo} failed: ${errorText(e)}`;
      return {
        outputs: emptyOutputs(),
        summary: [
          `### Conveyor ${inputs.dryRun ? "dry run" : "pass"} on ${gh.owner}/${gh.repo}`,
          "",
          `**Failed:** ${errorText(e)}`,
          "",
          `${port.requestsSent()} GitHub requests. The next event or scheduled run tries again.`,
          "",
        ].join("\n"),
        failure: what,
      };
    }
  }

  const config = loadConfig(gh.workspace, inputs.configPath);
  if (config instanceof Error) return failed(config.message);
  const role = ROLE_OF_MODE[inputs.mode];
  const issue = String(inputs.issue);
  const model = inputs.model ?? modelFor(config, role, inputs.attempt);
  const correlationId = inputs.correlationId ?? `${issue}/${role}/${inputs.attempt}/${gh.runId}`;
  const now = deps.now ?? (() => new Date());
  // The role's timeout counts from the dispatch: leave a minute for the job's setup steps.
  const deadline = new Date(now().getTime() + (config.roles[role].timeoutMinutes - 1) * 60_000);

  const driver = driverFor(config, inputs, deps.env);
  if (driver instanceof Error) return failed(driver.message);
  if (inputs.dryRun) return dryRun(gh, inputs, role, model, correlationId, deadline);

  const host = new GitHubHost({
    octokit: makeOctokit(inputs.githubToken, gh.apiUrl),
    owner: gh.owner,
    repo: gh.repo,
    publishers: config.agent.resultAuthors,
    comments: config.comments,
    runId: gh.runId,
  });
  const data = await host.readIssue(issue);
  let branch: string;
  let baseBranch: string;
  if (role === "task") {
    branch = branchName(issue, data.title);
    baseBranch = config.baseBranch ?? (await host.defaultBranch());
  } else {
    const pull = await host.pullRequest(inputs.pr!);
    branch = pull.branch;
    baseBranch = pull.base;
  }
  deps.log(`${correlationId}: ${role} on ${branch} (base ${baseBranch}), model ${model}`);
  const outcome = await (deps.runRole ?? runRole)({
    role,
    workspace: gh.workspace,
    task: {
      id: issue,
      title: data.title,
      body: data.body,
      locations: parseLocations(data.body),
      comments: data.comments,
    },
    attempt: inputs.attempt,
    ...(inputs.feedback ? { feedback: inputs.feedback } : {}),
    correlationId,
    branch,
    baseBranch,
    ...(inputs.pr !== undefined ? { pr: inputs.pr } : {}),
    config,
    model,
    driver,
    host,
    deadline,
    // checkout runs with persist-credentials: false; the token is given to fetch and push only.
    remoteGitConfig: {
      [`http.${gh.serverUrl}/.extraheader`]: basicAuthHeader(inputs.githubToken),
    },
    log: deps.log,
    ...(deps.now ? { now: deps.now } : {}),
  });
  const r = outcome.result;
  return {
    outputs: {
      result: JSON.stringify(r),
      pr: r.pr !== undefined ? String(r.pr) : "",
      verdict: r.verdict ?? (r.passed === undefined ? "" : r.passed ? "pass" : "fail"),
      tokens: String(r.tokens ?? 0),
      cost: (r.costUsd ?? 0).toFixed(6),
    },
    summary: agentJobSummary(outcome, model),
    ...(r.outcome === "failed" ? { failure: r.summary } : {}),
  };
}

function loadConfig(workspace: string, configPath: string): Config | Error {
  const path = join(workspace, configPath);
  const read = readConfigText(
    existsSync(path) ? readFileSync(path, "utf8") : undefined,
    `The configuration ${configPath}`,
  );
  return read.problem !== undefined ? new Error(read.problem) : read.config;
}

function driverFor(
  config: Config,
  inputs: Inputs,
  env: Record<string, string | undefined>,
): AgentDriver | Error {
  if (config.agent.runner === "command")
    return {
      kind: "command",
      command: config.agent.command!,
      env: {
        ...(inputs.anthropicApiKey ? { ANTHROPIC_API_KEY: inputs.anthropicApiKey } : {}),
        ...inputs.agentEnv,
      },
    };
  // A dry run checks what the real run needs: without the key it would fail, so does this.
  if (!inputs.anthropicApiKey)
    return new Error(
      `input 'anthropic-api-key' is required with the ${config.agent.runner} agent runner`,
    );
  return {
    kind: "builtin",
    apiKey: inputs.anthropicApiKey ?? "",
    ...(env.ANTHROPIC_BASE_URL ? { baseURL: env.ANTHROPIC_BASE_URL } : {}),
  };
}

function dryRun(
  gh: GitHubContext,
  inputs: Inputs,
  role: Role,
  model: string,
  correlationId: string,
  deadline: Date,
): ActionResult {
  const summary = [
    `### Conveyor ${role} agent (dry run)`,
    "",
    `Would run the ${role} agent on ${gh.owner}/${gh.repo} issue #${inputs.issue}${inputs.pr !== undefined ? `, PR #${inputs.pr}` : ""}, attempt ${inputs.attempt}, model \`${model}\`, run \`${correlationId}\`, deadline ${deadline.toISOString()}.`,
    "",
    "Inputs and configuration are valid. Nothing was read from or written to GitHub or the Anthropic API.",
  ].join("\n");
  return {
    outputs: {
      ...emptyOutputs(),
      result: JSON.stringify({ correlationId, role, outcome: "ok", summary: "dry run" }),
      ...(inputs.pr !== undefined ? { pr: String(inputs.pr) } : {}),
    },
    summary: `${summary}\n`,
  };
}
