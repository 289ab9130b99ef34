import type { z } from "zod";

/** Validates a tool's input; a bad input is an error message for the model, not a throw. */
export function parseInput<T>(
  schema: z.ZodType<T>,
  input: unknown,
): { ok: true; value: T } | { ok: false; error: string } {
  const r = schema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    error: `invalid input: ${r.error.issues.map((i) => `${i.path.join(".") || "(input)"}: ${i.message}`).join("; ")}`,
  };
}
