import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JsonValue } from '../internal/json.js';
import { DEFAULT_EMBEDDING_DIMENSIONS, embeddingWords, hashedEmbedding } from './hashed-embedding.js';
import {
  isFault,
  isHttpError,
  type ScriptedAnswer,
  type ScriptedEmbeddingsReply,
  type ScriptedFault,
  type ScriptedHttpError,
  type ScriptedReply,
  type ScriptedToolCall,
} from './scripted-reply.js';

export type TestServerEndpoint = 'chat.completions' | 'embeddings' | 'models' | 'unknown';

/** One request as the test server received it, with what it answered. */
export interface RecordedRequest {
  /** 1 for the first request the server received. */
  seq: number;
  method: string;
  path: string;
  endpoint: TestServerEndpoint;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The parsed JSON body, or undefined when the body was empty or not JSON. */
  body: JsonValue | undefined;
  /** Whether the client asked for an SSE stream. */
  stream: boolean;
  /** What the server did: `answer`, `http-error`, `malformed-body`, `truncated`, `hang`, `embeddings`, `models`, `rejected`. */
  reply: string;
  /** The HTTP status sent, when headers were sent. */
  status?: number;
  receivedAt: number;
}

export interface ChatMessageView {
  role: string;
  /** The message's text (text parts joined), '' when it has none. */
  content: string;
  toolCalls?: { id: string; name: string; arguments: string }[];
  toolCallId?: string;
}

/** A chat-completions request as handed to a responder. */
export interface ChatRequestView {
  model: string;
  messages: ChatMessageView[];
  stream: boolean;
  tools: { name: string; description?: string; parameters?: JsonValue }[];
  responseFormat: JsonValue | undefined;
  /** Every message's content joined with newlines, for quick matching. */
  text: string;
  body: { [key: string]: JsonValue };
}

/** Computes an answer for chat requests when no scripted reply is queued. */
export type ChatResponder = (request: ChatRequestView) => ScriptedReply | Promise<ScriptedReply>;

export interface OpenAITestServerOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. Only loopback addresses are accepted. */
  host?: string;
  /** When set, requests must carry `Authorization: Bearer <apiKey>` or get a 401. */
  apiKey?: string;
  /** Answers chat requests when the queue is empty. Without one, such requests get a 400 naming the gap. */
  responder?: ChatResponder;
  /** Model ids listed by GET /v1/models. Default ['test-model']. */
  models?: string[];
  /** Length of embedding vectors when the request names no `dimensions`. Default 256. */
  embeddingDimensions?: number;
}

/**
 * A real HTTP server on loopback that speaks the OpenAI chat-completions and embeddings protocols with
 * scripted answers and injected faults, and logs every request. It is test infrastructure: it runs no
 * model, and its answers are whatever the test scripted (or a deterministic hashed bag-of-words vector for
 * embeddings).
 */
export interface OpenAITestServer {
  /** The base URL clients are given, ending in `/v1`. */
  readonly baseURL: string;
  readonly port: number;
  /** Every request received so far, in order. */
  readonly requests: readonly RecordedRequest[];
  /** Requests to one endpoint. */
  requestsTo(endpoint: TestServerEndpoint): RecordedRequest[];
  /** Queues chat answers; each chat request takes the next one, in arrival order. */
  enqueue(...replies: ScriptedReply[]): void;
  /** Queues what the next embeddings requests get instead of an immediate answer. */
  enqueueEmbeddings(...replies: ScriptedEmbeddingsReply[]): void;
  /** Replaces the responder used when the chat queue is empty. */
  respond(responder: ChatResponder | undefined): void;
  /** How many queued chat replies have not been used. */
  readonly pending: number;
  /** Forgets the request log and the queues. */
  reset(): void;
  close(): Promise<void>;
}

const CREATED = 1_700_000_000;

