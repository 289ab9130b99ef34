import { z } from "zod";
import type { Role } from "../../core/config.js";
import type { AgentReport } from "../role-types.js";
import { parseInput } from "./parse-input.js";
import { type ToolSpec, toolError } from "./tool.js";

const comment = z.object({
  path: z.string().min(1),
  line: z.number().int().positive(),
  body: z.string().min(1),
});

const schemas = {
  task: z.object({
    outcome: z.enum(["done", "incomplete", "failed"]).default("done"),
    summary: z.string().min(1),
    found: z.string().optional(),
    fixed: z.string().optional(),
    notes: z.string().optional(),
  }),
  reviewer: z.object({
    outcome: z.enum(["done", "incomplete", "failed"]).default("done"),
    summary: z.string().min(1),
    verdict: z.enum(["approve", "request_changes", "approach_wrong"]),
    comments: z.array(comment).default([]),
    notes: z.string().optional(),
  }),
  tester: z.object({
    outcome: z.enum(["done", "incomplete", "failed"]).default("done"),
    summary: z.string().min(1),
    fixed: z.string().optional(),
    notes: z.string().optional(),
  }),
} as const;

const outcomeProp = {
  type: "string",
  enum: ["done", "incomplete", "failed"],
  description:
    "done: the job is complete; incomplete: out of time or stuck; failed: cannot be done.",
};

const properties: Record<Role, Record<string, unknown>> = {
  task: {
    outcome: outcomeProp,
    summary: { type: "string", description: "One paragraph: what you did." },
    found: { type: "string", description: "What was wrong or missing." },
    fixed: { type: "string", description: "What you changed to fix it." },
    notes: { type: "string", description: "Anything the reviewer should know." },
  },
  reviewer: {
    outcome: outcomeProp,
    summary: { type: "string", description: "The review's summary for the PR." },
    verdict: {
      type: "string",
      enum: ["approve", "request_changes", "approach_wrong"],
      description:
        "approve: ready to test; request_changes: fixable issues remain (say which); approach_wrong: the change must be redone differently.",
    },
    comments: {
      type: "array",
      description:
        "Line comments on the new version of changed files. A body may propose a change as a ```suggestion block holding the replacement for that line.",
      items: {
        type: "object",
        properties: {
          path: { type: "string" },
          line: { type: "integer" },
          body: { type: "string" },
        },
        required: ["path", "line", "body"],
      },
    },
    notes: { type: "string" },
  },
  tester: {
    outcome: outcomeProp,
    summary: { type: "string", description: "What failed and what you did about it." },
    fixed: { type: "string", description: "Fixes you made, if any." },
    notes: { type: "string" },
  },
};

const required: Record<Role, string[]> = {
  task: ["summary"],
  reviewer: ["summary", "verdict"],
  tester: ["summary"],
};

/** The checks of a role's report (the `finish` tool's, and the claude-code runner's). */
export function parseReport(
  role: Role,
  raw: unknown,
): { ok: true; value: AgentReport } | { ok: false; error: string } {
  return parseInput(schemas[role] as z.ZodType<AgentReport>, raw);
}

/** The JSON schema of a role's report (the `finish` tool's input). */
export function reportSchema(role: Role): ToolSpec["input_schema"] {
  return { type: "object", properties: properties[role], required: required[role] };
}

/** The `finish` tool: ends the run with a structured report (shape depends on the role). */
export function finishTool(role: Role): ToolSpec {
  return {
    name: "finish",
    description:
      "Call once when your work is done (or cannot go on) with your structured report. Nothing after this call is run.",
    input_schema: reportSchema(role),
    async run(raw) {
      const parsed = parseReport(role, raw);
      if (!parsed.ok) return toolError(`${parsed.error}. Call finish again with a valid report.`);
      return { content: "report received", finish: parsed.value };
    },
  };
}
