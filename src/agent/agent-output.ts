import type { AgentReport, UsageTotals } from "./role-types.js";

/**
 * Reads what an agent command printed: the JSON report Conveyor asks for (summary, outcome,
 * verdict, comments, …), and the usage the tool reports about itself, from the output formats
 * of the CLIs users run:
 * - `report`: any output whose last JSON value (a whole-output JSON document, a JSON line, a
 *   ```json fence, or a trailing multi-line object) is the report;
 * - `claude-json`: Claude Code's `-p --output-format json` (one `type: "result"` object) or
 *   `stream-json` (JSON lines ending with that object): the report is in `result`, the cost in
 *   `total_cost_usd`, the tokens in `usage`;
 * - `codex-jsonl`: `codex exec --json` events: the report is in the last `agent_message` item,
 *   tokens in the `turn.completed` events' `usage`;
 * - `aider`: plain text with aider's `Tokens: … sent, … received. Cost: $… message, $… session.`
 *   lines;
 * - `openhands-jsonl`: `openhands --headless --json` events (the report in the last message).
 * Every format falls back to the generic reading, so a report printed any way is found.
 * JSON is only ever read by `JSON.parse`; candidates are whole lines or line-aligned suffixes.
 */
export type OutputFormat = "report" | "claude-json" | "codex-jsonl" | "aider" | "openhands-jsonl";

export interface ParsedOutput {
  report?: AgentReport;
  /** Usage the tool reported (undefined when it reports none). */
  usage?: Partial<UsageTotals>;
  /** The tool's final message as text (its answer), when the format has one. */
  finalText?: string;
  /** The tool said its run failed (e.g. Claude Code's `is_error`, Codex's `turn.failed`). */
  toolError?: string;
}

/** Most line-aligned suffixes tried when looking for a trailing multi-line JSON object. */
const MAX_SUFFIX_TRIES = 400;

export function parseAgentOutput(output: string, format: OutputFormat = "report"): ParsedOutput {
  const values = jsonValues(output);
  switch (format) {
    case "claude-json":
      return claudeOutput(values) ?? genericOutput(output, values);
    case "codex-jsonl":
      return codexOutput(values) ?? genericOutput(output, values);
    case "openhands-jsonl":
      return openhandsOutput(values) ?? genericOutput(output, values);
    case "aider":
      return { ...genericOutput(output, values), ...aiderUsage(output) };
    default:
      return genericOutput(output, values);
  }
}

