import { z } from "zod";

/**
 * The Action's inputs (action.yml), validated with zod. `INPUT_NAMES` is a typed
 * `Record<keyof Inputs, …>`: an input added to the schema but not read is a compile error.
 */
const optionalPositiveInt = z
  .string()
  .trim()
  .transform((s) => (s === "" ? undefined : s))
  .pipe(
    z
      .string()
      .regex(/^#?\d+$/, "must be a number")
      .transform((s) => Number(s.replace("#", "")))
      .pipe(z.number().int().positive())
      .optional(),
  );

const optionalText = z
  .string()
  .transform((s) => (s.trim() === "" ? undefined : s))
  .optional();

export const inputsSchema = z.object({
  mode: z.enum(["task", "review", "test", "orchestrate"], {
    error: "must be one of task, review, test, orchestrate",
  }),
  issue: optionalPositiveInt,
  pr: optionalPositiveInt,
  attempt: z
    .string()
    .trim()
    .transform((s) => (s === "" ? "0" : s))
    .pipe(z.string().regex(/^\d+$/, "must be a whole number").transform(Number)),
  feedback: optionalText,
  correlationId: optionalText,
  githubToken: z.string().min(1, "is required"),
  anthropicApiKey: optionalText,
  agentEnv: z.string().transform((s, ctx) => {
    const env: Record<string, string> = {};
    for (const line of s.split(/\r?\n/)) {
      if (line.trim() === "") continue;
      const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
      if (!m) {
        ctx.addIssue({ code: "custom", message: "each line must be NAME=value" });
        return z.NEVER;
      }
      env[m[1]!] = m[2]!;
    }
    return env;
  }),
  model: optionalText,
  configPath: z
    .string()
    .transform((s) => (s.trim() === "" ? ".github/conveyor.yml" : s.trim()))
    .refine((s) => !s.split(/[\\/]/).includes(".."), "must stay inside the repository"),
  dryRun: z
    .string()
    .trim()
    .toLowerCase()
    .transform((s) => (s === "" ? "false" : s))
    .pipe(z.enum(["true", "false"], { error: "must be true or false" }))
    .transform((s) => s === "true"),
});

export type Inputs = z.output<typeof inputsSchema>;

/** The action.yml name of each input. */
export const INPUT_NAMES: Record<keyof Inputs, string> = {
  mode: "mode",
  issue: "issue",
  pr: "pr",
  attempt: "attempt",
  feedback: "feedback",
  correlationId: "correlation-id",
  githubToken: "github-token",
  anthropicApiKey: "anthropic-api-key",
  agentEnv: "agent-env",
  model: "model",
  configPath: "config-path",
  dryRun: "dry-run",
};

export type InputsResult = { ok: true; inputs: Inputs } | { ok: false; errors: string[] };

/** Reads and validates every input. Never throws: bad input is a list of messages. */
export function readInputs(get: (name: string) => string): InputsResult {
  const raw = Object.fromEntries(
    Object.entries(INPUT_NAMES).map(([key, name]) => [key, get(name) ?? ""]),
  );
  const r = inputsSchema.safeParse(raw);
  if (r.success) {
    const i = r.data;
    const errors: string[] = [];
    if (i.mode !== "orchestrate" && i.issue === undefined)
      errors.push(`input 'issue' is required for mode ${i.mode}`);
    if ((i.mode === "review" || i.mode === "test") && i.pr === undefined)
      errors.push(`input 'pr' is required for mode ${i.mode}`);
    return errors.length > 0 ? { ok: false, errors } : { ok: true, inputs: i };
  }
  return {
    ok: false,
    errors: r.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? "");
      const name = INPUT_NAMES[key as keyof Inputs] ?? key;
      return `input '${name}': ${issue.message}`;
    }),
  };
}
