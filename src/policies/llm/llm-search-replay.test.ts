import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ActionSpace, defineAction } from '../../actions/index.js';
import type { Environment } from '../../environments/index.js';
import type { JsonValue } from '../../internal/json.js';
import { createTempStore } from '../../internal/temp-store.js';
import { createOpenAI } from '@ai-sdk/openai';
import { createModel, fromAiSdk, type ModelV1 } from '../../models/index.js';
import { plan, type PlanResult } from '../../planning/plan.js';
import { bestFirst } from '../../planning/strategies/index.js';
import type { SearchNodeRecord } from '../../provenance/index.js';
import { startOpenAITestServer, type ChatRequestView, type OpenAITestServer, type ScriptedReply } from '../../testing/index.js';
import { llmPolicy, type LlmPolicyOptions } from './llm-policy.js';

const TARGET = 7;

/** A counter to bring to exactly 7 with add(1..3) and double(): small, but a real tree to search. */
function counterEnvironment(): Environment {
  let value = 0;
  const actions = new ActionSpace([
    defineAction({
      name: 'add',
      description: 'Add 1, 2 or 3 to the counter.',
      input: z.object({ amount: z.number().int().min(1).max(3) }),
      effect: 'write',
      run: ({ amount }) => {
        value += amount;
        return { value };
      },
    }),
    defineAction({
      name: 'double',
      description: 'Double the counter.',
      input: z.object({}),
      effect: 'write',
      run: () => {
        value *= 2;
        return { value };
      },
    }),
  ]);
  return {
    name: 'test/counter',
    actions,
    observe: () => ({ value }),
    tasks: [{ id: 'reach-7', instruction: `Make the counter exactly ${TARGET}.`, isDone: (state) => (state as { value: number }).value === TARGET }],
    snapshot: () => ({ value }),
    restore: (snapshot) => {
      value = (snapshot as { value: number }).value;
    },
  };
}

/**
 * Answers like a model that can count, computed only from the request (so the same prompt always gets
 * the same answer): proposals from the observation in the prompt, scores from each child's state.
 */
function countingResponder(request: ChatRequestView): ScriptedReply {
  const format = (request.responseFormat as { json_schema?: { name?: string } } | undefined)?.json_schema?.name;
  const prompt = request.messages.at(-1)?.content ?? '';
  if (format === 'proposals') {
    const value = Number(/# Current observation\n\{"value":(-?\d+)\}/.exec(prompt)?.[1] ?? Number.NaN);
    const gap = TARGET - value;
    const proposals: JsonValue[] = [
      ...(gap >= 1 ? [{ action: 'add', input: { amount: Math.min(3, gap) }, probability: 0.5 }] : []),
      { action: 'double', input: {}, probability: value > 0 && value * 2 <= TARGET ? 0.3 : 0.05 },
      ...(gap > 1 ? [{ action: 'add', input: { amount: 1 }, probability: 0.1 }] : []),
    ];
    return { json: { proposals } };
  }
  if (format === 'scores') {
    const states = [...prompt.matchAll(/^(\d+)\. .*\n(?: {3}result: .*\n)? {3}state after it: \{"value":(-?\d+)\}/gm)];
    const scores = states.map((match) => {
      const value = Number(match[2]);
      return { child: Number(match[1]), value: value > TARGET ? 0.05 : Math.round((1 - (TARGET - value) / 10) * 100) / 100 };
    });
    return { json: { scores } };
  }
  return { status: 400, body: { error: { message: `unexpected request: ${format ?? 'no response format'}` } } };
}

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
  return log.map(({ usage: { modelCalls, inputTokens, outputTokens }, ...call }) => ({ ...call, usage: { modelCalls, inputTokens, outputTokens } }));
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
