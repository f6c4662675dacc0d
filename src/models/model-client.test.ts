import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOpenAI } from '@ai-sdk/openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ArborError } from '../errors/index.js';
import { openStore, type Store } from '../provenance/index.js';
import { startOpenAITestServer, type OpenAITestServer } from '../testing/index.js';
import { fromAiSdk } from './ai-sdk/ai-sdk-model.js';
import { MODEL_RESPONSE_NAMESPACE, ModelClient, type ModelCallEvent, type ModelClientOptions, type ModelRequest } from './model-client.js';
import { createModel } from './model-spec.js';
import type { ModelV1 } from './v1/index.js';

let server: OpenAITestServer;
let directory: string;
let store: Store;

beforeAll(async () => {
  server = await startOpenAITestServer({ apiKey: 'sk-loopback' });
  directory = mkdtempSync(join(tmpdir(), 'arbor-model-client-'));
  store = await openStore({ location: join(directory, 'arbor.db') });
});
afterAll(async () => {
  await store.close();
  await server.close();
  rmSync(directory, { recursive: true, force: true });
});
afterEach(() => server.reset());

/** Both adapters, against the same loopback server: the OpenAI-compatible one, and an AI SDK provider. */
const adapters: [string, () => ModelV1][] = [
  ['openai-compatible adapter', () => createModel(`openai-compatible:${server.baseURL}#test-model`, { env: { ARBOR_MODEL_API_KEY: 'sk-loopback' } })],
  ['AI SDK adapter (@ai-sdk/openai)', () => fromAiSdk(createOpenAI({ baseURL: server.baseURL, apiKey: 'sk-loopback' }).chat('test-model'))],
];

const hello: ModelRequest = { messages: [{ role: 'user', content: 'Say hello to the test.' }], maxOutputTokens: 50 };

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return ArborError.isInstance(error) ? error.code : `untyped: ${String(error)}`;
  }
  return 'no error';
}

