import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { AGENT_PRESETS, OUTPUT_FORMATS, PRESET_SPECS, presetCommand } from "./agent-presets.js";

/** Where sandboxed commands may connect by default: the model API and package registries. */
export const DEFAULT_SANDBOX_DOMAINS = [
  "api.anthropic.com",
  "registry.npmjs.org",
  "registry.yarnpkg.com",
  "pypi.org",
  "files.pythonhosted.org",
  "crates.io",
  "index.crates.io",
  "static.crates.io",
  "proxy.golang.org",
  "sum.golang.org",
  "repo.maven.apache.org",
  "repo1.maven.org",
  "rubygems.org",
] as const;

/**
 * The one schema of `.github/conveyor.yml` (also read by local mode). Every default
 * reproduces a rule of the workflow table in ARCHITECTURE.md, so an empty file is a
 * complete, working configuration.
 */

export const ROLES = ["task", "reviewer", "tester"] as const;
export type Role = (typeof ROLES)[number];

export const PRIORITIES = ["critical", "high", "medium", "low"] as const;
export type Priority = (typeof PRIORITIES)[number];

const minutes = (d: number) =>
  z
    .number()
    .positive()
    .max(24 * 60)
    .default(d);

const roleSchema = (timeoutMinutes: number, maxTurns: number) =>
  z
    .object({
      timeoutMinutes: minutes(timeoutMinutes).describe(
        "Minutes after which the agent run is cancelled and counted as a failure.",
      ),
      model: z
        .string()
        .min(1)
        .optional()
        .describe("Model id for this role; defaults to `agent.model`."),
      retryModel: z
        .string()
        .min(1)
        .optional()
        .describe("Optional cheaper (or stronger) model used for the retry attempt."),
      maxTurns: z.number().int().positive().max(1000).default(maxTurns),
      maxTokens: z
        .number()
        .int()
        .min(256)
        .max(128_000)
        .default(16_000)
        .describe("Output tokens per model call (max_tokens); large values are streamed."),
      contextBudgetTokens: z
        .number()
        .int()
        .min(10_000)
        .max(1_000_000)
        .default(120_000)
        .describe(
          "Input tokens the built-in loop keeps the conversation under: past it, old tool results are cleared.",
        ),
      prompt: z
        .string()
        .optional()
        .describe("Overrides the role's prompt template ({{placeholders}} as in the defaults)."),
    })
    .strict()
    .prefault({});

const priceSchema = z
  .object({
    input: z.number().nonnegative().describe("USD per million input tokens."),
    output: z.number().nonnegative().describe("USD per million output tokens."),
    cacheWrite: z.number().nonnegative().describe("USD per million cache-write tokens."),
    cacheRead: z.number().nonnegative().describe("USD per million cache-read tokens."),
  })
  .strict();

export const DEFAULT_MODEL = "claude-sonnet-5-5";

export const NO_TECH_DEBT =
  "Leave no tech debt: no TODOs, no dead code, no workarounds you would not merge; fix the cause, not the symptom.";

/**
 * Prices in USD per million tokens. Kept in config so a price change needs no release;
 * `agent.prices` entries merge over these. Models past their end of life (the SDK's
 * deprecation list: claude-sonnet-4-5 on 2026-11-30) have no default.
 */