export async function startOpenAITestServer(options: OpenAITestServerOptions = {}): Promise<OpenAITestServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host)) throw new RangeError(`The test server only listens on loopback, not on ${host}`);
  const requests: RecordedRequest[] = [];
  const chatQueue: ScriptedReply[] = [];
  const embeddingsQueue: ScriptedEmbeddingsReply[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let responder = options.responder;
  let seq = 0;
  let completionId = 0;

  /** A sleep that ends early when the client goes away (timeout, abort), so nothing waits for nobody. */
  const sleeperFor = (response: ServerResponse) => {
    const gone = new Promise<void>((resolve) => response.once('close', () => resolve()));
    return async (ms: number): Promise<void> => {
      if (ms <= 0) return;
      let timer: NodeJS.Timeout | undefined;
      const elapsed = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
        timers.add(timer);
      });
      await Promise.race([elapsed, gone]);
      if (timer !== undefined) {
        clearTimeout(timer);
        timers.delete(timer);
      }
    };
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const sleep = sleeperFor(response);
    const rawBody = await readBody(request);
    const url = new URL(request.url ?? '/', 'http://test.invalid');
    const endpoint = endpointOf(request.method ?? 'GET', url.pathname);
    const body = parseJson(rawBody);
    const record: RecordedRequest = {
      seq: ++seq,
      method: request.method ?? 'GET',
      path: url.pathname,
      endpoint,
      headers: headersOf(request),
      body,
      stream: isObject(body) && body.stream === true,
      reply: 'rejected',
      receivedAt: Date.now(),
    };
    requests.push(record);
    const send = (status: number, payload: JsonValue, headers: Record<string, string> = {}) => {
      record.status = status;
      sendJson(response, status, payload, headers);
    };

    if (options.apiKey !== undefined && record.headers.authorization !== `Bearer ${options.apiKey}`) {
      return send(401, openAIError('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'));
    }
    if (endpoint === 'models') {
      record.reply = 'models';
      return send(200, { object: 'list', data: (options.models ?? ['test-model']).map((id) => ({ id, object: 'model', created: CREATED, owned_by: 'arbor-test' })) });
    }
    if (endpoint === 'unknown') return send(404, openAIError(`No route for ${record.method} ${record.path}`, 'invalid_request_error', 'not_found'));
    if (!isObject(body)) return send(400, openAIError('The request body must be a JSON object.', 'invalid_request_error', 'invalid_json'));

    if (endpoint === 'embeddings') {
      const scripted = embeddingsQueue.shift();
      if (scripted !== undefined) {
        if (!isFault(scripted) || scripted.fault !== 'hang') await sleep(scripted.delayMs ?? 0);
        if (isHttpError(scripted)) return sendHttpError(scripted, record, response);
        if (isFault(scripted)) return sendFault(scripted, record, response, sleep, undefined);
      }
      const inputs = typeof body.input === 'string' ? [body.input] : Array.isArray(body.input) && body.input.every((item) => typeof item === 'string') ? (body.input as string[]) : undefined;
      if (inputs === undefined || inputs.length === 0) return send(400, openAIError('input must be a string or a non-empty array of strings.', 'invalid_request_error', 'invalid_input'));
      const dimensions = typeof body.dimensions === 'number' ? body.dimensions : (options.embeddingDimensions ?? DEFAULT_EMBEDDING_DIMENSIONS);
      if (!Number.isInteger(dimensions) || dimensions < 1) return send(400, openAIError('dimensions must be a positive integer.', 'invalid_request_error', 'invalid_dimensions'));
      const base64 = body.encoding_format === 'base64';
      const tokens = inputs.reduce((sum, input) => sum + embeddingWords(input).length, 0);
      record.reply = 'embeddings';
      return send(200, {
        object: 'list',
        model: typeof body.model === 'string' ? body.model : 'unknown',
        data: inputs.map((input, index) => {
          const vector = hashedEmbedding(input, dimensions);
          return { object: 'embedding', index, embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector };
        }),
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      });
    }

    // chat.completions
    if (typeof body.model !== 'string' || !Array.isArray(body.messages)) {
      return send(400, openAIError('model (a string) and messages (an array) are required.', 'invalid_request_error', 'invalid_request'));
    }
    const view = viewOf(body);
    let reply = chatQueue.shift();
    if (reply === undefined && responder !== undefined) reply = await responder(view);
    if (reply === undefined) {
      return send(400, openAIError('The test server has no scripted reply for this request: enqueue() one or set a responder.', 'invalid_request_error', 'unscripted_request'));
    }
    if (!isFault(reply) || reply.fault !== 'hang') await sleep(reply.delayMs ?? 0);
    if (response.socket === null || response.socket.destroyed) {
      record.reply = 'abandoned';
      return;
    }
    if (isHttpError(reply)) return sendHttpError(reply, record, response);
    if (isFault(reply)) return sendFault(reply, record, response, sleep, view);
    record.reply = 'answer';
    record.status = 200;
    const id = `chatcmpl-${++completionId}`;
    if (view.stream) {
      const includeUsage = isObject(body.stream_options) && body.stream_options.include_usage === true;
      await streamAnswer(response, id, view, reply, includeUsage, sleep, false);
    } else {
      sendJson(response, 200, completionBody(id, view, reply));
    }
  };

  const sendHttpError = (reply: ScriptedHttpError, record: RecordedRequest, response: ServerResponse) => {
    record.reply = 'http-error';
    record.status = reply.status;
    const body = reply.body ?? openAIError(`Scripted error ${reply.status}`, reply.status === 429 ? 'rate_limit_exceeded' : 'server_error', String(reply.status));
    sendJson(response, reply.status, body, reply.headers ?? {});
  };

  const sendFault = async (
    reply: ScriptedFault,
    record: RecordedRequest,
    response: ServerResponse,
    sleep: (ms: number) => Promise<void>,
    view: ChatRequestView | undefined,
  ) => {
    record.reply = reply.fault;
    if (reply.fault === 'hang') {
      // Keep the request open until the client gives up or the server closes.
      await new Promise<void>((resolve) => response.once('close', () => resolve()));
      return;
    }
    record.status = 200;
    if (reply.fault === 'malformed-body') {
      if (record.stream) {
        response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        response.end('data: {"id": "chatcmpl-broken", "choices": [\n\n');
      } else {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"id": "chatcmpl-broken", "object": "chat.completion", "choices": [');
      }
      return;
    }
    // truncated
    const answer = reply.answer ?? { text: 'This answer is cut off before it ends properly' };
    const id = `chatcmpl-${++completionId}`;
    const cutConnection = (reply.cut ?? 'connection') === 'connection';
    if (view !== undefined && record.stream) {
      await streamAnswer(response, id, view, answer, true, sleep, true);
      if (cutConnection) response.socket?.destroySoon();
      else response.end();
      return;
    }
    const full = JSON.stringify(view === undefined ? { object: 'list', data: [] } : completionBody(id, view, answer));
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(full)) });
    response.write(full.slice(0, Math.floor(full.length / 2)));
    if (cutConnection) response.socket?.destroySoon();
    else response.end();
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, openAIError(`Test server failure: ${String(error)}`, 'server_error', 'internal'));
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    baseURL: `http://${urlHost}:${port}/v1`,
    port,
    get requests() {
      return requests;
    },
    requestsTo: (endpoint) => requests.filter((request) => request.endpoint === endpoint),
    enqueue: (...replies) => void chatQueue.push(...replies),
    enqueueEmbeddings: (...replies) => void embeddingsQueue.push(...replies),
    respond: (next) => {
      responder = next;
    },
    get pending() {
      return chatQueue.length;
    },
    reset: () => {
      requests.length = 0;
      chatQueue.length = 0;
      embeddingsQueue.length = 0;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function completionBody(id: string, view: ChatRequestView, answer: ScriptedAnswer): JsonValue {
  const text = answerText(answer);
  const toolCalls = (answer.toolCalls ?? []).map(toolCallBody);
  const usage = usageOf(view, answer, text);
  return {
    id,
    object: 'chat.completion',
    created: CREATED,
    model: view.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
        finish_reason: finishReasonOf(answer),
      },
    ],
    ...(usage === undefined ? {} : { usage }),
  };
}

