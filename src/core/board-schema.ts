import { z } from "zod";
import { type Board, STAGES } from "./board.js";
import { PRIORITIES, ROLES } from "./config.js";

/**
 * The board as JSON (`conveyor plan --board board.json`): what users write to ask "what
 * would Conveyor do?". Everything but a task's id is optional, with the defaults of a
 * fresh task; the result is a complete `Board`.
 */
const iso = z.iso.datetime({ offset: true });
const sha = z.string().min(1);

const verdictSchema = z.strictObject({
  role: z.enum(["reviewer", "tester"]),
  value: z.enum(["approve", "request_changes", "approach_wrong", "pass", "fail"]),
  sha,
  startSha: sha.optional(),
  baseSha: sha.optional(),
  at: iso,
});

const memorySchema = z.strictObject({
  attempts: z
    .strictObject({
      task: z.number().int().min(0).default(0),
      reviewer: z.number().int().min(0).default(0),
      tester: z.number().int().min(0).default(0),
      merge: z.number().int().min(0).default(0),
    })
    .prefault({}),
  runs: z.number().int().min(0).default(0),
  runsAtRetry: z.number().int().min(0).optional(),
  run: z
    .strictObject({
      role: z.enum(ROLES),
      attempt: z.number().int().min(0),
      correlationId: z.string().min(1),
      dispatchedAt: iso,
      headSha: sha.optional(),
    })
    .optional(),
  cancelling: z
    .array(z.strictObject({ correlationId: z.string(), runId: z.string().optional(), at: iso }))
    .optional(),
  handled: z.array(z.string()).default([]),
  verdicts: z
    .strictObject({ review: verdictSchema.optional(), test: verdictSchema.optional() })
    .prefault({}),
  feedback: z.string().optional(),
  lastFailure: z.string().optional(),
  escalation: z.strictObject({ reason: z.string(), at: iso, stage: z.enum(STAGES) }).optional(),
  tokens: z.number().min(0).default(0),
  costUsd: z.number().min(0).default(0),
  stageSince: iso.optional(),
});

const prSchema = z.strictObject({
  // None for a local branch; 0 is how older boards said so.
  number: z
    .number()
    .int()
    .min(0)
    .optional()
    .transform((n) => (n === 0 ? undefined : n)),
  headSha: sha,
  branch: z.string().min(1),
  changedFiles: z.array(z.string()).default([]),
  merged: z.boolean().default(false),
  closed: z.boolean().optional(),
  mergeable: z.boolean().nullable().default(true),
  baseDrift: z.array(z.string()).optional(),
  touchesProtectedPaths: z.boolean().optional(),
  maintainerApproved: z.boolean().optional(),
});

const taskSchema = z.strictObject({
  id: z.union([z.string().min(1), z.number().int().transform(String)]),
  title: z.string().default(""),
  body: z.string().optional(),
  priority: z.enum(PRIORITIES).default("medium"),
  stage: z.enum(STAGES).default("todo"),
  createdAt: iso.default("1970-01-01T00:00:00.000Z"),
  locations: z.array(z.string()).default([]),
  branch: z.string().optional(),
  pr: prSchema.optional(),
  memory: memorySchema.prefault({}),
});

export const boardSchema = z.strictObject({
  repo: z.string().default("local"),
  tasks: z.array(taskSchema).default([]),
  runs: z
    .record(
      z.string(),
      z.strictObject({
        correlationId: z.string().min(1).optional(),
        runId: z.string().optional(),
        status: z.enum(["queued", "in_progress", "completed"]),
        conclusion: z
          .enum(["success", "failure", "cancelled", "timed_out", "skipped"])
          .nullable()
          .optional(),
        startedAt: iso.optional(),
        url: z.string().optional(),
      }),
    )
    .default({}),
  results: z
    .record(
      z.string(),
      z.strictObject({
        correlationId: z.string().min(1).optional(),
        role: z.enum(ROLES),
        outcome: z.enum(["ok", "failed", "incomplete"]),
        verdict: z.enum(["approve", "request_changes", "approach_wrong"]).optional(),
        passed: z.boolean().optional(),
        headSha: sha.optional(),
        startSha: sha.optional(),
        baseSha: sha.optional(),
        tests: z
          .strictObject({
            runs: z.array(
              z.strictObject({
                failed: z.number().int().min(0),
                total: z.number().int().min(0),
                unit: z.enum(["tests", "commands"]),
              }),
            ),
            fixRounds: z.number().int().min(0),
          })
          .optional(),
        pr: z.number().int().optional(),
        branch: z.string().optional(),
        summary: z.string().default(""),
        tokens: z.number().min(0).optional(),
        costUsd: z.number().min(0).optional(),
        finishedAt: iso.optional(),
      }),
    )
    .default({}),
  preflight: z
    .array(z.strictObject({ name: z.string(), ok: z.boolean(), detail: z.string() }))
    .default([]),
  repoMemory: z
    .strictObject({
      paused: z.boolean().default(false),
      pausedReason: z.string().optional(),
      dispatches: z.array(iso).default([]),
      accepted: z.record(z.string(), z.string()).optional(),
    })
    .prefault({}),
  configErrors: z.array(z.string()).optional(),
  mirror: z.record(z.string(), z.string()).optional(),
});

