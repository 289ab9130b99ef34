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

const verdictSchema = z.object({
  role: z.enum(["reviewer", "tester"]),
  value: z.enum(["approve", "request_changes", "approach_wrong", "pass", "fail"]),
  sha,
  baseSha: sha.optional(),
  at: iso,
});

const memorySchema = z.object({
  attempts: z
    .object({
      task: z.number().int().min(0).default(0),
      reviewer: z.number().int().min(0).default(0),
      tester: z.number().int().min(0).default(0),
      merge: z.number().int().min(0).default(0),
    })
    .prefault({}),
  runs: z.number().int().min(0).default(0),
  runsAtRetry: z.number().int().min(0).optional(),
  run: z
    .object({
      role: z.enum(ROLES),
      attempt: z.number().int().min(0),
      correlationId: z.string().min(1),
      dispatchedAt: iso,
      headSha: sha.optional(),
    })
    .optional(),
  cancelling: z
    .array(z.object({ correlationId: z.string(), runId: z.string().optional(), at: iso }))
    .optional(),
  handled: z.array(z.string()).default([]),
  verdicts: z
    .object({ review: verdictSchema.optional(), test: verdictSchema.optional() })
    .prefault({}),
  feedback: z.string().optional(),
  lastFailure: z.string().optional(),
  escalation: z.object({ reason: z.string(), at: iso, stage: z.enum(STAGES) }).optional(),
  tokens: z.number().min(0).default(0),
  costUsd: z.number().min(0).default(0),
  stageSince: iso.optional(),
});

const prSchema = z.object({
  number: z.number().int().min(0),
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

const taskSchema = z.object({
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

export const boardSchema = z.object({
  repo: z.string().default("local"),
  tasks: z.array(taskSchema).default([]),
  runs: z
    .record(
      z.string(),
      z.object({
        correlationId: z.string(),
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
      z.object({
        correlationId: z.string(),
        role: z.enum(ROLES),
        outcome: z.enum(["ok", "failed", "incomplete"]),
        verdict: z.enum(["approve", "request_changes", "approach_wrong"]).optional(),
        passed: z.boolean().optional(),
        headSha: sha.optional(),
        baseSha: sha.optional(),
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
    .array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string() }))
    .default([]),
  repoMemory: z
    .object({
      paused: z.boolean().default(false),
      pausedReason: z.string().optional(),
      dispatches: z.array(iso).default([]),
    })
    .prefault({}),
  configErrors: z.array(z.string()).optional(),
  mirror: z.record(z.string(), z.string()).optional(),
});

export type BoardResult = { ok: true; board: Board } | { ok: false; errors: string[] };

/** Reads a board from parsed JSON. Never throws: errors name the path of each bad field. */
export function parseBoard(value: unknown): BoardResult {
  const r = boardSchema.safeParse(value);
  if (!r.success)
    return {
      ok: false,
      errors: r.error.issues.map(
        (i) => `${i.path.map(String).join(".") || "(board)"}: ${i.message}`,
      ),
    };
  const ids = new Set<string>();
  for (const t of r.data.tasks) {
    if (ids.has(t.id)) return { ok: false, errors: [`tasks: task id ${t.id} appears twice`] };
    ids.add(t.id);
  }
  return { ok: true, board: r.data as Board };
}