export const DEFAULT_PRICES: Record<string, z.infer<typeof priceSchema>> = {
  "claude-sonnet-5-5": { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  "claude-sonnet-4-6": { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  "claude-haiku-5-5": { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 },
  "claude-haiku-4-5": { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 },
  "claude-opus-5-5": { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 },
  "claude-opus-4-6": { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 },
};

const httpCheckSchema = z
  .object({
    name: z.string().min(1).optional(),
    url: z.url().describe("Readiness URL, e.g. http://localhost:6333/readyz."),
    expectStatus: z.number().int().min(100).max(599).default(200),
    timeoutSeconds: z.number().positive().max(60).default(5),
  })
  .strict();

const labelsSchema = z
  .object({
    todo: z.string().min(1).default("conveyor:todo"),
    inProgress: z.string().min(1).default("conveyor:in-progress"),
    review: z.string().min(1).default("conveyor:review"),
    testing: z.string().min(1).default("conveyor:testing"),
    mergeQueue: z.string().min(1).default("merge-queue"),
    done: z.string().min(1).default("conveyor:done"),
    escalated: z.string().min(1).default("conveyor:escalated"),
    board: z
      .string()
      .min(1)
      .default("conveyor:board")
      .describe('Marks the dashboard issue ("Conveyor board"), which Conveyor creates.'),
  })
  .strict()
  .prefault({});

const prioritiesSchema = z
  .object({
    critical: z.string().min(1).default("priority:critical"),
    high: z.string().min(1).default("priority:high"),
    medium: z.string().min(1).default("priority:medium"),
    low: z.string().min(1).default("priority:low"),
    default: z.enum(PRIORITIES).default("medium").describe("Priority of an unlabelled task."),
  })
  .strict()
  .prefault({});

const testRuleSchema = z
  .object({
    glob: z.string().min(1).describe("Changed files matching this glob select the command."),
    command: z
      .string()
      .min(1)
      .describe("Command template; {files} is replaced by the matching files, shell-quoted."),
  })
  .strict();

export const configSchema = z
  .object({
    baseBranch: z
      .string()
      .min(1)
      .optional()
      .describe("Branch that PRs target; defaults to the repository's default branch."),
    capacity: z
      .object({
        agents: z
          .number()
          .int()
          .min(1)
          .max(100)
          .default(6)
          .describe("Agents running at once, all roles together (one shared pool)."),
        inFlight: z
          .number()
          .int()
          .min(1)
          .max(100)
          .optional()
          .describe(
            "Tasks between in-progress and testing at once; defaults to `capacity.agents`.",
          ),
      })
      .strict()
      .prefault({})
      .transform((c) => ({ agents: c.agents, inFlight: c.inFlight ?? c.agents })),
    labels: labelsSchema,
    priorities: prioritiesSchema,
    roles: z
      .object({
        task: roleSchema(15, 60),
        reviewer: roleSchema(10, 40),
        tester: roleSchema(15, 60),
      })
      .strict()
      .prefault({}),
    retries: z
      .number()
      .int()
      .min(0)
      .max(5)
      .default(1)
      .describe("Failures retried in place before a task is escalated."),
    guards: z
      .object({
        maxRunsPerTask: z
          .number()
          .int()
          .min(1)
          .max(100)
          .optional()
          .describe(
            "Agent runs per task since the last /conveyor retry, all roles; reaching it escalates. Default: 7 + 8 × retries (every path the retry rules allow, plus two review rounds).",
          ),
        maxDispatchesPerHour: z
          .number()
          .int()
          .min(1)
          .max(10000)
          .default(60)
          .describe(
            "Re-dispatches and retries (runs beyond a task's first task, review and test runs) per repository per rolling hour; reaching it pauses them.",
          ),
        startGraceMinutes: z
          .number()
          .positive()
          .max(120)
          .default(10)
          .describe("A dispatched agent not started after this long is re-dispatched (a retry)."),
        cancelGraceMinutes: z
          .number()
          .positive()
          .max(60)
          .default(5)
          .describe("After a cancel, minutes to wait before a force-cancel."),
        exclusiveLocations: z
          .boolean()
          .default(true)
          .describe("Tasks whose Location sections overlap never have task agents at once."),
      })
      .strict()
      .prefault({}),
    merge: z
      .object({
        method: z.enum(["merge", "squash", "rebase"]).default("merge"),
        batchDisjoint: z
          .boolean()
          .default(true)
          .describe("Merge PRs with pairwise-disjoint changed files as one batch."),
        maxBatch: z.number().int().min(1).max(20).default(5),
        batchWindowSeconds: z
          .number()
          .min(0)
          .max(3600)
          .default(5)
          .describe(
            "Local mode: seconds a task that reached the merge queue waits for tasks still in flight to join its batch (0: merge at once).",
          ),
        deleteBranch: z.boolean().default(true),
        baseModifiedRetries: z.number().int().min(0).max(10).default(3),
        sharedFiles: z
          .array(z.string().min(1))
          .default(["CHANGELOG.md"])
          .describe(
            "Files every PR appends to (the changelog): ignored when deciding whether PRs overlap or the base moved under a PR.",
          ),
      })
      .strict()
      .prefault({}),
    tests: z
      .object({
        rules: z.array(testRuleSchema).default([]),
        taskAgentRunsTests: z
          .boolean()
          .default(false)
          .describe("Allow the task agent to run the test suite (the workflow says it does not)."),
        fallback: z
          .string()
          .min(1)
          .optional()
          .describe(
            "Test command the tester runs when no rule, convention or related test matches the changed files; default: the project's own (package.json test, pytest, go test ./..., cargo test).",
          ),
      })
      .strict()
      .prefault({}),
    sandbox: z
      .object({
        allowedDomains: z
          .array(
            z
              .string()
              .regex(
                /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i,
                "a host name, or *.domain for every subdomain",
              ),
          )
          .default([...DEFAULT_SANDBOX_DOMAINS])
          .describe(
            "Hosts the agent's sandboxed commands may reach (HTTPS through Conveyor's proxy; '*.example.com' for subdomains). The default: the model API and the common package registries. [] = no network.",
          ),
      })
      .strict()
      .prefault({}),
    mirror: z
      .object({
        enabled: z.boolean().default(true),
        branch: z
          .string()
          .min(1)
          .optional()
          .describe("Branch the tracking files are written to; defaults to the base branch."),
        folder: z
          .string()
          .default("")
          .refine(
            (f) =>
              !/^[\\/]/.test(f) &&
              !/^[A-Za-z]:/.test(f) &&
              !f.split(/[\\/]/).includes("..") &&
              !f.includes("\0"),
            "must be a relative folder inside the repository (no leading /, no '..')",
          )
          .describe("Folder of the tracking files, relative to the repository root; '' = root."),
      })
      .strict()
      .prefault({}),
    preflight: z
      .object({
        http: z.array(httpCheckSchema).default([]),
        baseBranchGreen: z
          .boolean()
          .default(true)
          .describe("Dispatch nothing while the base branch's checks fail (local: tree dirty)."),
      })
      .strict()
      .prefault({}),
    permissions: z
      .object({
        schedule: z
          .enum(["triage", "write", "maintain", "admin"])
          .default("write")
          .describe("Minimum repository permission to schedule work or run commands."),
        allowBots: z.array(z.string()).default([]),
      })
      .strict()
      .prefault({}),
    agent: z
      .object({
        runner: z
          .enum(["builtin", "command", "claude-code"])
          .optional()
          .describe(
            "builtin: Conveyor's own loop over the Messages API; command: an agent CLI (agent.command or agent.preset); claude-code: Claude Code through the Claude Agent SDK (install @anthropic-ai/claude-agent-sdk). Default: command with a preset, else builtin.",
          ),
        preset: z
          .enum(AGENT_PRESETS)
          .optional()
          .describe(
            "A known agent CLI: its non-interactive command, the API keys it needs passed through, and its output parser.",
          ),
        command: z
          .string()
          .min(1)
          .optional()
          .describe(
            "With runner: command, the prompt is piped to this command's stdin (overrides the preset's command).",
          ),
        args: z
          .array(z.string())
          .default([])
          .describe("Extra arguments appended to the preset's command (e.g. --model …)."),
        output: z
          .enum(OUTPUT_FORMATS)
          .optional()
          .describe("How to read the command's output; default: the preset's, else report."),
        env: z
          .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a variable name"))
          .default([])
          .describe(
            "Environment variables passed through to the agent command (e.g. OPENAI_API_KEY); every other credential is scrubbed.",
          ),
        model: z.string().min(1).default(DEFAULT_MODEL),
        noTechDebt: z
          .string()
          .default(NO_TECH_DEBT)
          .describe("The quality line every role prompt carries; '' leaves it out."),
        costBudgetUsd: z
          .number()
          .positive()
          .default(5)
          .describe("Cost budget of one agent run; the run finishes when it is spent."),
        taskBudgetUsd: z
          .number()
          .positive()
          .default(20)
          .describe("Cost budget of one task over all its runs; reaching it escalates."),
        prices: z
          .record(z.string(), priceSchema)
          .default({})
          .describe("Prices per model (USD per million tokens), merged over the defaults."),
        resultAuthors: z
          .array(z.string().regex(/^[A-Za-z0-9][\w.-]*(\[bot\])?$/, "must be a GitHub login"))
          .min(1)
          .default(["github-actions[bot]"])
          .describe(
            "The identities the agent workflow publishes results as: `github-actions[bot]` with GITHUB_TOKEN, `<app-slug>[bot]` with the optional agent App (vars.CONVEYOR_APP_ID). Result comments count only from these (the GitHub App trusts its own identity too).",
          ),
        claudeCode: z
          .object({
            settingSources: z
              .array(z.enum(["user", "project", "local"]))
              .default([])
              .describe(
                "Claude Code settings files the claude-code runner loads: user (~/.claude/settings.json), project (.claude/settings.json, CLAUDE.md), local (.claude/settings.local.json). Default: none, so only Conveyor's role settings apply.",
              ),
          })
          .strict()
          .prefault({})
          .describe("Settings of agent.runner: claude-code."),
      })
      .strict()
      .prefault({})
      .refine((a) => a.runner !== "command" || a.command !== undefined || a.preset !== undefined, {
        message: "agent.command or agent.preset is required when agent.runner is 'command'",
        path: ["command"],
      })
      .refine((a) => a.runner === undefined || a.runner === "command" || a.preset === undefined, {
        message: "agent.preset needs agent.runner: command (or no runner)",
        path: ["preset"],
      })
      .transform((a) => {
        const runner: "builtin" | "command" | "claude-code" =
          a.runner ?? (a.preset ? "command" : "builtin");
        const command = a.command ?? (a.preset ? presetCommand(a.preset, a.args) : undefined);
        return {
          ...a,
          runner,
          ...(command !== undefined ? { command } : {}),
          output: a.output ?? (a.preset ? PRESET_SPECS[a.preset].output : "report"),
          env: [...new Set([...(a.preset ? PRESET_SPECS[a.preset].env : []), ...a.env])],
          prices: { ...DEFAULT_PRICES, ...a.prices },
        };
      }),
    security: z
      .object({
        allowWorkflowChanges: z
          .boolean()
          .default(false)
          .describe(
            "Let agent PRs that change .github/** (workflows, conveyor.yml) merge; each still needs an approving review of its head by a maintainer. false: such a PR is escalated, never merged by Conveyor.",
          ),
      })
      .strict()
      .prefault({}),
    sweepMinutes: z.number().positive().max(1440).default(5),
    comments: z
      .enum(["each", "sticky"])
      .default("each")
      .describe(
        "How agent results reach the issue. each: every agent run posts its own result comment (a notification each). sticky (quiet mode): each task gets one result comment, created by its first run and edited by the later ones (edits notify nobody), next to the one status comment.",
      ),
    conveyorCheck: z
      .boolean()
      .optional()
      .describe(
        "A `Conveyor` check run on the PR head that shows the task's stage and its merge queue position, completed when the task is merged, escalated or abandoned. Default: on with comments: sticky, off otherwise.",
      ),
  })
  .strict()
  .superRefine((c, ctx) => {
    // The built-in loop counts cost from these prices: a model without one would cost $0
    // and no budget would ever stop it.
    if (c.agent.runner !== "builtin") return;
    const used: [string, (string | number)[]][] = [[c.agent.model, ["agent", "model"]]];
    for (const role of ROLES) {
      const r = c.roles[role];
      if (r.model) used.push([r.model, ["roles", role, "model"]]);
      if (r.retryModel) used.push([r.retryModel, ["roles", role, "retryModel"]]);
    }
    for (const [model, path] of used)
      if (!priceOf(c.agent.prices, model))
        ctx.addIssue({
          code: "custom",
          path,
          message: `no price for model '${model}': add it to agent.prices (USD per million tokens: input, output, cacheWrite, cacheRead) so budgets apply`,
        });
  })
  .transform((c) => ({
    ...c,
    conveyorCheck: c.conveyorCheck ?? c.comments === "sticky",
    guards: {
      ...c.guards,
      maxRunsPerTask: c.guards.maxRunsPerTask ?? defaultMaxRunsPerTask(c.retries),
    },
  }));

/**
 * The default loop guard: room for every path the retry rules allow. The pipeline takes 3
 * runs (task agent, reviewer, tester); each allowed failure adds at most: a task agent's
 * (or "approach wrong", which counts as one) 2, a reviewer's 1, a tester's (or failed tests)
 * 2, a merge conflict 3 (task agent, reviewer, tester again); plus 4 for two more review
 * rounds (changes requested, a push, a re-test after another PR merged first).
 */
export const defaultMaxRunsPerTask = (retries: number): number => 3 + 8 * retries + 4;

/** The configuration as written (keys with defaults optional). */
export type ConfigInput = z.input<typeof configSchema>;
/** The configuration after defaults: every key present. */
export type Config = z.output<typeof configSchema>;

export interface ConfigError {
  /** Dotted path of the bad key, e.g. `capacity.agents`; empty for the whole file. */
  path: string;
  message: string;
}

/** A valid setting that works against the user, e.g. a cap that leaves agent slots idle. */
export type ConfigWarning = ConfigError;

export type ConfigResult =
  | { ok: true; config: Config; warnings: ConfigWarning[] }
  | { ok: false; errors: ConfigError[] };

export const defaultConfig = (): Config => configSchema.parse({});

/** Validates an already-parsed object. Never throws. */
export function validateConfig(value: unknown): ConfigResult {
  const result = configSchema.safeParse(value ?? {});
  if (result.success)
    return { ok: true, config: result.data, warnings: configWarnings(result.data) };
  return {
    ok: false,
    errors: result.error.issues.flatMap((issue): ConfigError[] => {
      const path = issue.path.map(String);
      if (issue.code === "unrecognized_keys")
        return issue.keys.map((key) => ({
          path: [...path, key].join("."),
          message: `unknown key (allowed: ${allowedKeys(path).join(", ")})`,
        }));
      return [{ path: path.join("."), message: issue.message }];
    }),
  };
}

/** Valid settings that cost throughput: said where config errors are said, never blocking. */
export function configWarnings(config: Config): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const { agents, inFlight } = config.capacity;
  if (inFlight < agents)
    warnings.push({
      path: "capacity.inFlight",
      message: `${inFlight} is below capacity.agents (${agents}): at most ${inFlight} tasks are worked at once, so up to ${agents - inFlight} agent slots stay idle (leave it unset to follow capacity.agents)`,
    });
  return warnings;
}

/** Parses `.github/conveyor.yml` text. Never throws: bad input is a list of errors. */
export function parseConfig(text: string): ConfigResult {
  let value: unknown;
  try {
    const doc = parseYamlStrict(text);
    value = doc;
  } catch (e: unknown) {
    return { ok: false, errors: [{ path: "", message: `not valid YAML: ${yamlErrorLine(e)}` }] };
  }
  if (value !== null && value !== undefined && (typeof value !== "object" || Array.isArray(value)))
    return { ok: false, errors: [{ path: "", message: "the file must be a YAML mapping" }] };
  return validateConfig(value);
}

/** Keys allowed at a path of the schema, to suggest the right spelling. */
function allowedKeys(path: string[]): string[] {
  let node: z.ZodType = configSchema;
  for (const key of path) {
    const shape = objectShape(node);
    const next = shape?.[key];
    if (!next) return [];
    node = next;
  }
  return Object.keys(objectShape(node) ?? {});
}

function objectShape(node: z.ZodType): Record<string, z.ZodType> | undefined {
  // Unwrap defaults, prefaults, optionals and refinements down to the object.
  let current: z.ZodType = node;
  for (let i = 0; i < 8; i++) {
    if (current instanceof z.ZodObject) return current.shape as Record<string, z.ZodType>;
    const inner = (current as unknown as { def?: { innerType?: z.ZodType; in?: z.ZodType } }).def;
    const next = inner?.innerType ?? inner?.in;
    if (!next) return undefined;
    current = next;
  }
  return undefined;
}

function parseYamlStrict(text: string): unknown {
  return parseYaml(text, { prettyErrors: true, uniqueKeys: true });
}

/** The first line of a YAML parser error (its later lines draw the spot in the file). */
function yamlErrorLine(e: unknown): string {
  return e instanceof Error ? e.message.split("\n")[0]! : String(e);
}

/** Formats config errors for people: one line per bad key. */
export function formatConfigErrors(errors: ConfigError[]): string {
  return errors
    .map((e) => `- ${e.path === "" ? "(file)" : `\`${e.path}\``}: ${e.message}`)
    .join("\n");
}

/** A config file as every reader takes it (`readConfigText`). */
export interface ConfigRead {
  /** The settings: the defaults when the file is absent, empty or invalid. */
  config: Config;
  /** False when there is no file (the defaults apply). */
  found: boolean;
  /** True when the file is valid or absent. */
  ok: boolean;
  /** One line per bad key (`path: message`, `(file)` for the whole file); empty when ok. */
  errors: string[];
  /** Valid settings that cost throughput (never blocking). */
  warnings: ConfigWarning[];
  /** The bad keys for people, one markdown list line each (`formatConfigErrors`). */
  listed?: string;
  /** What is wrong, for people: `<source> is invalid:` and the list. */
  problem?: string;
}

/**
 * THE reading of a config file's text (`undefined`: there is no file): absent or empty is
 * the defaults; an invalid file is the defaults too, with its errors said once, the same way
 * for the app, the Action, the CLI and local mode. `source` names the file in `problem`.
 */
export function readConfigText(text: string | undefined, source: string): ConfigRead {
  if (text === undefined)
    return { config: defaultConfig(), found: false, ok: true, errors: [], warnings: [] };
  const parsed = parseConfig(text);
  if (parsed.ok)
    return { config: parsed.config, found: true, ok: true, errors: [], warnings: parsed.warnings };
  const listed = formatConfigErrors(parsed.errors);
  return {
    config: defaultConfig(),
    found: true,
    ok: false,
    errors: parsed.errors.map((e) => `${e.path === "" ? "(file)" : e.path}: ${e.message}`),
    warnings: [],
    listed,
    problem: `${source} is invalid:\n${listed}`,
  };
}

type Prices = Record<string, z.infer<typeof priceSchema>>;

/**
 * The price of a model: the exact id, else the longest entry that prefixes it (a dated id
 * like `claude-haiku-4-5-20251001` uses `claude-haiku-4-5`).
 */
export function priceOf(prices: Prices, model: string): z.infer<typeof priceSchema> | undefined {
  if (Object.hasOwn(prices, model)) return prices[model];
  const keys = Object.keys(prices)
    .filter((k) => model.startsWith(k))
    .sort((a, b) => b.length - a.length);
  return keys[0] === undefined ? undefined : prices[keys[0]];
}

/** Formats config warnings for people: one line per key, like the errors. */
export const formatConfigWarnings = (warnings: ConfigWarning[]): string =>
  formatConfigErrors(warnings);

/** The model a role runs with on a given attempt (0 = first try). */
export function modelFor(config: Config, role: Role, attempt: number): string {
  const r = config.roles[role];
  if (attempt > 0 && r.retryModel) return r.retryModel;
  return r.model ?? config.agent.model;
}

/** Label name of each priority, from config. */
export function priorityFromLabels(config: Config, labels: readonly string[]): Priority {
  for (const p of PRIORITIES) if (labels.includes(config.priorities[p])) return p;
  return config.priorities.default;
}
