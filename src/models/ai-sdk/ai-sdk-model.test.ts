import { createOpenAI } from '@ai-sdk/openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAITestServer, type OpenAITestServer } from '../../testing/index.js';
import { fromAiSdk } from './ai-sdk-model.js';

let server: OpenAITestServer;
beforeAll(async () => {
  server = await startOpenAITestServer();
});
afterAll(async () => {
  await server.close();
});

describe('fromAiSdk', () => {
  it('refuses model ids and models of other specification versions', () => {
    expect(() => fromAiSdk('gpt-4o' as never)).toThrow(/needs a model object/);
    expect(() => fromAiSdk({ specificationVersion: 'v2', provider: 'x', modelId: 'y' } as never)).toThrow(/v3/);
  });

  it('sends a conversation with tool calls, tool results and a JSON schema in the provider\'s wire format', async () => {
    const model = fromAiSdk(createOpenAI({ baseURL: server.baseURL, apiKey: 'k' }).chat('test-model'));
    expect(model).toMatchObject({ specificationVersion: 'arbor.model.v1', provider: 'openai.chat', modelId: 'test-model' });
    server.enqueue({ json: { ok: true } });
    const result = await model.generate({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Look it up.' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'lookup', arguments: '{"id":"A-1"}' }] },
        { role: 'tool', toolCallId: 'call_1', toolName: 'lookup', content: 'found' },
        { role: 'user', content: 'Answer in JSON.' },
      ],
      output: { type: 'json', name: 'answer', schema: { type: 'object', properties: { ok: { type: 'boolean' } } }, strict: false },
      temperature: 0,
      seed: 7,
    });
    expect(result.text).toBe('{"ok":true}');
    const body = server.requests[0]?.body as Record<string, unknown>;
    expect(body).toMatchObject({ model: 'test-model', temperature: 0, seed: 7, response_format: { type: 'json_schema', json_schema: { name: 'answer', strict: false } } });
    expect(body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Look it up.' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"id":"A-1"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'found' },
      { role: 'user', content: 'Answer in JSON.' },
    ]);
  });
});
