import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashedEmbedding } from './hashed-embedding.js';
import { startOpenAITestServer, type OpenAITestServer } from './openai-test-server.js';

let server: OpenAITestServer;

beforeEach(async () => {
  server = await startOpenAITestServer();
});
afterEach(async () => {
  await server.close();
});

function chat(body: Record<string, unknown>, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'test-model', messages: [{ role: 'user', content: 'say hello' }], ...body }),
    ...init,
  });
}

/** The JSON payloads of an SSE body, and whether it ended with [DONE]. */
function sseEvents(text: string): { events: Record<string, unknown>[]; done: boolean } {
  const data = text.split('\n\n').filter((block) => block.startsWith('data: ')).map((block) => block.slice('data: '.length));
  const done = data.at(-1) === '[DONE]';
  return { events: data.filter((item) => item !== '[DONE]').map((item) => JSON.parse(item) as Record<string, unknown>), done };
}

/** Waits (briefly) until a condition holds: the server runs in this process, so it needs turns of the loop. */
async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the test server');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function cosine(a: number[], b: number[]): number {
  return a.reduce((sum, value, index) => sum + value * (b[index] ?? 0), 0);
}

describe('startOpenAITestServer', () => {
  it('listens on loopback only', async () => {
    expect(server.baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    await expect(startOpenAITestServer({ host: '0.0.0.0' })).rejects.toThrow(/loopback/);
  });

  it('answers a scripted chat completion with usage and logs the request', async () => {
    server.enqueue({ text: 'hello there', usage: { promptTokens: 7, completionTokens: 2 } });
    const response = await chat({ temperature: 0 });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { choices: { message: { content: string }; finish_reason: string }[]; usage: Record<string, number> };
    expect(body.choices[0]?.message.content).toBe('hello there');
    expect(body.choices[0]?.finish_reason).toBe('stop');
    expect(body.usage).toEqual({ prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ endpoint: 'chat.completions', stream: false, reply: 'answer', status: 200, body: { temperature: 0 } });
  });

  it('streams text, tool calls and usage as SSE chunks ending in [DONE]', async () => {
    server.enqueue({ text: 'a fairly long streamed answer', toolCalls: [{ name: 'lookup', arguments: { id: 'A-1', deep: true }, id: 'call_x' }] });
    const response = await chat({ stream: true, stream_options: { include_usage: true } });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const { events, done } = sseEvents(await response.text());
    expect(done).toBe(true);
    type Delta = { content?: string; tool_calls?: { index: number; id?: string; function: { name?: string; arguments?: string } }[] };
    const choices = events.flatMap((event) => event.choices as { delta: Delta; finish_reason: string | null }[]);
    expect(choices.map((choice) => choice.delta.content ?? '').join('')).toBe('a fairly long streamed answer');
    const calls = choices.flatMap((choice) => choice.delta.tool_calls ?? []);
    expect(calls[0]).toMatchObject({ index: 0, id: 'call_x', function: { name: 'lookup' } });
    expect(JSON.parse(calls.map((call) => call.function.arguments ?? '').join(''))).toEqual({ id: 'A-1', deep: true });
    expect(choices.at(-1)?.finish_reason).toBe('tool_calls');
    expect(events.at(-1)?.usage).toMatchObject({ prompt_tokens: 2 });
    expect(events.length).toBeGreaterThan(4);
  });

  it('sends scripted HTTP errors with their headers, then the next answer', async () => {
    server.enqueue({ status: 429, headers: { 'retry-after': '1' } }, { text: 'ok' });
    const first = await chat({});
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('1');
    expect(((await first.json()) as { error: { type: string } }).error.type).toBe('rate_limit_exceeded');
    const second = await chat({});
    expect(second.status).toBe(200);
    expect(server.requests.map((request) => request.reply)).toEqual(['http-error', 'answer']);
  });

  it('sends a body that is not JSON for malformed-body', async () => {
    server.enqueue({ fault: 'malformed-body' });
    const response = await chat({});
    expect(response.status).toBe(200);
    await expect(response.json()).rejects.toThrow();
  });

  it('cuts the connection halfway through a truncated answer', async () => {
    server.enqueue({ fault: 'truncated' }, { fault: 'truncated', answer: { text: 'never finished properly, sadly' } });
    const plain = await chat({});
    await expect(plain.text()).rejects.toThrow();
    const streamed = await chat({ stream: true });
    await expect(streamed.text()).rejects.toThrow();
  });

  it('ends a truncated stream cleanly without a finish reason or [DONE] when cut is "stream"', async () => {
    server.enqueue({ fault: 'truncated', cut: 'stream', answer: { text: 'this stream stops in the middle of it' } });
    const { events, done } = sseEvents(await (await chat({ stream: true })).text());
    expect(done).toBe(false);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((event) => (event.choices as { finish_reason: string | null }[]).every((choice) => choice.finish_reason === null))).toBe(true);
  });

  it('holds a slow answer until the client gives up, without blocking close()', async () => {
    server.enqueue({ text: 'late', delayMs: 10_000 }, { fault: 'hang' });
    const started = Date.now();
    for (const expected of ['abandoned', 'hang']) {
      const controller = new AbortController();
      const pending = chat({}, { signal: controller.signal });
      const count = server.requests.length;
      await until(() => server.requests.length > count);
      controller.abort();
      await expect(pending).rejects.toThrow();
      await until(() => server.requests.at(-1)?.reply === expected);
    }
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('asks a responder when the queue is empty, and refuses unscripted requests without one', async () => {
    const refused = await chat({});
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('unscripted_request');
    server.respond((request) => ({ text: `you said: ${request.messages.at(-1)?.content}` }));
    const answered = (await (await chat({})).json()) as { choices: { message: { content: string } }[] };
    expect(answered.choices[0]?.message.content).toBe('you said: say hello');
  });

  it('checks the bearer token when given an API key', async () => {
    const guarded = await startOpenAITestServer({ apiKey: 'sk-test' });
    try {
      const post = (key: string) =>
        fetch(`${guarded.baseURL}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ model: 'm', messages: [] }),
        });
      expect((await post('wrong')).status).toBe(401);
      guarded.enqueue({ text: 'ok' });
      expect((await post('sk-test')).status).toBe(200);
      expect(guarded.requests[1]?.headers.authorization).toBe('Bearer sk-test');
    } finally {
      await guarded.close();
    }
  });

  it('rejects requests that are not chat requests', async () => {
    const response = await fetch(`${server.baseURL}/chat/completions`, { method: 'POST', body: '{"model": 1}' });
    expect(response.status).toBe(400);
    expect((await fetch(`${server.baseURL}/nothing`)).status).toBe(404);
  });
});

describe('the embeddings endpoint', () => {
  async function embed(body: Record<string, unknown>): Promise<Response> {
    return fetch(`${server.baseURL}/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'test-embed', ...body }) });
  }

  it('returns deterministic unit vectors in input order, with usage, and logs the request', async () => {
    const texts = ['refund an order', 'refund the order quickly', 'weather in Paris'];
    const response = await embed({ input: texts });
    const body = (await response.json()) as { data: { index: number; embedding: number[] }[]; usage: { prompt_tokens: number } };
    expect(body.data.map((item) => item.index)).toEqual([0, 1, 2]);
    const [refund, refundQuickly, weather] = body.data.map((item) => item.embedding);
    expect(refund).toEqual(hashedEmbedding('refund an order'));
    expect(refund).toHaveLength(256);
    expect(cosine(refund ?? [], refund ?? [])).toBeCloseTo(1, 10);
    expect(cosine(refund ?? [], refundQuickly ?? [])).toBeGreaterThan(cosine(refund ?? [], weather ?? []));
    expect(body.usage.prompt_tokens).toBe(10);
    expect(server.requestsTo('embeddings')).toHaveLength(1);
    expect(server.requestsTo('embeddings')[0]?.body).toMatchObject({ input: texts });
  });

  it('honours dimensions and base64 encoding', async () => {
    const body = (await (await embed({ input: 'one two', dimensions: 16, encoding_format: 'base64' })).json()) as { data: { embedding: string }[] };
    const bytes = Buffer.from(body.data[0]?.embedding ?? '', 'base64');
    const vector = [...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)];
    expect(vector).toHaveLength(16);
    hashedEmbedding('one two', 16).forEach((value, index) => expect(vector[index]).toBeCloseTo(value, 6));
  });

  it('serves queued faults before answering', async () => {
    server.enqueueEmbeddings({ status: 503 }, { fault: 'malformed-body' });
    expect((await embed({ input: 'x' })).status).toBe(503);
    await expect((await embed({ input: 'x' })).json()).rejects.toThrow();
    expect((await embed({ input: 'x' })).status).toBe(200);
    expect((await embed({ input: [] })).status).toBe(400);
  });
});