async function streamAnswer(
  response: ServerResponse,
  id: string,
  view: ChatRequestView,
  answer: ScriptedAnswer,
  includeUsage: boolean,
  sleep: (ms: number) => Promise<void>,
  truncate: boolean,
): Promise<void> {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const chunk = (delta: JsonValue, finishReason: string | null = null, extra: { [key: string]: JsonValue } = {}) => ({
    id,
    object: 'chat.completion.chunk',
    created: CREATED,
    model: view.model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
    ...extra,
  });
  const events: JsonValue[] = [chunk({ role: 'assistant', content: '' })];
  const text = answerText(answer);
  for (const piece of pieces(text, 12)) events.push(chunk({ content: piece }));
  (answer.toolCalls ?? []).forEach((call, index) => {
    const body = toolCallBody(call);
    events.push(chunk({ tool_calls: [{ index, id: body.id, type: 'function', function: { name: body.function.name, arguments: '' } }] }));
    for (const piece of pieces(body.function.arguments, 10)) events.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
  });
  if (truncate) {
    // Stop halfway through the content: no finish reason, no usage, no [DONE].
    const half = Math.max(1, Math.floor(events.length / 2));
    for (const event of events.slice(0, half)) {
      response.write(`data: ${JSON.stringify(event)}\n\n`);
      if (answer.chunkDelayMs !== undefined) await sleep(answer.chunkDelayMs);
    }
    return;
  }
  events.push(chunk({}, finishReasonOf(answer)));
  const usage = usageOf(view, answer, text);
  if (includeUsage && usage !== undefined) events.push({ id, object: 'chat.completion.chunk', created: CREATED, model: view.model, choices: [], usage });
  for (const event of events) {
    if (response.destroyed) return;
    response.write(`data: ${JSON.stringify(event)}\n\n`);
    if (answer.chunkDelayMs !== undefined) await sleep(answer.chunkDelayMs);
  }
  response.end('data: [DONE]\n\n');
}

