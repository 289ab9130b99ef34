import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { conveyorTag, RUN_TAG } from "../agent/run-tag.js";
import { estimateTokens, PromptCacheModel } from "./prompt-cache-model.js";
import type { ScriptedBlock, ScriptedTurn, ScriptedUsage } from "./turns.js";
import { validateMessagesRequest } from "./validate-request.js";

/**
 * A local stand-in for the Anthropic Messages API (`POST /v1/messages`, also with `?beta=true`
 * as Claude Code sends it) that plays scripted turns to the real SDK client (`baseURL` = the
 * server's url): as one JSON message, or, for a request with `stream: true`, as the API's
 * server-sent events (message_start, content blocks with text and input_json deltas,
 * message_delta with the stop reason and output tokens, message_stop). One server can
 * serve many agents at once: each request is routed to a script by a key taken from its body,
 * by default the `[conveyor:<correlationId>]` tag the agent loop puts in its system prompt.
 * Runtime code: the offline demo ships it.
 */

export interface RecordedRequest {
  /** Script key of the request (correlation id), if one was found. */
  key: string | undefined;
  /** 0-based position of this request among the requests with the same key. */
  index: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Parsed JSON body (undefined when the body was not JSON). */
  body: unknown;
  /** The body exactly as received. */
  raw: string;
  /** What the server answered: the status and, for a message, its usage. */
  response?: { status: number; usage?: ScriptedUsage };
  /** The message was sent as server-sent events (the request had `stream: true`). */
  streamed?: boolean;
}

export interface FakeMessagesServerOptions {
  /** Scripts by key: the n-th request with a key gets the n-th turn. */
  scripts?: Record<string, ScriptedTurn[]>;
  /** Script for requests whose key has no script (or no key at all). */
  fallback?: ScriptedTurn[];
  /** Answers a request itself (takes precedence; return undefined to use the scripts). */
  respond?: (request: RecordedRequest) => ScriptedTurn | undefined;
  /** Key of a request; default: the first `[conveyor:<id>]` tag in the system prompt, else anywhere. */
  keyOf?: (body: unknown, raw: string) => string | undefined;
  /** If set, only this API key is accepted (as `x-api-key` or `Authorization: Bearer`). */
  apiKey?: string;
  /** Answer 400 like the real API to malformed conversations (default true). */
  validate?: boolean;
  /** Loopback address to listen on; default 127.0.0.1. */
  host?: string;
}

export interface FakeMessagesServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const TAG = RUN_TAG;

export { conveyorTag };

export function defaultKeyOf(body: unknown, raw: string): string | undefined {
  const system = (body as { system?: unknown } | undefined)?.system;
  const systemText = typeof system === "string" ? system : JSON.stringify(system ?? "");
  return TAG.exec(systemText)?.[1] ?? TAG.exec(raw)?.[1];
}

