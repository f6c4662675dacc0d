import type { JsonValue } from '../internal/json.js';

/** A tool call the test server puts in its answer. `arguments` objects are sent as JSON text. */
export interface ScriptedToolCall {
  name: string;
  /** Text is sent verbatim (so a test can send broken JSON); anything else is JSON-encoded. */
  arguments: string | JsonValue;
  id?: string;
}

export interface ScriptedUsage {
  promptTokens: number;
  completionTokens: number;
}

/** A successful chat completion. */
export interface ScriptedAnswer {
  /** The assistant's text. */
  text?: string;
  /** Shorthand for `text: JSON.stringify(json)`. */
  json?: JsonValue;
  toolCalls?: ScriptedToolCall[];
  /** Default: `tool_calls` when there are tool calls, else `stop`. */
  finishReason?: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  /** Token usage to report. Default: words counted in the prompt and the answer; `false` sends none. */
  usage?: ScriptedUsage | false;
  /** Wait this long before answering (a slow server, for timeouts). */
  delayMs?: number;
  /** Streaming only: wait this long between chunks. */
  chunkDelayMs?: number;
}

/** An HTTP error answer, for example a 429 with Retry-After or a 503. */
export interface ScriptedHttpError {
  status: number;
  /** Default: an OpenAI-style `{ error: { message, type, code } }` body. */
  body?: JsonValue;
  headers?: Record<string, string>;
  delayMs?: number;
}

/**
 * A broken answer. `malformed-body`: status 200 with a body (or an SSE event) that is not JSON.
 * `truncated`: the answer stops halfway; `cut: 'connection'` (default) destroys the socket, `cut: 'stream'`
 * ends the response cleanly but without a finish reason or `[DONE]`. `hang`: never answers.
 */
export type ScriptedFault =
  | { fault: 'malformed-body'; delayMs?: number }
  | { fault: 'truncated'; cut?: 'connection' | 'stream'; answer?: ScriptedAnswer; delayMs?: number }
  | { fault: 'hang' };

export type ScriptedReply = ScriptedAnswer | ScriptedHttpError | ScriptedFault;

/** What the embeddings endpoint can be told to do instead of answering at once. */
export type ScriptedEmbeddingsReply = ScriptedHttpError | ScriptedFault | { delayMs: number };

export function isHttpError(reply: ScriptedReply | ScriptedEmbeddingsReply): reply is ScriptedHttpError {
  return 'status' in reply && typeof reply.status === 'number';
}

export function isFault(reply: ScriptedReply | ScriptedEmbeddingsReply): reply is ScriptedFault {
  return 'fault' in reply;
}
