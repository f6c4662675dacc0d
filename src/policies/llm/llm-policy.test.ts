import { createOpenAI } from '@ai-sdk/openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOrdersEnvironment, type Environment } from '../../environments/index.js';
import { ArborError } from '../../errors/index.js';
import { Executor } from '../../execution/index.js';
import { createTempStore } from '../../internal/temp-store.js';
import { createModel, fromAiSdk, MODEL_RESPONSE_NAMESPACE, type ModelV1 } from '../../models/index.js';
import { allCandidates } from '../../planning/candidates.js';
import type { JsonValue } from '../../internal/json.js';
import type { CandidateAction, ChildView, PolicyState, TrajectoryStep } from '../../planning/policy.js';
import { startOpenAITestServer, type OpenAITestServer, type ScriptedReply } from '../../testing/index.js';
import { llmPolicy, type LlmPolicyOptions } from './llm-policy.js';

let server: OpenAITestServer;
let temp: ReturnType<typeof createTempStore>;
let environment: Environment;
let candidates: readonly CandidateAction[];

beforeAll(async () => {
  server = await startOpenAITestServer();
  temp = createTempStore();
});
afterAll(async () => {
  await temp.cleanup();
  await server.close();
});
afterEach(() => server.reset());

const adapters: [string, () => ModelV1][] = [
  ['openai-compatible adapter', () => createModel(`openai-compatible:${server.baseURL}#test-model`, { env: {} })],
  ['AI SDK adapter (@ai-sdk/openai)', () => fromAiSdk(createOpenAI({ baseURL: server.baseURL, apiKey: 'sk-loopback' }).chat('test-model'))],
];

function stateOf(env: Environment): PolicyState {
  return { task: { id: 'fulfil-ord-1001', instruction: env.tasks?.[0]?.instruction ?? '' }, observation: env.observe(), trajectory: [] };
}