export async function startFakeMessagesServer(
  options: FakeMessagesServerOptions = {},
): Promise<FakeMessagesServer> {
  const requests: RecordedRequest[] = [];
  const counters = new Map<string, number>();
  const caches = new Map<string, PromptCacheModel>();
  const keyOf = options.keyOf ?? defaultKeyOf;
  let messageCounter = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req);
    const path = (req.url ?? "/").split("?")[0]!;
    if (req.method !== "POST" || path !== "/v1/messages")
      return send(res, 404, errorBody(404, `no route ${req.method} ${path}`));
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v)]),
    );
    const key = headers["x-api-key"] ?? /^Bearer (.+)$/.exec(headers.authorization ?? "")?.[1];
    if (!key || (options.apiKey !== undefined && key !== options.apiKey))
      return send(res, 401, errorBody(401, "invalid x-api-key"));
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    if (body === undefined) return send(res, 400, errorBody(400, "body is not JSON"));
    const invalid = options.validate === false ? undefined : validateMessagesRequest(body);
    const scriptKey = keyOf(body, raw);
    const counterKey = scriptKey ?? "";
    const index = counters.get(counterKey) ?? 0;
    counters.set(counterKey, index + 1);
    const recorded: RecordedRequest = {
      key: scriptKey,
      index,
      method: req.method,
      path,
      headers,
      body,
      raw,
    };
    requests.push(recorded);
    if (invalid) {
      recorded.response = { status: 400 };
      return send(res, 400, errorBody(400, invalid));
    }
    const script =
      (scriptKey !== undefined ? options.scripts?.[scriptKey] : undefined) ?? options.fallback;
    const turn: ScriptedTurn = options.respond?.(recorded) ??
      script?.[index] ?? {
        kind: "message",
        content: [
          { type: "text", text: `(fake server: script '${counterKey}' has no turn ${index})` },
        ],
        stop_reason: "end_turn",
      };
    if (turn.kind === "error" && turn.midStream && (body as { stream?: unknown }).stream === true) {
      recorded.response = { status: 200 };
      recorded.streamed = true;
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
      res.write(
        `event: message_start\ndata: ${JSON.stringify({ type: "message_start", message: { id: "msg_fake_cut", type: "message", role: "assistant", model: (body as { model?: string }).model ?? "fake", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } } })}\n\n`,
      );
      res.write(
        `event: error\ndata: ${JSON.stringify(errorBody(turn.status, "scripted error"))}\n\n`,
      );
      res.end();
      return;
    }
    if (turn.kind === "error") {
      recorded.response = { status: turn.status };
      return send(
        res,
        turn.status,
        turn.body ?? errorBody(turn.status, "scripted error"),
        turn.headers,
      );
    }
    let cache = caches.get(counterKey);
    if (!cache) {
      cache = new PromptCacheModel();
      caches.set(counterKey, cache);
    }
    const charged = cache.charge(body);
    messageCounter += 1;
    const usage: ScriptedUsage = {
      ...charged,
      output_tokens: estimateTokens(JSON.stringify(turn.content)),
      ...turn.usage,
    };
    recorded.response = { status: 200, usage };
    const message = {
      id: `msg_fake_${String(messageCounter).padStart(6, "0")}`,
      type: "message",
      role: "assistant",
      model: (body as { model?: string }).model ?? "fake",
      content: turn.content,
      stop_reason: turn.stop_reason,
      stop_sequence: null,
      usage,
    };
    if ((body as { stream?: unknown }).stream === true) {
      recorded.streamed = true;
      return stream(res, message);
    }
    send(res, 200, message);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      send(res, 500, errorBody(500, e instanceof Error ? e.message : String(e)));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? "127.0.0.1"}:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  529: "overloaded_error",
};

export function errorBody(status: number, message: string): unknown {
  return { type: "error", error: { type: ERROR_TYPES[status] ?? "api_error", message } };
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(text);
}

/** Characters per delta event: small enough that every block arrives in several pieces. */
const DELTA_CHARS = 24;

function chunks(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += DELTA_CHARS) out.push(text.slice(i, i + DELTA_CHARS));
  return out;
}

/**
 * Writes a message as the Messages API streams it: `message_start` carries the input usage
 * and an empty content, each block opens, arrives in deltas and closes, `message_delta`
 * brings the stop reason and the output tokens, `message_stop` ends the stream.
 */
function stream(
  res: ServerResponse,
  message: {
    content: ScriptedBlock[];
    stop_reason: string;
    usage: ScriptedUsage;
    [k: string]: unknown;
  },
): void {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "request-id": `req_fake_${String(message.id).slice(-6)}`,
  });
  const event = (type: string, data: Record<string, unknown>) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  const { content, stop_reason, usage, ...head } = message;
  event("message_start", {
    message: {
      ...head,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usage, output_tokens: 1 },
    },
  });
  event("ping", {});
  content.forEach((block, index) => {
    if (block.type === "text") {
      event("content_block_start", { index, content_block: { type: "text", text: "" } });
      for (const text of chunks(block.text))
        event("content_block_delta", { index, delta: { type: "text_delta", text } });
    } else {
      event("content_block_start", {
        index,
        content_block: { type: "tool_use", id: block.id, name: block.name, input: {} },
      });
      for (const partial_json of chunks(JSON.stringify(block.input)))
        event("content_block_delta", {
          index,
          delta: { type: "input_json_delta", partial_json },
        });
    }
    event("content_block_stop", { index });
  });
  event("message_delta", {
    delta: { stop_reason, stop_sequence: null },
    usage: { output_tokens: usage.output_tokens },
  });
  event("message_stop", {});
  res.end();
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