function answerText(answer: ScriptedAnswer): string {
  return answer.json !== undefined ? JSON.stringify(answer.json) : (answer.text ?? '');
}

function finishReasonOf(answer: ScriptedAnswer): string {
  return answer.finishReason ?? ((answer.toolCalls?.length ?? 0) > 0 ? 'tool_calls' : 'stop');
}

let toolCallCounter = 0;
function toolCallBody(call: ScriptedToolCall): { id: string; type: 'function'; function: { name: string; arguments: string } } {
  return {
    id: call.id ?? `call_${++toolCallCounter}`,
    type: 'function',
    function: { name: call.name, arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments) },
  };
}

function usageOf(view: ChatRequestView, answer: ScriptedAnswer, text: string): JsonValue | undefined {
  if (answer.usage === false) return undefined;
  const toolText = (answer.toolCalls ?? []).map((call) => toolCallBody(call).function.arguments).join(' ');
  const prompt = answer.usage?.promptTokens ?? countWords(view.text);
  const completion = answer.usage?.completionTokens ?? countWords(`${text} ${toolText}`);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function countWords(text: string): number {
  return text.split(/\s+/).filter((word) => word !== '').length;
}

function pieces(text: string, size: number): string[] {
  const result: string[] = [];
  for (let index = 0; index < text.length; index += size) result.push(text.slice(index, index + size));
  return result;
}

function viewOf(body: { [key: string]: JsonValue }): ChatRequestView {
  const messages: ChatMessageView[] = (body.messages as JsonValue[]).filter(isObject).map((message) => {
    const view: ChatMessageView = { role: typeof message.role === 'string' ? message.role : 'unknown', content: contentText(message.content) };
    if (Array.isArray(message.tool_calls)) {
      view.toolCalls = message.tool_calls.filter(isObject).map((call) => {
        const fn = isObject(call.function) ? call.function : {};
        return { id: String(call.id ?? ''), name: String(fn.name ?? ''), arguments: String(fn.arguments ?? '') };
      });
    }
    if (typeof message.tool_call_id === 'string') view.toolCallId = message.tool_call_id;
    return view;
  });
  const tools = Array.isArray(body.tools)
    ? body.tools.filter(isObject).map((tool) => {
        const fn = isObject(tool.function) ? tool.function : {};
        return {
          name: String(fn.name ?? ''),
          ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
          ...(fn.parameters === undefined ? {} : { parameters: fn.parameters }),
        };
      })
    : [];
  return {
    model: String(body.model),
    messages,
    stream: body.stream === true,
    tools,
    responseFormat: body.response_format,
    text: messages.map((message) => message.content).join('\n'),
    body,
  };
}

function contentText(content: JsonValue | undefined): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.filter(isObject).map((part) => (typeof part.text === 'string' ? part.text : '')).join('');
  return '';
}

function endpointOf(method: string, path: string): TestServerEndpoint {
  const normalized = path.replace(/\/+$/, '');
  if (method === 'POST' && normalized === '/v1/chat/completions') return 'chat.completions';
  if (method === 'POST' && normalized === '/v1/embeddings') return 'embeddings';
  if (method === 'GET' && normalized === '/v1/models') return 'models';
  return 'unknown';
}

function openAIError(message: string, type: string, code: string): JsonValue {
  return { error: { message, type, param: null, code } };
}

function sendJson(response: ServerResponse, status: number, payload: JsonValue, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(payload);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  response.end(text);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseJson(text: string): JsonValue | undefined {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}

function headersOf(request: IncomingMessage): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) result[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return result;
}

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
