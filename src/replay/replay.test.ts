import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ActionSpace, defineAction } from '../actions/index.js';
import type { Environment } from '../environments/index.js';
import { createOrdersEnvironment, fulfilOrderScript } from '../environments/index.js';
import { approveAll, Executor } from '../execution/index.js';
import { useTempStore } from '../internal/test-support.js';
import { diffRuns, runSteps } from '../provenance/index.js';
import type { SqliteStore } from '../provenance/sqlite/sqlite-store.js';
import { fork, replay } from './index.js';

let store: SqliteStore;
useTempStore((opened) => {
  store = opened;
});

/** A counter world whose `bump` action can be made to misbehave from step `faultAt` on. */
function counterEnvironment(options: { faultAt?: number; spy?: () => void } = {}): Environment {
  let value = 0;
  let calls = 0;
  const actions = new ActionSpace([
    defineAction({
      name: 'bump',
      description: 'Add to the counter, with a little recorded noise.',
      input: z.object({ by: z.number() }),
      effect: 'write',
      run: ({ by }, ctx) => {
        options.spy?.();
        const noise = Math.floor(ctx.random() * 1000);
        const at = ctx.now();
        value += by + (options.faultAt !== undefined && calls >= options.faultAt ? 1 : 0);
        calls++;
        return { value, noise, at };
      },
    }),
    defineAction({ name: 'publish', description: 'Publish the counter.', input: z.object({}), effect: 'irreversible', run: () => ({ published: value }) }),
  ]);
  return { name: 'test/counter', actions, observe: () => ({ value }) };
}

async function recordCounterRun(steps: number, withPublish = false) {
  const environment = counterEnvironment();
  const executor = new Executor({ store, actions: environment.actions, observe: environment.observe, approval: approveAll });
  const run = await executor.startRun({ task: 'count', environment: environment.name });
  for (let i = 0; i < steps; i++) await run.execute('bump', { by: i });
  if (withPublish) await run.execute('publish', {});
  await run.end();
  return run.id;
}

describe('replay', () => {
  it('verify re-executes a run with its recorded nondeterminism and finds no divergence', async () => {
    const runId = await recordCounterRun(20, true);
    const report = await replay(store, runId, { mode: 'verify', environment: counterEnvironment() });
    expect(report.divergence).toBeNull();
    expect(report.matched).toBe(20);
    expect(report.skipped).toEqual([{ seq: 20, stepId: `${runId}:20`, action: 'publish' }]);
    const replayRun = await store.getRun(report.replayRunId ?? '');
    expect(replayRun).toMatchObject({ status: 'succeeded', metadata: { replayOf: runId } });
  });

  it.each([0, 7, 19])('verify names step %i when a divergence is injected there', async (k) => {
    const runId = await recordCounterRun(20);
    const report = await replay(store, runId, { mode: 'verify', environment: counterEnvironment({ faultAt: k }) });
    expect(report.divergence).toMatchObject({ seq: k, stepId: `${runId}:${k}`, action: 'bump', reason: 'the output differs' });
    expect(report.divergence?.expectedHash).not.toBe(report.divergence?.actualHash);
    expect(report.matched).toBe(k);
  });

  it('never re-executes an irreversible step unless allowed', async () => {
    const runId = await recordCounterRun(3, true);
    const publish = vi.fn();
    const environment = counterEnvironment();
    const original = environment.actions.get('publish');
    environment.actions.remove('publish');
    environment.actions.add(defineAction({ name: 'publish', description: 'p', input: z.object({}), effect: 'irreversible', run: () => (publish(), original.run({}, undefined as never)) }));
    await replay(store, runId, { mode: 'verify', environment });
    expect(publish).not.toHaveBeenCalled();
    const allowed = await replay(store, runId, { mode: 'verify', environment: counterEnvironment(), allowIrreversible: true });
    expect(allowed.skipped).toEqual([]);
    expect(allowed.matched).toBe(4);
  });

  it('reuse returns the recorded outputs without calling any action', async () => {
    const runId = await recordCounterRun(10);
    const spy = vi.fn();
    const report = await replay(store, runId, { mode: 'reuse', environment: counterEnvironment({ spy }) });
    expect(spy).not.toHaveBeenCalled();
    expect(report.reused).toBe(10);
    expect(report.steps.map((step) => (step.output as { value: number }).value)).toEqual([0, 1, 3, 6, 10, 15, 21, 28, 36, 45]);
  });

  it('verify reproduces the demo run, skipping its irreversible steps', async () => {
    const environment = createOrdersEnvironment();
    const run = await new Executor({ store, actions: environment.actions, observe: environment.observe, approval: approveAll }).startRun({ environment: environment.name });
    expect(await fulfilOrderScript(run)).toBe('succeeded');
    await run.end();
    const report = await replay(store, run.id, { mode: 'verify', environment: createOrdersEnvironment() });
    expect(report.divergence).toBeNull();
    expect(report.skipped.map((step) => step.action)).toEqual(['charge_payment', 'ship_order', 'send_email']);
  });
});

describe('fork', () => {
  it('shares the prefix and diverges after it', async () => {
    const runId = await recordCounterRun(10);
    const result = await fork(store, runId, { at: 5, change: { input: { by: 100 } }, environment: counterEnvironment() });
    expect(result.restored).toBe(5);
    expect(result.run).toMatchObject({ parentRunId: runId, forkSeq: 5, status: 'succeeded' });
    // The fork does not copy the prefix: it owns only its own steps, from seq 5 on.
    expect((await store.listSteps(result.run.id)).map((step) => step.seq)).toEqual([5, 6, 7, 8, 9]);
    const steps = await runSteps(store, result.run.id);
    expect(steps.slice(0, 5).every((step) => step.runId === runId)).toBe(true);
    expect(steps[5]?.parentStepId).toBe(`${runId}:4`);
    expect((steps[5]?.output as { value: number }).value).toBe(10 + 100);
    const diff = await diffRuns(store, runId, result.run.id);
    expect(diff.firstDivergence).toBe(5);
    expect(diff.entries.slice(0, 5).every((entry) => entry.kind === 'same' && entry.shared)).toBe(true);
    expect(diff.entries.slice(5).every((entry) => entry.kind === 'changed' && entry.changes.includes('output'))).toBe(true);
  });

  it('can stop right after the changed step', async () => {
    const runId = await recordCounterRun(6);
    const result = await fork(store, runId, { at: `${runId}:2`, change: { input: { by: -1 } }, environment: counterEnvironment(), then: 'stop' });
    expect(result.results.map((r) => r.step.seq)).toEqual([2]);
  });

  it('refuses to fork at a step that does not exist', async () => {
    const runId = await recordCounterRun(2);
    await expect(fork(store, runId, { at: 9, environment: counterEnvironment() })).rejects.toMatchObject({ code: 'ARBOR_NOT_FOUND' });
  });
});
