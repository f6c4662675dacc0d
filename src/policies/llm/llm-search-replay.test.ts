import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempStore } from '../../internal/temp-store.js';
import { createOpenAI } from '@ai-sdk/openai';
import { createModel, fromAiSdk, type ModelV1 } from '../../models/index.js';
import { plan, type PlanResult } from '../../planning/plan.js';
import { astar, bestFirst } from '../../planning/strategies/index.js';
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

async function search(makeModel: () => ModelV1, cache: LlmPolicyOptions['cache'], planner = bestFirst({ branching: 3 })): Promise<PlanResult> {
  const environment = counterEnvironment();
  const policy = llmPolicy({ model: makeModel(), actions: environment.actions, store: temp.store, cache });
  return plan({ environment, task: 'reach-7', planner, policy, store: temp.store, budget: { modelCalls: 40 } });
}

/** The structured-output name of each chat request since `from` (what the policy asked for). */
function formatsSince(from: number): (string | undefined)[] {
  return server
    .requestsTo('chat.completions')
    .slice(from)
    .map((request) => (request.body as { response_format?: { json_schema?: { name?: string } } }).response_format?.json_schema?.name);
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

describe.each(adapters)('an A* search on the LLM policy through the %s', (_, makeModel) => {
  it('makes one HTTP request per expansion (propose and value in one answer), and a replay makes none', async () => {
    const before = server.requestsTo('chat.completions').length;
    const original = await search(makeModel, 'read-write', astar({ branching: 3 }));
    expect(original.status).toBe('succeeded');
    expect(original.environment.observe()).toEqual({ value: TARGET });
    const formats = formatsSince(before);
    expect(original.spent.expansions).toBeGreaterThan(1);
    expect(formats).toHaveLength(original.spent.expansions);
    expect(new Set(formats)).toEqual(new Set(['valued_proposals']));
    expect(original.spent.modelCalls).toBe(formats.length);
    expect(original.policyLog.map((call) => call.method)).toEqual(formats.map(() => 'proposeAndValue'));

    const requests = server.requestsTo('chat.completions').length;
    const replay = await search(makeModel, 'replay', astar({ branching: 3 }));
    expect(server.requestsTo('chat.completions')).toHaveLength(requests);
    expect(replay.status).toBe('succeeded');
    expect(replay.plan.map(({ action, input }) => ({ action, input }))).toEqual(original.plan.map(({ action, input }) => ({ action, input })));
    expect(replay.tree).toEqual(original.tree);
    expect(withoutCacheFlag(replay.policyLog)).toEqual(withoutCacheFlag(original.policyLog));
    expect(shape(await temp.store.listSearchNodes(replay.runId))).toEqual(shape(await temp.store.listSearchNodes(original.runId)));
  });

  it('makes two requests per expansion with deferred evaluation off (what proposeAndValue saves)', async () => {
    const before = server.requestsTo('chat.completions').length;
    const eager = await search(makeModel, 'off', astar({ branching: 3, deferEvaluation: false }));
    expect(eager.status).toBe('succeeded');
    const formats = formatsSince(before);
    expect(formats.filter((format) => format === 'proposals')).toHaveLength(eager.spent.expansions);
    expect(formats.filter((format) => format === 'scores')).toHaveLength(eager.spent.expansions);
  });
});
