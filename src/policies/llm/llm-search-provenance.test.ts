import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempStore } from '../../internal/temp-store.js';
import type { JsonObject } from '../../internal/json.js';
import type { SearchNodeDetail } from '../../inspector/api-types.js';
import { startInspector, type Inspector } from '../../inspector/index.js';
import { createModel } from '../../models/index.js';
import { plan } from '../../planning/plan.js';
import { replaySearch } from '../../planning/replay-search.js';
import { astar } from '../../planning/strategies/index.js';
import { startOpenAITestServer, type OpenAITestServer } from '../../testing/index.js';
import { llmPolicy } from './llm-policy.js';
import { counterEnvironment, countingResponder } from './test-support.js';

let server: OpenAITestServer;
let temp: ReturnType<typeof createTempStore>;
let inspector: Inspector;

beforeAll(async () => {
  server = await startOpenAITestServer({ responder: countingResponder });
  temp = createTempStore('arbor-llm-provenance-');
  const assets = join(temp.dir, 'web');
  mkdirSync(assets, { recursive: true });
  writeFileSync(join(assets, 'index.html'), '<!doctype html><title>inspector</title>');
  inspector = await startInspector({ store: temp.store, port: 0, assetsDir: assets });
});
afterAll(async () => {
  await inspector.close();
  await temp.cleanup();
  await server.close();
});

async function nodeDetail(runId: string, node: number): Promise<SearchNodeDetail> {
  const response = await fetch(new URL(`api/runs/${runId}/search/nodes/${node}`, inspector.url));
  expect(response.status).toBe(200);
  return (await response.json()) as SearchNodeDetail;
}

const refIds = (value: unknown): string[] => (Array.isArray(value) ? value.map((ref) => (ref as JsonObject).id as string) : []);

describe('a search made with a model keeps its prompts', () => {
  it('A* on the LLM policy: the policy log and every node point at the recorded prompts, and the inspector shows them', async () => {
    const environment = counterEnvironment();
    const model = createModel(`openai-compatible:${server.baseURL}#test-model`, { env: {} });
    const policy = llmPolicy({ model, actions: environment.actions, store: temp.store });
    const before = server.requestsTo('chat.completions').length;
    const result = await plan({ environment, task: 'reach-7', planner: astar({ branching: 3 }), policy, store: temp.store, budget: { modelCalls: 30 } });
    expect(result.status).toBe('succeeded');
    const requests = server.requestsTo('chat.completions').slice(before);

    // Every policy call names the model calls behind it, and there is one per HTTP request the server saw.
    const logged = result.policyLog.flatMap((call) => call.calls ?? []);
    expect(result.policyLog.every((call) => (call.calls?.length ?? 0) >= 1)).toBe(true);
    expect(logged).toHaveLength(requests.length);
    // The LLM policy values a state while proposing from it: one call per expansion, no separate scoring.
    expect(new Set(logged.map((call) => call.purpose))).toEqual(new Set(['proposeAndValue']));

    const nodes = await temp.store.listSearchNodes(result.runId);
    const root = nodes.find((node) => node.parentId === null);
    const children = nodes.filter((node) => node.parentId === root?.nodeId);
    expect(children.length).toBeGreaterThan(0);
    // The node where the call was made lists it and is valued by it; its children point at it as their proposal.
    const rootCalls = root?.data.modelCalls as JsonObject[];
    expect(rootCalls.map((call) => call.method)).toEqual(['proposeAndValue']);
    expect(refIds(root?.data.scoredBy)).toEqual([rootCalls[0]?.id]);
    for (const child of children) expect(refIds(child.data.proposedBy)).toEqual([rootCalls[0]?.id]);
    // A child that was expanded was valued by its own call (deferred evaluation), not by its parent's.
    const expanded = children.find((child) => Array.isArray(child.data.modelCalls));
    expect(expanded).toBeDefined();
    expect(refIds(expanded?.data.scoredBy)).toEqual(refIds(expanded?.data.modelCalls));

    // The inspector resolves the references to the prompts as sent and the answers as received.
    const detail = await nodeDetail(result.runId, expanded?.nodeId ?? -1);
    const proposedBy = detail.modelCalls.find((call) => call.id === rootCalls[0]?.id);
    const valuedBy = detail.modelCalls.find((call) => call.id === refIds(expanded?.data.scoredBy)[0]);
    expect(proposedBy?.found).toBe(true);
    expect(valuedBy?.found).toBe(true);
    expect(proposedBy?.purpose).toBe('proposeAndValue');
    expect(JSON.stringify(proposedBy?.request)).toContain('First judge the current state');
    expect(JSON.stringify(valuedBy?.response)).toContain('proposals');
    expect(JSON.stringify(valuedBy?.response)).toContain('value');
    expect(detail.modelCalls.every((call) => call.model === 'openai-compatible:test-model' || call.model?.endsWith('test-model'))).toBe(true);
    const atRoot = await nodeDetail(result.runId, root?.nodeId ?? -1);
    expect(atRoot.modelCalls.map((call) => call.id)).toEqual(rootCalls.map((call) => call.id));

    // A replay of the search answers from the log and keeps the same references, so it shows the same prompts.
    const replay = await replaySearch(temp.store, result.runId, { environment: counterEnvironment() });
    expect(replay.divergence).toBeNull();
    const replayRoot = (await temp.store.listSearchNodes(replay.replayRunId)).find((node) => node.parentId === null);
    expect(refIds(replayRoot?.data.modelCalls)).toEqual(refIds(rootCalls));
    expect(server.requestsTo('chat.completions').length - before).toBe(requests.length);
  });
});
