/**
 * What a scripted Anthropic Messages turn looks like: either a full assistant message or an
 * HTTP error. Plain JSON, so scripts can live in files as well as in code.
 */

export type StopReason =
  | "end_turn"
  | "max_tokens"
  | "stop_sequence"
  | "tool_use"
  | "pause_turn"
  | "refusal"
  | "model_context_window_exceeded";

export type ScriptedBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };

export interface ScriptedUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** One answer of the fake server to one `POST /v1/messages`. */
export type ScriptedTurn =
  | {
      kind: "message";
      content: ScriptedBlock[];
      stop_reason: StopReason;
      /** Omitted: the server estimates usage itself (bytes / 4, with a prompt-cache model). */
      usage?: Partial<ScriptedUsage>;
    }
  | {
      kind: "error";
      status: number;
      headers?: Record<string, string>;
      /** JSON body; defaults to the API's error shape for the status. */
      body?: unknown;
      /**
       * To a streaming request: answer 200, start the message, then send the error as an
       * `error` event, as the API does when it is overloaded mid-answer.
       */
      midStream?: boolean;
    };