describe.each(adapters)('ModelClient through the %s', (_, makeModel) => {
  const client = (options: Partial<ModelClientOptions> = {}) =>
    new ModelClient({ model: makeModel(), retry: { initialDelayMs: 5, maxDelayMs: 20 }, timeoutMs: 5_000, countTokens: (text) => text.split(/\s+/).length, ...options });

  it('returns the answer with the provider usage, streamed or not', async () => {
    for (const stream of [false, true]) {
      server.enqueue({ text: 'hello, test', usage: { promptTokens: 11, completionTokens: 3 } });
      const call = await client({ stream }).generate(hello);
      expect(call.result.text).toBe('hello, test');
      expect(call.result.finishReason).toBe('stop');
      expect(call.usage).toEqual({ inputTokens: 11, outputTokens: 3, source: 'provider' });
      expect(call).toMatchObject({ cached: false, attempts: 1 });
    }
    expect(server.requests.map((request) => request.stream)).toEqual([false, true]);
    expect(server.requests[0]?.headers.authorization).toBe('Bearer sk-loopback');
  });

  it('returns tool calls with their raw argument text', async () => {
    server.enqueue({ toolCalls: [{ name: 'lookup', arguments: '{"id": "A-1"}', id: 'call_1' }] });
    const call = await client({ stream: true }).generate({ ...hello, tools: [{ name: 'lookup', description: 'Look up', inputSchema: { type: 'object', properties: { id: { type: 'string' } } } }] });
    expect(call.result.toolCalls).toEqual([{ id: 'call_1', name: 'lookup', arguments: '{"id": "A-1"}' }]);
    expect(call.result.finishReason).toBe('tool-calls');
    expect((server.requests[0]?.body as { tools: unknown[] }).tools).toHaveLength(1);
  });

  it('counts tokens itself when the provider reports no usage', async () => {
    server.enqueue({ text: 'four words of answer', usage: false });
    const call = await client().generate(hello);
    expect(call.usage.source).toBe('estimate');
    expect(call.usage.outputTokens).toBe(4);
    expect(call.usage.inputTokens).toBeGreaterThan(4);
  });

  it('retries a 429 after the Retry-After the server asked for, then succeeds', async () => {
    const events: ModelCallEvent[] = [];
    server.enqueue({ status: 429, headers: { 'retry-after-ms': '120' } }, { text: 'ok now' });
    const started = Date.now();
    const call = await client({ onEvent: (event) => events.push(event) }).generate(hello);
    expect(call.result.text).toBe('ok now');
    expect(call.attempts).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    const retry = events.find((event) => event.type === 'model-call-retry');
    expect(retry).toMatchObject({ delayMs: 120, attempt: 1, error: { code: 'ARBOR_MODEL_RATE_LIMITED' } });
    expect(server.requests.map((request) => request.status)).toEqual([429, 200]);
  });

  it('gives up on 5xx after maxRetries with jittered, growing backoff and a typed error', async () => {
    const delays: number[] = [];
    server.enqueue({ status: 503 }, { status: 502 }, { status: 500 });
    const failing = client({ retry: { maxRetries: 2, initialDelayMs: 10, maxDelayMs: 1_000 }, onEvent: (event) => event.type === 'model-call-retry' && delays.push(event.delayMs) });
    try {
      await failing.generate(hello);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'ARBOR_MODEL_SERVER_ERROR', status: 500, attempts: 3 });
    }
    expect(server.requests).toHaveLength(3);
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThanOrEqual(5);
    expect(delays[0]).toBeLessThanOrEqual(10);
    expect(delays[1]).toBeGreaterThanOrEqual(10);
    expect(delays[1]).toBeLessThanOrEqual(20);
  });

  it('does not retry a rejected request (401)', async () => {
    const wrongKey = new ModelClient({ model: createModel(`openai-compatible:${server.baseURL}#test-model`, { env: { ARBOR_MODEL_API_KEY: 'sk-wrong' } }), retry: { initialDelayMs: 1 } });
    expect(await codeOf(wrongKey.generate(hello))).toBe('ARBOR_MODEL_REQUEST_REJECTED');
    expect(server.requests).toHaveLength(1);
  });

  it('times out a slow answer, without retrying it', async () => {
    // The first request of a process loads fetch itself; make it outside the timed call.
    server.enqueue({ text: 'warm' });
    await client().generate(hello);
    const quick = client({ timeoutMs: 250 });
    server.enqueue({ text: 'too late', delayMs: 5_000 });
    const started = Date.now();
    expect(await codeOf(quick.generate({ ...hello, maxOutputTokens: 51 }))).toBe('ARBOR_MODEL_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(server.requestsTo('chat.completions')).toHaveLength(2);
  });

  it('stops on cancellation, during a call and during a backoff', async () => {
    server.enqueue({ text: 'slow', delayMs: 5_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user pressed ctrl-c')), 100);
    expect(await codeOf(client().generate(hello, { signal: controller.signal }))).toBe('ARBOR_CANCELLED');

    server.enqueue({ status: 429, headers: { 'retry-after': '30' } });
    const second = new AbortController();
    setTimeout(() => second.abort(), 150);
    const started = Date.now();
    expect(await codeOf(client({ retry: { maxRetryAfterMs: 60_000 } }).generate(hello, { signal: second.signal }))).toBe('ARBOR_CANCELLED');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('refuses a call the token budget cannot pay for, before sending anything', async () => {
    try {
      await client().generate(hello, { remainingTokens: 20 });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'ARBOR_BUDGET_EXCEEDED', data: { resource: 'tokens', limit: 20 } });
      expect((error as ArborError).data.wanted).toBeGreaterThan(50);
    }
    expect(server.requests).toHaveLength(0);
  });

  it('reports truncated streams and malformed bodies with typed errors', async () => {
    server.enqueue({ fault: 'truncated', cut: 'stream' }, { fault: 'truncated' }, { fault: 'malformed-body' }, { fault: 'truncated' });
    expect(await codeOf(client({ stream: true }).generate(hello))).toBe('ARBOR_MODEL_TRUNCATED');
    expect(await codeOf(client({ stream: true }).generate(hello))).toBe('ARBOR_MODEL_TRUNCATED');
    expect(await codeOf(client().generate(hello))).toBe('ARBOR_MODEL_MALFORMED_RESPONSE');
    expect(await codeOf(client().generate(hello))).toBe('ARBOR_MODEL_TRUNCATED');
    expect(server.requests).toHaveLength(4);
  });

  it('answers a repeated call from the store, and a replay-only client never calls the model', async () => {
    const request: ModelRequest = { ...hello, messages: [{ role: 'user', content: `cache me ${Math.random()}` }] };
    server.enqueue({ text: 'cached answer', usage: { promptTokens: 9, completionTokens: 2 } });
    const first = await client({ store }).generate(request, { purpose: 'test' });
    const again = await client({ store }).generate(request);
    const replayed = await client({ store, cache: 'replay' }).generate(request);
    expect(server.requests).toHaveLength(1);
    for (const call of [again, replayed]) {
      expect(call).toMatchObject({ id: first.id, cached: true, attempts: 0, usage: first.usage });
      expect(call.result).toEqual(first.result);
    }
    const recorded = JSON.parse((await store.getCached(MODEL_RESPONSE_NAMESPACE, first.id)) ?? 'null') as { request: { messages: unknown[] }; result: { text: string }; purpose: string };
    expect(recorded).toMatchObject({ purpose: 'test', result: { text: 'cached answer' }, request: { messages: request.messages } });
    expect(await codeOf(client({ store, cache: 'replay' }).generate({ ...request, temperature: 0.5 }))).toBe('ARBOR_MODEL_CACHE_MISS');
    expect(server.requests).toHaveLength(1);
  });
});

describe('ModelClient', () => {
  it('honours a Retry-After given in seconds', async () => {
    server.enqueue({ status: 429, headers: { 'retry-after': '1' } }, { text: 'after a second' });
    const events: ModelCallEvent[] = [];
    const client = new ModelClient({ model: adapters[0]![1](), onEvent: (event) => events.push(event) });
    const started = Date.now();
    await client.generate(hello);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(events.find((event) => event.type === 'model-call-retry')).toMatchObject({ delayMs: 1000 });
  });

  it('gives up at once when the server asks to wait longer than maxRetryAfterMs', async () => {
    server.enqueue({ status: 429, headers: { 'retry-after': '120' } });
    const client = new ModelClient({ model: adapters[0]![1](), retry: { maxRetryAfterMs: 10_000 } });
    try {
      await client.generate(hello);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'ARBOR_MODEL_RATE_LIMITED', retryAfterMs: 120_000, attempts: 1 });
    }
  });

  it('reports an endpoint nobody listens on as unreachable, after retrying', async () => {
    const closed = await startOpenAITestServer();
    const url = closed.baseURL;
    await closed.close();
    const client = new ModelClient({ model: createModel(`openai-compatible:${url}#m`, { env: {} }), retry: { maxRetries: 1, initialDelayMs: 1 } });
    try {
      await client.generate(hello);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'ARBOR_MODEL_UNREACHABLE', attempts: 2 });
    }
  });

  it('keys calls by model, prompt and parameters', () => {
    const a = new ModelClient({ model: adapters[0]![1]() });
    const b = new ModelClient({ model: createModel(`openai-compatible:${server.baseURL}#other-model`, { env: {} }) });
    expect(a.cacheKey(hello)).toBe(a.cacheKey({ ...hello }));
    expect(a.cacheKey(hello)).not.toBe(b.cacheKey(hello));
    expect(a.cacheKey(hello)).not.toBe(a.cacheKey({ ...hello, temperature: 1 }));
    expect(a.cacheKey(hello)).not.toBe(a.cacheKey({ ...hello, messages: [{ role: 'user', content: 'Say hello to the test!' }] }));
  });

  it('needs a store for a cache', () => {
    expect(() => new ModelClient({ model: adapters[0]![1](), cache: 'replay' })).toThrow(/needs a store/);
  });
});