async function rejection(promise: Promise<unknown>): Promise<ArborError> {
  try {
    await promise;
  } catch (error) {
    if (ArborError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a typed error');
}

/** The messages of the n-th chat request the server received. */
function messagesOf(index: number): { role: string; content: string }[] {
  return (server.requestsTo('chat.completions')[index]?.body as { messages: { role: string; content: string }[] }).messages;
}

describe.each(adapters)('the LLM policy through the %s', (_, makeModel) => {
  beforeAll(() => {
    environment = createOrdersEnvironment();
    candidates = allCandidates(environment.actions);
  });
  const policy = (options: Partial<LlmPolicyOptions> = {}) =>
    llmPolicy({ model: makeModel(), actions: environment.actions, retry: { initialDelayMs: 5, maxDelayMs: 20 }, timeoutMs: 5_000, ...options });

  it('turns a proposal into a schema-valid action the executor runs', async () => {
    server.enqueue({
      json: {
        proposals: [
          { action: 'get_order', input: { orderId: 'ord-1001' }, probability: 0.7, rationale: 'See what the order holds.' },
          { action: 'check_stock', input: { sku: 'kb-01' }, probability: 0.2 },
        ],
      },
      usage: { promptTokens: 900, completionTokens: 60 },
    });
    const result = await policy().propose(stateOf(environment), candidates, 3);
    expect(result.value).toEqual([
      { action: 'get_order', input: { orderId: 'ord-1001' }, probability: 0.7, rationale: 'See what the order holds.' },
      { action: 'check_stock', input: { sku: 'kb-01' }, probability: 0.2 },
    ]);
    expect(result.usage).toEqual({ modelCalls: 1, inputTokens: 900, outputTokens: 60, cachedCalls: 0 });
    expect(result.calls).toMatchObject([{ purpose: 'propose', namespace: MODEL_RESPONSE_NAMESPACE, cached: false }]);
    expect(result.repairs).toBeUndefined();

    const request = server.requestsTo('chat.completions')[0]?.body as { temperature: number; max_tokens: number; response_format: { json_schema: { schema: { properties: { proposals: { items: { properties: { action: { enum: string[] } } } } } } } } };
    expect(request.temperature).toBe(0);
    expect(request.max_tokens).toBe(1024);
    expect(request.response_format.json_schema.schema.properties.proposals.items.properties.action.enum).toEqual(candidates.map((candidate) => candidate.name));
    const [system, user] = messagesOf(0);
    expect(system?.role).toBe('system');
    expect(user?.content).toContain('Fulfil order ord-1001');
    expect(user?.content).toContain('- charge_payment (irreversible, cost 3)');
    expect(user?.content).toContain('Propose up to 3 different next actions');

    const executor = new Executor({ store: temp.store, actions: environment.actions, observe: () => environment.observe() });
    const run = await executor.startRun({ task: 'propose and run' });
    const [first] = result.value;
    const step = await run.execute(first?.action ?? '', first?.input);
    expect(step).toMatchObject({ ok: true, status: 'ok', output: { id: 'ord-1001', status: 'new' } });
  });

  it('repairs malformed JSON once, sending the parse error back', async () => {
    server.enqueue(
      { text: '{"proposals": [{"action": "get_order", "input": {"orderId": "ord-1001"' },
      { json: { proposals: [{ action: 'get_order', input: { orderId: 'ord-1001' }, probability: 0.9 }] } },
    );
    const result = await policy().propose(stateOf(environment), candidates, 2);
    expect(result.value).toMatchObject([{ action: 'get_order', input: { orderId: 'ord-1001' } }]);
    expect(result.repairs?.map((problem) => problem.code)).toEqual(['ARBOR_MODEL_INVALID_JSON']);
    expect(result.calls?.map((call) => call.purpose)).toEqual(['propose', 'repair']);
    expect(result.usage.modelCalls).toBe(2);
    const repair = messagesOf(1);
    expect(repair.at(-2)).toMatchObject({ role: 'assistant', content: '{"proposals": [{"action": "get_order", "input": {"orderId": "ord-1001"' });
    expect(repair.at(-1)?.content).toMatch(/ARBOR_MODEL_INVALID_JSON: Model ".*" answered with malformed JSON/);
  });

  it('throws InvalidModelJsonError when the repair is malformed too, with what was spent', async () => {
    server.enqueue({ text: 'Sure! I would get the order first.' }, { text: '```json\n{"proposals": [\n```' });
    const error = await rejection(policy().propose(stateOf(environment), candidates, 2));
    expect(error.code).toBe('ARBOR_MODEL_INVALID_JSON');
    expect(error.data).toMatchObject({ usage: { modelCalls: 2 }, repairs: [{ code: 'ARBOR_MODEL_INVALID_JSON' }] });
    expect(server.requestsTo('chat.completions')).toHaveLength(2);
  });

  it('reports an unknown action name, keeps the valid proposals and counts the failure', async () => {
    server.enqueue(
      { json: { proposals: [{ action: 'refund_order', input: { orderId: 'ord-1001' }, probability: 0.5 }, { action: 'get_order', input: { orderId: 'ord-1001' }, probability: 0.4 }] } },
      { json: { proposals: [{ action: 'refund_order', input: { orderId: 'ord-1001' }, probability: 0.5 }] } },
    );
    const result = await policy().propose(stateOf(environment), candidates, 2);
    expect(result.value.map((proposal) => proposal.action)).toEqual(['get_order']);
    expect(result.repairs?.map((problem) => problem.code)).toEqual(['ARBOR_MODEL_UNKNOWN_TOOL']);
    expect(result.failures).toMatchObject([{ code: 'ARBOR_MODEL_UNKNOWN_TOOL', data: { tool: 'refund_order' } }]);
    expect(messagesOf(1).at(-1)?.content).toContain('"refund_order", which is not among the');
  });

  it('throws UnknownToolError when no proposal names a candidate, even after the repair', async () => {
    server.enqueue({ json: { proposals: [{ action: 'get_ordr', input: { orderId: 'ord-1001' } }] } }, { json: { proposals: [{ action: 'get_ordr', input: { orderId: 'ord-1001' } }] } });
    const error = await rejection(policy().propose(stateOf(environment), candidates, 1));
    expect(error).toMatchObject({ code: 'ARBOR_MODEL_UNKNOWN_TOOL', data: { tool: 'get_ordr', suggestions: ['get_order'] } });
    expect(error.hint).toContain('"get_order"');
  });

  it('repairs missing arguments against the action\'s zod schema', async () => {
    server.enqueue(
      { json: { proposals: [{ action: 'charge_payment', input: { orderId: 'ord-1001' }, probability: 0.6 }] } },
      { json: { proposals: [{ action: 'charge_payment', input: { orderId: 'ord-1001', amountCents: 18700 }, probability: 0.6 }] } },
    );
    const result = await policy().propose(stateOf(environment), candidates, 1);
    expect(result.value).toMatchObject([{ action: 'charge_payment', input: { orderId: 'ord-1001', amountCents: 18700 } }]);
    expect(result.repairs).toMatchObject([{ code: 'ARBOR_MODEL_INVALID_ARGUMENTS', data: { tool: 'charge_payment', missing: ['amountCents'] } }]);
    expect(messagesOf(1).at(-1)?.content).toContain('required argument "amountCents" of action "charge_payment"');
  });

  it('checks arguments against a candidate schema narrowed by a mask', async () => {
    const masked = candidates.map((candidate) =>
      candidate.name === 'get_order' ? { ...candidate, inputSchema: { type: 'object', properties: { orderId: { type: 'string', enum: ['ord-1002'] } }, required: ['orderId'] } } : candidate,
    );
    server.enqueue({ json: { proposals: [{ action: 'get_order', input: { orderId: 'ord-1001' } }] } }, { json: { proposals: [{ action: 'get_order', input: { orderId: 'ord-1002' } }] } });
    const result = await policy().propose(stateOf(environment), masked, 1);
    expect(result.value).toMatchObject([{ action: 'get_order', input: { orderId: 'ord-1002' } }]);
    expect(result.repairs).toMatchObject([{ code: 'ARBOR_MODEL_INVALID_ARGUMENTS' }]);
  });

  it('reads tool calls as proposals, repairing unknown tools and malformed or missing arguments', async () => {
    server.enqueue(
      {
        toolCalls: [
          { name: 'get_order', arguments: { orderId: 'ord-1001' } },
          { name: 'refund_order', arguments: {} },
          { name: 'check_stock', arguments: '{"sku": ' },
          { name: 'charge_payment', arguments: { orderId: 'ord-1001' } },
        ],
      },
      { toolCalls: [{ name: 'check_stock', arguments: { sku: 'kb-01' } }] },
    );
    const result = await policy({ proposeWith: 'tools' }).propose(stateOf(environment), candidates, 4);
    expect(result.value.map((proposal) => [proposal.action, proposal.input])).toEqual([
      ['check_stock', { sku: 'kb-01' }],
      ['get_order', { orderId: 'ord-1001' }],
    ]);
    expect(result.repairs?.map((problem) => problem.code).sort()).toEqual(['ARBOR_MODEL_INVALID_ARGUMENTS', 'ARBOR_MODEL_INVALID_JSON', 'ARBOR_MODEL_UNKNOWN_TOOL']);
    const first = server.requestsTo('chat.completions')[0]?.body as { tools: { function: { name: string } }[]; tool_choice: string };
    expect(first.tool_choice).toBe('required');
    expect(first.tools.map((tool) => tool.function.name)).toEqual(candidates.map((candidate) => candidate.name));
    const repair = messagesOf(1) as { role: string; tool_call_id?: string }[];
    expect(repair.filter((message) => message.role === 'tool')).toHaveLength(4);
  });

  it('gives TruncatedResponseError for a truncated stream, without a repair', async () => {
    server.enqueue({ fault: 'truncated', answer: { json: { proposals: [{ action: 'get_order', input: { orderId: 'ord-1001' } }] } } });
    const error = await rejection(policy({ stream: true }).propose(stateOf(environment), candidates, 1));
    expect(error.code).toBe('ARBOR_MODEL_TRUNCATED');
    expect(server.requestsTo('chat.completions')).toHaveLength(1);
  });

  it('gives TruncatedResponseError when the answer hits the output-token limit', async () => {
    server.enqueue({ text: '{"proposals": [{"action": "get_order"', finishReason: 'length' });
    const error = await rejection(policy().propose(stateOf(environment), candidates, 1));
    expect(error).toMatchObject({ code: 'ARBOR_MODEL_TRUNCATED', data: { reason: 'length' } });
  });

  it('retries a 429 and then succeeds', async () => {
    server.enqueue({ status: 429, headers: { 'retry-after-ms': '30' } }, { json: { proposals: [{ action: 'list_orders', input: {}, probability: 1 }] } });
    const result = await policy({ stream: true }).propose(stateOf(environment), candidates, 1);
    expect(result.value).toMatchObject([{ action: 'list_orders', input: {} }]);
    expect(result.usage.modelCalls).toBe(1);
    expect(server.requestsTo('chat.completions').map((request) => request.status)).toEqual([429, 200]);
  });

  it('gives ModelTimeoutError for an answer slower than the timeout', async () => {
    server.enqueue({ json: { proposals: [] } }, { json: { proposals: [] }, delayMs: 5_000 });
    // The first request of a process loads fetch itself; make it outside the timed call.
    await policy().propose({ ...stateOf(environment), task: { instruction: 'warm up' } }, candidates, 1);
    const quick = policy({ timeoutMs: 300 });
    const started = Date.now();
    const error = await rejection(quick.propose(stateOf(environment), candidates, 1));
    expect(error.code).toBe('ARBOR_MODEL_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('refuses a call the remaining token budget cannot pay for, before any request', async () => {
    const error = await rejection(policy().propose(stateOf(environment), candidates, 3, { remainingTokens: 500 }));
    expect(error).toMatchObject({ code: 'ARBOR_BUDGET_EXCEEDED', data: { resource: 'tokens', limit: 500 } });
    expect(server.requests).toHaveLength(0);
  });

  it('scores all children of a node in one call, repairing a missing score', async () => {
    const children: ChildView[] = [
      { action: 'get_order', input: { orderId: 'ord-1001' }, status: 'ok' as const, output: { status: 'new' } },
      { action: 'reserve_stock', input: { orderId: 'ord-1001' }, status: 'ok' as const, effect: 'write' as const },
      { action: 'ship_order', input: { orderId: 'ord-1001', carrier: 'parcelpost' }, effect: 'irreversible' as const },
    ];
    server.enqueue(
      { json: { scores: [{ child: 0, value: 0.4 }, { child: 2, value: 0.1 }] } },
      { json: { scores: [{ child: 2, value: 0.1 }, { child: 0, value: 0.4 }, { child: 1, value: 0.8, reason: 'Stock first.' }] } },
    );
    const result = await policy().evaluate(stateOf(environment), children);
    expect(result.value).toEqual([0.4, 0.8, 0.1]);
    expect(result.repairs?.[0]?.message).toContain('no score for child 1');
    const prompt = messagesOf(0)[1]?.content ?? '';
    expect(prompt).toContain('0. get_order {"orderId":"ord-1001"}');
    expect(prompt).toContain('2. ship_order {"carrier":"parcelpost","orderId":"ord-1001"} (irreversible)\n   result: not executed');
    expect(server.requestsTo('chat.completions')).toHaveLength(2);
  });

  it('proposes and values the current state in one call', async () => {
    server.enqueue({
      json: { value: 0.6, proposals: [{ action: 'get_order', input: { orderId: 'ord-1001' }, probability: 0.7, rationale: 'Read it first.' }] },
      usage: { promptTokens: 950, completionTokens: 40 },
    });
    const result = await policy().proposeAndValue?.(stateOf(environment), candidates, 2);
    expect(result?.value).toEqual({ value: 0.6, proposals: [{ action: 'get_order', input: { orderId: 'ord-1001' }, probability: 0.7, rationale: 'Read it first.' }] });
    expect(result?.usage).toEqual({ modelCalls: 1, inputTokens: 950, outputTokens: 40, cachedCalls: 0 });
    expect(result?.calls).toMatchObject([{ purpose: 'proposeAndValue', namespace: MODEL_RESPONSE_NAMESPACE, cached: false }]);
    const request = server.requestsTo('chat.completions')[0]?.body as { response_format: { json_schema: { name: string; schema: { required: string[] } } } };
    expect(request.response_format.json_schema.name).toBe('valued_proposals');
    expect(request.response_format.json_schema.schema.required).toEqual(['value', 'proposals']);
    expect(messagesOf(0)[1]?.content).toContain('First judge the current state');
    expect(server.requestsTo('chat.completions')).toHaveLength(1);
  });

  it("reads each proposal's own value (the action's value) from the same answer, and drops one that is out of range", async () => {
    server.enqueue({
      json: {
        value: 0.5,
        proposals: [
          { action: 'get_order', input: { orderId: 'ord-1001' }, probability: 0.6, value: 0.7 },
          { action: 'ship_order', input: { orderId: 'ord-1001', carrier: 'parcelpost' }, probability: 0.3, value: 1.4 },
        ],
      },
    });
    const result = await policy().proposeAndValue?.(stateOf(environment), candidates, 2);
    expect(result?.value.proposals).toEqual([
      { action: 'get_order', input: { orderId: 'ord-1001' }, probability: 0.6, value: 0.7 },
      { action: 'ship_order', input: { carrier: 'parcelpost', orderId: 'ord-1001' }, probability: 0.3 },
    ]);
    // No repair for an action value: the planner values that child another way; the drop is listed.
    expect(result?.repairs).toBeUndefined();
    expect(result?.failures).toMatchObject([{ code: 'ARBOR_MODEL_INVALID_JSON', data: { issues: [{ path: ['proposals', 1, 'value'] }] } }]);
    expect(server.requestsTo('chat.completions')).toHaveLength(1);
    const request = server.requestsTo('chat.completions')[0]?.body as { response_format: { json_schema: { schema: { properties: { proposals: { items: { required: string[] } } } } } } };
    expect(request.response_format.json_schema.schema.properties.proposals.items.required).toContain('value');
    expect(messagesOf(0)[1]?.content).toContain('how likely the task is to be completed well if this action is taken next');
  });

  it('repairs a malformed state value once, keeping the valid proposals', async () => {
    server.enqueue(
      { json: { value: 1.7, proposals: [{ action: 'get_order', input: { orderId: 'ord-1001' }, probability: 0.6 }] } },
      { json: { value: 0.35, proposals: [{ action: 'check_stock', input: { sku: 'kb-01' }, probability: 0.3 }] } },
    );
    const result = await policy().proposeAndValue?.(stateOf(environment), candidates, 2);
    expect(result?.value.value).toBe(0.35);
    expect(result?.value.proposals.map((proposal) => proposal.action)).toEqual(['check_stock', 'get_order']);
    expect(result?.repairs).toMatchObject([{ code: 'ARBOR_MODEL_INVALID_JSON', data: { issues: [{ path: ['value'] }] } }]);
    expect(result?.failures).toBeUndefined();
    expect(result?.calls?.map((call) => call.purpose)).toEqual(['proposeAndValue', 'repair']);
    expect(result?.usage.modelCalls).toBe(2);
    expect(messagesOf(1).at(-1)?.content).toContain('"value" (of the current state) must be a number from 0 to 1; got 1.7');
    expect(server.requestsTo('chat.completions')).toHaveLength(2);
  });

  it('throws when the state value is still malformed after the one repair, with what was spent', async () => {
    server.enqueue(
      { json: { value: 'high', proposals: [{ action: 'get_order', input: { orderId: 'ord-1001' } }] } },
      { json: { proposals: [{ action: 'get_order', input: { orderId: 'ord-1001' } }] } },
    );
    const error = await rejection(policy().proposeAndValue?.(stateOf(environment), candidates, 1) ?? Promise.resolve());
    expect(error).toMatchObject({ code: 'ARBOR_MODEL_INVALID_JSON', data: { usage: { modelCalls: 2 }, issues: [{ path: ['value'] }] } });
    expect(error.message).toContain('it is missing');
    expect(server.requestsTo('chat.completions')).toHaveLength(2);
  });

  it('has no proposeAndValue when proposing with tools (a tool call carries no state value)', () => {
    expect(policy({ proposeWith: 'tools' }).proposeAndValue).toBeUndefined();
    expect(policy().proposeAndValue).toBeTypeOf('function');
  });

  it('throws when the scores are still incomplete after the repair, and on an empty reflection', async () => {
    server.enqueue({ json: { scores: [{ child: 0, value: 0.5 }] } }, { json: { scores: [{ child: 0, value: 0.5 }, { child: 0, value: 0.2 }] } }, { text: '   ' });
    const children: ChildView[] = [
      { action: 'list_orders', input: {} },
      { action: 'get_order', input: { orderId: 'ord-1001' } },
    ];
    const error = await rejection(policy().evaluate(stateOf(environment), children));
    expect(error.code).toBe('ARBOR_MODEL_INVALID_JSON');
    expect(error.message).toContain('child 0 is scored twice');
    expect(error.data).toMatchObject({ usage: { modelCalls: 2 } });
    expect((await rejection(policy().reflect(stateOf(environment)))).code).toBe('ARBOR_MODEL_EMPTY_ANSWER');
  });

  it('samples whole plans, dropping a plan with an invalid step', async () => {
    server.enqueue(
      {
        json: {
          plans: [
            { steps: [{ action: 'reserve_stock', input: { orderId: 'ord-1001' } }, { action: 'quote_shipping', input: { orderId: 'ord-1001' } }], probability: 0.6 },
            { steps: [{ action: 'reserve_stock', input: {} }], probability: 0.3 },
          ],
        },
      },
      { json: { plans: [{ steps: [{ action: 'reserve_stock', input: { orderId: 'ord-1001' } }], probability: 0.3 }] } },
    );
    const result = await policy().samplePlans(stateOf(environment), candidates, 2);
    expect(result.value).toEqual([
      { steps: [{ action: 'reserve_stock', input: { orderId: 'ord-1001' } }], probability: 0.3 },
      { steps: [{ action: 'reserve_stock', input: { orderId: 'ord-1001' } }, { action: 'quote_shipping', input: { orderId: 'ord-1001' } }], probability: 0.6 },
    ]);
    expect(result.repairs).toMatchObject([{ code: 'ARBOR_MODEL_INVALID_ARGUMENTS', data: { missing: ['orderId'] } }]);
  });

  it('reflects on a failed trajectory in plain text', async () => {
    server.enqueue({ text: '  Charging before reserving stock failed; reserve first.  ' });
    const state: PolicyState = {
      ...stateOf(environment),
      trajectory: [{ action: 'charge_payment', input: { orderId: 'ord-1001', amountCents: 1 }, status: 'blocked', error: { code: 'ARBOR_PRECONDITION_FAILED', message: 'amount does not match' } }],
      reflections: ['Read the order before acting.'],
    };
    const result = await policy().reflect(state);
    expect(result.value).toBe('Charging before reserving stock failed; reserve first.');
    const prompt = messagesOf(0)[1]?.content ?? '';
    expect(prompt).toContain('1. charge_payment {"amountCents":1,"orderId":"ord-1001"} -> blocked: ARBOR_PRECONDITION_FAILED: amount does not match');
    expect(prompt).toContain('- Read the order before acting.');
  });
});

describe.each(adapters)('an agent loop on the LLM policy through the %s', (_, makeModel) => {
  it('loses no recorded step when the model fails mid-run, and records every model call', async () => {
    const env = createOrdersEnvironment();
    const store = temp.store;
    const policy = llmPolicy({ model: makeModel(), actions: env.actions, store, retry: { maxRetries: 1, initialDelayMs: 5 }, timeoutMs: 2_000 });
    const script: ScriptedReply[] = [
      { json: { proposals: [{ action: 'get_order', input: { orderId: 'ord-1001' }, probability: 0.9 }] } },
      { text: 'not json' },
      { json: { proposals: [{ action: 'check_stock', input: { sku: 'kb-01' }, probability: 0.8 }] } },
      { status: 503 },
      { json: { proposals: [{ action: 'reserve_stock', input: { orderId: 'ord-1001' }, probability: 0.8 }] } },
      { fault: 'truncated' },
    ];
    server.enqueue(...script);
    const executor = new Executor({ store, actions: env.actions, observe: () => env.observe() });
    const run = await executor.startRun({ task: 'fulfil ord-1001', environment: env.name });
    const state: PolicyState = { task: { instruction: 'Fulfil order ord-1001.' }, observation: env.observe(), trajectory: [] };
    const callIds: string[] = [];
    let failure: ArborError | undefined;
    for (let turn = 0; turn < 5 && failure === undefined; turn++) {
      try {
        const result = await policy.propose({ ...state, observation: env.observe() }, allCandidates(env.actions), 1);
        callIds.push(...(result.calls ?? []).map((call) => call.id));
        const [best] = result.value;
        const step = await run.execute(best?.action ?? '', best?.input);
        const taken: TrajectoryStep = { action: step.step.action, input: step.step.input, status: step.status };
        if (step.output !== undefined) taken.output = step.output as JsonValue;
        state.trajectory = [...state.trajectory, taken];
      } catch (error) {
        failure = ArborError.from(error);
      }
    }
    await run.end('failed', { reason: failure?.code ?? 'none' });

    expect(failure?.code).toBe('ARBOR_MODEL_TRUNCATED');
    const steps = await store.listSteps(run.id);
    expect(steps.map((step) => [step.action, step.status])).toEqual([
      ['get_order', 'ok'],
      ['check_stock', 'ok'],
      ['reserve_stock', 'ok'],
    ]);
    expect((await store.getRun(run.id))?.status).toBe('failed');
    // propose, repair, propose (after a 503 retry), propose: each recorded with its prompt and answer.
    expect(callIds).toHaveLength(4);
    for (const id of callIds) {
      const record = JSON.parse((await store.getCached(MODEL_RESPONSE_NAMESPACE, id)) ?? 'null') as { request: { messages: unknown[] }; result: { text: string } } | null;
      expect(record?.request.messages.length).toBeGreaterThanOrEqual(2);
      expect(typeof record?.result.text).toBe('string');
    }
    expect(server.requestsTo('chat.completions')).toHaveLength(script.length);
  });
});
