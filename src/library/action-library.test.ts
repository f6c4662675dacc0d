import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrdersEnvironment, type Environment } from '../environments/index.js';
import { Executor } from '../execution/index.js';
import { createTempStore } from '../internal/temp-store.js';
import { runSteps } from '../provenance/index.js';
import { replay } from '../replay/index.js';
import { ToolIndex } from '../retrieval/index.js';
import { createRunCodeAction, Sandbox } from '../sandbox/index.js';
import { ActionLibrary } from './action-library.js';
import { createSaveAction } from './save-action.js';

const sandbox = new Sandbox();
let temp: ReturnType<typeof createTempStore>;
let library: ActionLibrary;

beforeAll(() => {
  temp = createTempStore('arbor-library-');
  library = new ActionLibrary({ store: temp.store, sandbox });
});
afterAll(async () => {
  await temp.cleanup();
  await sandbox.close();
});

/** A fresh shop whose agent can run code and save functions, with the library's actions loaded. */
async function world(): Promise<Environment> {
  const environment = createOrdersEnvironment();
  environment.actions.add(createRunCodeAction({ actions: environment.actions, sandbox }));
  environment.actions.add(createSaveAction({ library, actions: environment.actions }));
  await library.load(environment.actions);
  return environment;
}

const ORDER_TOTALS = `async function orderTotals({ orderIds }) {
  let totalCents = 0;
  for (const orderId of orderIds) {
    const order = await tools.get_order({ orderId });
    totalCents += order.totalCents;
  }
  return { count: orderIds.length, totalCents };
}`;