export type BoardResult = { ok: true; board: Board } | { ok: false; errors: string[] };

/**
 * Reads a board from parsed JSON. Never throws: errors name the path of each problem.
 * Strict: an unknown key is refused (with the closest known key), so is a result or run
 * whose correlation id belongs to no task or differs from the key it is filed under, and a
 * task id that appears twice (reported at the duplicate).
 */
export function parseBoard(value: unknown): BoardResult {
  const r = boardSchema.safeParse(value);
  const missing = (path: PropertyKey[]): boolean => {
    let node: unknown = value;
    for (const key of path.slice(0, -1)) {
      if (node === null || typeof node !== "object") return false;
      node = (node as Record<PropertyKey, unknown>)[key];
    }
    const last = path[path.length - 1];
    return (
      last !== undefined &&
      node !== null &&
      typeof node === "object" &&
      (node as Record<PropertyKey, unknown>)[last] === undefined
    );
  };
  if (!r.success)
    return {
      ok: false,
      errors: r.error.issues.flatMap((i) => {
        const path = i.path.map(String);
        const at = (p: string[]) => p.join(".") || "(board)";
        if (i.code === "unrecognized_keys")
          return i.keys.map((key) => {
            const near = closest(key, knownKeys(path));
            return `${at([...path, key])}: unknown key${near ? `, did you mean \`${near}\`?` : ""}`;
          });
        if (missing(i.path)) return [`${at(path)}: required`];
        return [`${at(path)}: ${i.message}`];
      }),
    };
  const errors: string[] = [];
  const seen = new Map<string, number>();
  r.data.tasks.forEach((t, i) => {
    const first = seen.get(t.id);
    if (first !== undefined)
      errors.push(`tasks.${i}.id: task id ${t.id} appears twice (first at tasks.${first}.id)`);
    else seen.set(t.id, i);
  });
  const runs: Board["runs"] = {};
  const results: Board["results"] = {};
  for (const [kind, record, out] of [
    ["runs", r.data.runs, runs],
    ["results", r.data.results, results],
  ] as const) {
    for (const [key, entry] of Object.entries(record)) {
      const cid = entry.correlationId ?? key;
      if (cid !== key)
        errors.push(`${kind}.${key}.correlationId: names ${cid}, but is filed under ${key}`);
      else if (!seen.has(key.split("/")[0]!))
        errors.push(
          `${kind}.${key}: no task has this correlation id (no task ${key.split("/")[0]})`,
        );
      (out as Record<string, unknown>)[key] = { ...entry, correlationId: cid };
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, board: { ...r.data, runs, results } as Board };
}

/** The keys the schema knows at a path of the board (array indexes and record keys skipped). */
function knownKeys(path: string[]): string[] {
  let node: z.ZodType | undefined = boardSchema;
  for (const key of path) {
    node = unwrap(node);
    if (node instanceof z.ZodObject) node = (node.shape as Record<string, z.ZodType>)[key];
    else if (node instanceof z.ZodArray) node = node.element as z.ZodType;
    else if (node instanceof z.ZodRecord) node = node.valueType as z.ZodType;
    else return [];
    if (!node) return [];
  }
  node = unwrap(node);
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

function unwrap(node: z.ZodType): z.ZodType {
  let current = node;
  for (let i = 0; i < 8; i++) {
    const def = (current as unknown as { def?: { innerType?: z.ZodType; in?: z.ZodType } }).def;
    const next = def?.innerType ?? def?.in;
    if (!next || current instanceof z.ZodObject) return current;
    current = next;
  }
  return current;
}

/** The known key nearest to a misspelt one, if it is near enough to be a typo. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3))
    ? best
    : undefined;
}

/** Levenshtein distance, with a transposition counted as one edit (`stgae` -> `stage`). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}