/** The JSON values in `text`, in order: the whole text, else each JSON line, else fences. */
export function jsonValues(text: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  const whole = tryParse(trimmed);
  if (whole.ok) return [whole.value];
  const values: unknown[] = [];
  const lines = text.split("\n");
  for (const line of lines) {
    const t = line.trim();
    if (!(t.startsWith("{") || t.startsWith("["))) continue;
    const v = tryParse(t);
    if (v.ok) values.push(v.value);
  }
  for (const m of text.matchAll(/```(?:json)?[ \t]*\n([\s\S]*?)\n[ \t]*```/g)) {
    const v = tryParse(m[1]!.trim());
    if (v.ok) values.push(v.value);
  }
  // A pretty-printed object at the end of free text: the longest line-aligned suffix that
  // parses, starting from the last line that opens an object.
  let tries = 0;
  for (let i = lines.length - 1; i >= 0 && tries < MAX_SUFFIX_TRIES; i--) {
    if (!lines[i]!.trimStart().startsWith("{")) continue;
    const suffix = lines.slice(i).join("\n").trim();
    if (!suffix.includes("\n")) continue; // one line: already read as a JSON line
    tries += 1;
    const v = tryParse(suffix);
    if (v.ok) {
      values.push(v.value);
      break;
    }
  }
  return values;
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** The last value that is a report (an object with a string `summary`). */
function lastReport(values: unknown[]): AgentReport | undefined {
  for (let i = values.length - 1; i >= 0; i--) {
    const r = asReport(values[i]);
    if (r) return r;
  }
  return undefined;
}

const OUTCOMES = new Set(["done", "incomplete", "failed"]);
const VERDICTS = new Set(["approve", "request_changes", "approach_wrong"]);

export function asReport(v: unknown): AgentReport | undefined {
  if (!isObj(v) || typeof v.summary !== "string" || v.summary.trim() === "") return undefined;
  const str = (k: string) => (typeof v[k] === "string" && v[k] !== "" ? (v[k] as string) : "");
  const comments = Array.isArray(v.comments)
    ? v.comments.filter(
        (c): c is { path: string; line: number; body: string } =>
          isObj(c) &&
          typeof c.path === "string" &&
          typeof c.line === "number" &&
          Number.isInteger(c.line) &&
          c.line > 0 &&
          typeof c.body === "string",
      )
    : [];
  return {
    outcome: OUTCOMES.has(str("outcome")) ? (str("outcome") as AgentReport["outcome"]) : "done",
    summary: v.summary,
    ...(str("found") ? { found: str("found") } : {}),
    ...(str("fixed") ? { fixed: str("fixed") } : {}),
    ...(str("notes") ? { notes: str("notes") } : {}),
    ...(VERDICTS.has(str("verdict")) ? { verdict: str("verdict") as AgentReport["verdict"] } : {}),
    ...(comments.length > 0
      ? { comments: comments.map((c) => ({ path: c.path, line: c.line, body: c.body })) }
      : {}),
  };
}

function genericOutput(_output: string, values: unknown[]): ParsedOutput {
  const report = lastReport(values);
  return report ? { report } : {};
}

/** A report written inside a tool's final message (text that may hold JSON). */
function reportInText(text: string): AgentReport | undefined {
  return lastReport(jsonValues(text));
}

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

function claudeOutput(values: unknown[]): ParsedOutput | undefined {
  const result = [...values].reverse().find((v) => isObj(v) && v.type === "result") as
    | Obj
    | undefined;
  if (!result) return undefined;
  const text = typeof result.result === "string" ? result.result : "";
  const usage = isObj(result.usage) ? result.usage : {};
  const structured = asReport(result.structured_output);
  const report = structured ?? reportInText(text);
  const failed =
    result.is_error === true ||
    (typeof result.subtype === "string" && result.subtype !== "success");
  return {
    ...(report ? { report } : {}),
    ...(text ? { finalText: text } : {}),
    usage: {
      inputTokens: num(usage.input_tokens),
      outputTokens: num(usage.output_tokens),
      cacheWriteTokens: num(usage.cache_creation_input_tokens),
      cacheReadTokens: num(usage.cache_read_input_tokens),
      costUsd: num(result.total_cost_usd),
      calls: num(result.num_turns),
    },
    ...(failed
      ? {
          toolError: `Claude Code ended with ${String(result.subtype ?? "an error")}${text ? `: ${text.slice(0, 300)}` : ""}`,
        }
      : {}),
  };
}

function codexOutput(values: unknown[]): ParsedOutput | undefined {
  const events = values.filter(
    (v): v is Obj =>
      isObj(v) && typeof v.type === "string" && /^(thread|turn|item)\.|^error$/.test(v.type),
  );
  if (events.length === 0) return undefined;
  let text = "";
  let toolError: string | undefined;
  const usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, calls: 0 };
  for (const e of events) {
    if (e.type === "item.completed" && isObj(e.item) && e.item.type === "agent_message")
      text = typeof e.item.text === "string" ? e.item.text : text;
    if (e.type === "turn.completed" && isObj(e.usage)) {
      // Codex counts cached input inside input_tokens.
      const cached = num(e.usage.cached_input_tokens);
      usage.inputTokens += Math.max(0, num(e.usage.input_tokens) - cached);
      usage.cacheReadTokens += cached;
      usage.outputTokens += num(e.usage.output_tokens);
      usage.calls += 1;
    }
    if (e.type === "turn.failed" || e.type === "error") {
      const err = isObj(e.error) ? e.error.message : e.message;
      toolError = `Codex reported an error: ${typeof err === "string" ? err : "unknown"}`;
    }
  }
  const report = reportInText(text);
  return {
    ...(report ? { report } : {}),
    ...(text ? { finalText: text } : {}),
    usage,
    ...(toolError ? { toolError } : {}),
  };
}

function openhandsOutput(values: unknown[]): ParsedOutput | undefined {
  const events = values.filter((v): v is Obj => isObj(v) && typeof v.type === "string");
  if (events.length === 0) return undefined;
  let text = "";
  for (const e of events) {
    for (const key of ["message", "content", "final_thought", "thought"]) {
      const v = e[key] ?? (isObj(e.args) ? e.args[key] : undefined);
      if (
        typeof v === "string" &&
        v.trim() !== "" &&
        (e.action === "finish" || e.type === "message" || e.source === "agent")
      )
        text = v;
    }
  }
  const report = reportInText(text) ?? lastReport(values);
  if (!report && !text) return undefined;
  return { ...(report ? { report } : {}), ...(text ? { finalText: text } : {}) };
}

/** aider: `Tokens: 12k sent, 1.2k received. Cost: $0.05 message, $0.10 session.` */
function aiderUsage(output: string): Pick<ParsedOutput, "usage"> {
  const amount = (s: string) => {
    const m = /^([\d.,]+)\s*([kKmM]?)$/.exec(s.trim());
    if (!m) return 0;
    const n = Number(m[1]!.replace(/,/g, ""));
    return Math.round(
      n * (m[2]!.toLowerCase() === "k" ? 1e3 : m[2]!.toLowerCase() === "m" ? 1e6 : 1),
    );
  };
  let input = 0;
  let outputTokens = 0;
  let session: number | undefined;
  let calls = 0;
  for (const m of output.matchAll(
    /Tokens:\s*([\d.,]+\s*[kKmM]?)\s+sent(?:,\s*([\d.,]+\s*[kKmM]?)\s+cache write)?(?:,\s*([\d.,]+\s*[kKmM]?)\s+cache hit)?,\s*([\d.,]+\s*[kKmM]?)\s+received\.(?:\s*Cost:\s*\$([\d.]+)\s+message,\s*\$([\d.]+)\s+session\.)?/g,
  )) {
    calls += 1;
    input += amount(m[1]!);
    outputTokens += amount(m[4]!);
    if (m[6] !== undefined) session = Number(m[6]);
  }
  if (calls === 0) return {};
  return {
    usage: {
      calls,
      inputTokens: input,
      outputTokens,
      ...(session !== undefined ? { costUsd: session } : {}),
    },
  };
}