describe('the action library', () => {
  let creatingRunId: string;
  let codeStepId: string;

  it('saves a function that worked in a code step as a new, versioned action with its origin', async () => {
    const environment = await world();
    const index = new ToolIndex({ actions: environment.actions });
    const run = await new Executor({ store: temp.store, actions: environment.actions }).startRun({ task: 'total of two orders', environment: 'shop' });
    creatingRunId = run.id;
    const code = await run.execute('run_code', { code: `${ORDER_TOTALS}\nreturn orderTotals({ orderIds: ['ord-1001', 'ord-1002'] });` });
    expect(code.output).toMatchObject({ result: { count: 2, totalCents: 14700 + 24900 } });
    codeStepId = code.step.id;

    const saved = await run.execute('save_action', {
      name: 'order_totals',
      description: 'Sum the totals in cents of several orders given their ids.',
      code: ORDER_TOTALS,
      fromStep: code.step.seq,
      example: { orderIds: ['ord-1001'] },
    });
    await run.end();
    expect(saved.error).toBeNull();
    expect(saved.output).toMatchObject({ name: 'order_totals', version: 1 });

    const record = await library.get('order_totals');
    expect(record).toMatchObject({
      version: 1,
      code: ORDER_TOTALS,
      effect: 'write',
      createdBy: 'agent',
      originRunId: run.id,
      originStepId: code.step.id,
      inputSchema: { type: 'object', properties: { orderIds: { type: 'array', items: { type: 'string' } } }, required: ['orderIds'] },
    });
    // Usable at once in the run that saved it, and found by an index that follows the space.
    expect(environment.actions.get('order_totals').source).toMatchObject({ kind: 'generated', version: '1' });
    expect((await index.search('sum order totals', { k: 1 })).hits.map((hit) => hit.name)).toEqual(['order_totals']);
    index.close();
  });

  it('is found by name and by a text query in a later run and executes there, its steps linking back to the creating run', async () => {
    const environment = await world();
    // By a text query, through the retrieval index over the later run's action space (lexical, no model).
    const index = new ToolIndex({ actions: environment.actions });
    const found = await index.search('add up the totals of several orders', { k: 3 });
    index.close();
    expect(found.hits[0]?.name).toBe('order_totals');
    expect(found.hits[0]?.source).toMatchObject({ kind: 'generated', origin: { runId: creatingRunId } });

    // By name.
    const action = environment.actions.get('order_totals');
    expect(action.source).toEqual({ kind: 'generated', name: 'order_totals', version: '1', origin: { runId: creatingRunId, stepId: codeStepId } });
    expect(action.tags).toContain('generated');
    expect(environment.actions.list({ sourceKind: 'generated' }).map((candidate) => candidate.name)).toEqual(['order_totals']);

    const run = await new Executor({ store: temp.store, actions: environment.actions }).startRun({ task: 'later task' });
    const direct = await run.execute('order_totals', { orderIds: ['ord-1002'] });
    expect(direct.output).toEqual({ count: 1, totalCents: 24900 });
    expect(direct.step.metadata.source).toEqual({ kind: 'generated', name: 'order_totals', version: '1', origin: { runId: creatingRunId, stepId: codeStepId } });

    // Reused from new code too: the saved action is a tool inside the sandbox, one level deeper.
    const composed = await run.execute('run_code', { code: "const { totalCents } = await tools.order_totals({ orderIds: ['ord-1001'] });\nreturn totalCents * 2;" });
    expect(composed.output).toMatchObject({ result: 29400 });
    await run.end();

    const steps = await runSteps(temp.store, run.id);
    const byId = new Map(steps.map((step) => [step.id, step]));
    expect(steps.map((step) => [step.action, step.depth, step.parentStepId === null ? null : byId.get(step.parentStepId)?.action])).toEqual([
      ['order_totals', 0, null],
      ['get_order', 1, 'order_totals'],
      ['run_code', 0, 'order_totals'],
      ['order_totals', 1, 'run_code'],
      ['get_order', 2, 'order_totals'],
    ]);
    const origin = await temp.store.getStep((steps[0]?.metadata.source as { origin: { stepId: string } }).origin.stepId);
    expect(origin).toMatchObject({ runId: creatingRunId, action: 'run_code', status: 'ok' });
  });

  it('replays the run that created it byte for byte (saving the same function again writes nothing)', async () => {
    const report = await replay(temp.store, creatingRunId, { mode: 'verify', environment: await world() });
    expect(report.divergence).toBeNull();
    expect(report.matched).toBe(report.total);
    expect(await library.versions('order_totals')).toHaveLength(1);
  });

  it('keeps every version and serves the latest', async () => {
    const changed = ORDER_TOTALS.replace('return { count: orderIds.length, totalCents };', 'return { count: orderIds.length, totalCents, average: totalCents / orderIds.length };');
    const outcome = await library.save({ name: 'order_totals', description: 'Sum and average the totals of several orders.', code: changed, createdBy: 'user' });
    expect(outcome).toMatchObject({ created: true, record: { version: 2, createdBy: 'user', originRunId: null } });
    expect((await library.save({ name: 'order_totals', description: 'Sum and average the totals of several orders.', code: changed })).created).toBe(false);
    expect((await library.versions('order_totals')).map((record) => record.version)).toEqual([1, 2]);
    expect((await library.get('order_totals', 1)).code).toBe(ORDER_TOTALS);

    const environment = await world();
    const run = await new Executor({ store: temp.store, actions: environment.actions }).startRun();
    expect((await run.execute('order_totals', { orderIds: ['ord-1001', 'ord-1002'] })).output).toEqual({ count: 2, totalCents: 39600, average: 19800 });
  });

  it('refuses functions that did not work, are not in the step, do not parse, or would do more than their code step', async () => {
    const environment = await world();
    const run = await new Executor({ store: temp.store, actions: environment.actions }).startRun();
    const failed = await run.execute('run_code', { code: 'async function broken() { return missing; }\nreturn broken();' });
    const worked = await run.execute('run_code', { code: 'async function fine({ n }) { return n + 1; }\nreturn fine({ n: 1 });' });

    const fromFailed = await run.execute('save_action', { name: 'broken', description: 'x', code: 'async function broken() { return missing; }', fromStep: failed.step.seq });
    expect(fromFailed.error?.code).toBe('ARBOR_INVALID_DEFINITION');
    expect(fromFailed.error?.message).toMatch(/did not succeed/);

    const notThere = await run.execute('save_action', { name: 'other', description: 'x', code: 'async function other({ n }) { return n; }', fromStep: worked.step.seq });
    expect(notThere.error?.message).toMatch(/not in the code of step/);

    await expect(library.save({ name: 'bad', description: 'x', code: 'async function ({ n ) { return n; }' })).rejects.toMatchObject({
      code: 'ARBOR_INVALID_DEFINITION',
      data: { line: 1, column: 21 },
    });
    await expect(library.save({ name: 'two', description: 'x', code: 'function a() {}\nfunction b() {}' })).rejects.toThrow(/exactly one function/);
    await expect(library.save({ name: 'untyped', description: 'x', code: 'async function (input) { return input; }' })).rejects.toThrow(/cannot be inferred/);
    await expect(
      library.save({ name: 'pay', description: 'x', code: 'async function fine({ n }) { return n + 1; }', effect: 'irreversible', origin: { runId: run.id, step: worked.step.seq } }),
    ).rejects.toThrow(/cannot be irreversible/);
    await expect(library.get('nope')).rejects.toMatchObject({ code: 'ARBOR_NOT_FOUND' });
  });
});
