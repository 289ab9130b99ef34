import type { ScriptedBlock, ScriptedTurn, ScriptedUsage, StopReason } from "./turns.js";

/**
 * A short way to write scripted agent conversations for the fake Messages server:
 *
 *   const turns = script()
 *     .view("src/math.ts")
 *     .edit("src/math.ts", "a - b", "a + b")
 *     .bash("npm test")
 *     .finish({ summary: "Fixed add()", found: "add subtracted", fixed: "now adds" })
 *     .turns();
 *
 * Each tool step is one assistant turn (`stop_reason: tool_use`) unless grouped with
 * `together(...)`. Tool names and inputs are those of the Conveyor agent's tools.
 */

export interface FinishInput {
  summary: string;
  outcome?: "done" | "incomplete" | "failed";
  found?: string;
  fixed?: string;
  verdict?: "approve" | "request_changes" | "approach_wrong";
  comments?: { path: string; line: number; body: string }[];
  notes?: string;
}

type ToolCall = { name: string; input: Record<string, unknown> };

/** Builders of single tool calls, for `together(...)`. */
export const call = {
  view: (path: string, startLine?: number, endLine?: number): ToolCall => ({
    name: "view",
    input: {
      path,
      ...(startLine !== undefined ? { start_line: startLine } : {}),
      ...(endLine !== undefined ? { end_line: endLine } : {}),
    },
  }),
  list: (path = ".", depth?: number): ToolCall => ({
    name: "list_files",
    input: { path, ...(depth !== undefined ? { depth } : {}) },
  }),
  search: (pattern: string, options: { path?: string; regex?: boolean } = {}): ToolCall => ({
    name: "search",
    input: { pattern, ...options },
  }),
  create: (path: string, content: string): ToolCall => ({
    name: "create_file",
    input: { path, content },
  }),
  edit: (path: string, oldString: string, newString: string): ToolCall => ({
    name: "edit",
    input: { path, old_string: oldString, new_string: newString },
  }),
  bash: (command: string, timeoutSeconds?: number): ToolCall => ({
    name: "bash",
    input: {
      command,
      ...(timeoutSeconds !== undefined ? { timeout_seconds: timeoutSeconds } : {}),
    },
  }),
  finish: (input: FinishInput): ToolCall => ({
    name: "finish",
    input: input as unknown as Record<string, unknown>,
  }),
};

export class ScriptBuilder {
  readonly #turns: ScriptedTurn[] = [];
  #pendingText: string[] = [];
  #ids = 0;
  readonly #prefix: string;

  constructor(idPrefix = "toolu_") {
    this.#prefix = idPrefix;
  }

  /** Text said before the next tool call (same turn). */
  say(text: string): this {
    this.#pendingText.push(text);
    return this;
  }

  view(path: string, startLine?: number, endLine?: number): this {
    return this.together(call.view(path, startLine, endLine));
  }
  list(path = ".", depth?: number): this {
    return this.together(call.list(path, depth));
  }
  search(pattern: string, options: { path?: string; regex?: boolean } = {}): this {
    return this.together(call.search(pattern, options));
  }
  create(path: string, content: string): this {
    return this.together(call.create(path, content));
  }
  edit(path: string, oldString: string, newString: string): this {
    return this.together(call.edit(path, oldString, newString));
  }
  bash(command: string, timeoutSeconds?: number): this {
    return this.together(call.bash(command, timeoutSeconds));
  }
  finish(input: FinishInput): this {
    return this.together(call.finish(input));
  }
  /** Any tool by name (e.g. a tool the agent does not have, to test refusals). */
  tool(name: string, input: Record<string, unknown>): this {
    return this.together({ name, input });
  }

  /** Several tool calls in one assistant turn. */
  together(...calls: ToolCall[]): this {
    const content: ScriptedBlock[] = this.#takeText();
    for (const c of calls) {
      this.#ids += 1;
      content.push({
        type: "tool_use",
        id: `${this.#prefix}${String(this.#ids).padStart(4, "0")}`,
        name: c.name,
        input: c.input,
      });
    }
    this.#turns.push({ kind: "message", content, stop_reason: "tool_use" });
    return this;
  }

  /** A turn of text only, ending with `stopReason` (default `end_turn`). */
  text(text: string, stopReason: StopReason = "end_turn", usage?: Partial<ScriptedUsage>): this {
    const content = [...this.#takeText(), { type: "text", text } as ScriptedBlock];
    this.#turns.push({
      kind: "message",
      content,
      stop_reason: stopReason,
      ...(usage ? { usage } : {}),
    });
    return this;
  }

  /** An HTTP error answer (e.g. 429 with `retry-after`, 529 overloaded). */
  error(status: number, headers: Record<string, string> = {}, body?: unknown): this {
    this.#turns.push({ kind: "error", status, headers, ...(body !== undefined ? { body } : {}) });
    return this;
  }

  /** An `error` event after the stream started (to a streaming request; else an HTTP error). */
  streamError(status = 529): this {
    this.#turns.push({ kind: "error", status, midStream: true });
    return this;
  }

  /** Any turn as is. */
  raw(turn: ScriptedTurn): this {
    this.#turns.push(turn);
    return this;
  }

  /** The same step `n` times (e.g. a 529 storm). */
  repeat(n: number, step: (b: this) => this): this {
    for (let i = 0; i < n; i++) step(this);
    return this;
  }

  turns(): ScriptedTurn[] {
    if (this.#pendingText.length > 0) this.text(this.#pendingText.join("\n"));
    return [...this.#turns];
  }

  #takeText(): ScriptedBlock[] {
    const blocks = this.#pendingText.map((text): ScriptedBlock => ({ type: "text", text }));
    this.#pendingText = [];
    return blocks;
  }
}

export const script = (idPrefix?: string): ScriptBuilder => new ScriptBuilder(idPrefix);
