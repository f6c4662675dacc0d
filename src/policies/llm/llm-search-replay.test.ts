import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempStore } from '../../internal/temp-store.js';
import { createOpenAI } from '@ai-sdk/openai';
import { createModel, fromAiSdk, type ModelV1 } from '../../models/index.js';
import { plan, type PlanResult } from '../../planning/plan.js';
import { bestFirst } from '../../planning/strategies/index.js';
import type { SearchNodeRecord } from '../../provenance/index.js';
import { startOpenAITestServer, type OpenAITestServer } from '../../testing/index.js';
import { llmPolicy, type LlmPolicyOptions } from './llm-policy.js';
import { counterEnvironment, countingResponder, TARGET } from './test-support.js';

let server: OpenAITestServer;
let temp: ReturnType<typeof createTempStore>;

beforeAll(async () => {
  server = await startOpenAITestServer({ responder: countingResponder });
  temp = createTempStore();
});
afterAll(async () => {
  await temp.cleanup();
  await server.close();
});

const adapters: [string, () => ModelV1][] = [
  ['openai-compatible adapter', () => createModel(`openai-compatible:${server.baseURL}#test-model`, { env: {} })],
  ['AI SDK adapter (@ai-sdk/openai)', () => fromAiSdk(createOpenAI({ baseURL: server.baseURL, apiKey: 'sk-loopback' }).chat('test-model'))],
];

async function search(makeModel: () => ModelV1, cache: LlmPolicyOptions['cache']): Promise<PlanResult> {
  const environment = counterEnvironment();
  const policy = llmPolicy({ model: makeModel(), actions: environment.actions, store: temp.store, cache });
  return plan({ environment, task: 'reach-7', planner: bestFirst({ branching: 3 }), policy, store: temp.store, budget: { modelCalls: 40 } });
}

function withoutCacheFlag(log: PlanResult['policyLog']): unknown[] {
  return log.map(({ usage: { modelCalls, inputTokens, outputTokens }, calls, ...call }) => ({
    ...call,
    usage: { modelCalls, inputTokens, outputTokens },
    calls: calls?.map(({ cached: _cached, ...ref }) => ref),
  }));
}

function shape(nodes: SearchNodeRecord[]): unknown[] {
  return nodes.map(({ nodeId, parentId, depth, action, input, status, value, visits }) => ({ nodeId, parentId, depth, action, input, status, value, visits }));
}

describe.each(adapters)('a best-first search on the LLM policy through the %s', (_, makeModel) => {
  it('is replayed from the response cache with zero HTTP requests, reproducing the same tree', async () => {
    const before = server.requestsTo('chat.completions').length;
    const original = await search(makeModel, 'read-write');
    const requests = server.requestsTo('chat.completions').length;
    expect(original.status).toBe('succeeded');
    expect(original.environment.observe()).toEqual({ value: TARGET });
    expect(requests - before).toBeGreaterThan(2);
    expect(original.spent.modelCalls).toBe(requests - before);

    const replays = [await search(makeModel, 'read-write'), await search(makeModel, 'replay')];
    expect(server.requestsTo('chat.completions')).toHaveLength(requests);
    const originalNodes = shape(await temp.store.listSearchNodes(original.runId));
    for (const replay of replays) {
      expect(replay.runId).not.toBe(original.runId);
      expect(replay.status).toBe(original.status);
      expect(replay.plan.map(({ action, input }) => ({ action, input }))).toEqual(original.plan.map(({ action, input }) => ({ action, input })));
      expect(replay.tree).toEqual(original.tree);
      // The same calls with the same answers and the same spending; only the cache flag differs.
      expect(withoutCacheFlag(replay.policyLog)).toEqual(withoutCacheFlag(original.policyLog));
      expect(replay.policyLog.every((call) => (call.usage as { cachedCalls?: number }).cachedCalls === call.usage.modelCalls)).toBe(true);
      expect({ modelCalls: replay.spent.modelCalls, tokens: replay.spent.tokens }).toEqual({ modelCalls: original.spent.modelCalls, tokens: original.spent.tokens });
      expect(shape(await temp.store.listSearchNodes(replay.runId))).toEqual(originalNodes);
    }
  });
});
