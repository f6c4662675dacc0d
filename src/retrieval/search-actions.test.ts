import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ActionSpace, defineAction, type AnyAction } from '../actions/index.js';
import type { Environment } from '../environments/index.js';
import { Executor } from '../execution/index.js';
import { openStore, runSteps, type Store } from '../provenance/index.js';
import { replay } from '../replay/index.js';
import { retrieveCandidates } from './candidates.js';
import { SEARCH_ACTIONS, searchActionsAction } from './search-actions.js';
import { ToolIndex } from './tool-index.js';

let dir: string;
let store: Store;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'arbor-search-actions-'));
  store = await openStore({ location: join(dir, 'arbor.db') });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh environment of 200 generated actions plus the search_actions meta-action. */
function environment(): Environment {
  const actions = new ActionSpace();
  const topics = ['invoice', 'weather', 'issue', 'route', 'payment', 'calendar', 'email', 'file'];
  for (let i = 0; i < 200; i++) {
    const topic = topics[i % topics.length]!;
    actions.add(defineAction({ name: `${topic}_${i}`, description: `Handles ${topic} number ${i}`, input: z.object({}), effect: 'read', run: () => ({ ok: i }) }) as AnyAction);
  }
  actions.add(searchActionsAction(new ToolIndex({ actions })) as unknown as AnyAction);
  return { name: 'test/retrieval', actions, observe: () => ({}) };
}

describe('search_actions', () => {
  it('is recorded like any step and replays identically', async () => {
    const env = environment();
    const executor = new Executor({ store, actions: env.actions });
    const run = await executor.startRun({ task: 'find the calendar tools', environment: env.name });
    const result = await run.execute(SEARCH_ACTIONS, { query: 'calendar 45', k: 3 });
    expect(result.ok).toBe(true);
    const output = result.output as { actions: { name: string }[] };
    expect(output.actions).toHaveLength(3);
    expect(output.actions.every((action) => action.name.startsWith('calendar_'))).toBe(true);
    expect(output.actions.some((action) => action.name === SEARCH_ACTIONS)).toBe(false);
    await run.execute(SEARCH_ACTIONS, { query: '', k: 3 });
    await run.end('succeeded');

    const steps = await runSteps(store, run.id);
    expect(steps.map((step) => [step.action, step.status])).toEqual([[SEARCH_ACTIONS, 'ok'], [SEARCH_ACTIONS, 'ok']]);
    expect(steps[0]?.output).toEqual(result.output);
    expect((steps[1]?.output as { actions: unknown[] }).actions).toEqual([]);

    const verified = await replay(store, run.id, { mode: 'verify', environment: environment() });
    expect(verified.divergence).toBeNull();
    expect(verified.matched).toBe(2);
    const reused = await replay(store, run.id, { mode: 'reuse' });
    expect(reused.steps[0]?.output).toEqual(result.output);
  });

  it('rejects a k beyond its limit as invalid input, recorded as a failed step', async () => {
    const env = environment();
    const run = await new Executor({ store, actions: env.actions }).startRun({ task: 'too many' });
    const result = await run.execute(SEARCH_ACTIONS, { query: 'invoice', k: 5000 });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('ARBOR_INVALID_INPUT');
  });
});

describe('retrieveCandidates', () => {
  it('shows the pinned actions and the top k for the task, the last action and the observation', async () => {
    const env = environment();
    const index = new ToolIndex({ actions: env.actions });
    const { candidates, query } = await retrieveCandidates(
      index,
      { task: { instruction: 'pay the invoice' }, observation: { order: { status: 'awaiting payment' } }, trajectory: [{ action: 'invoice_0', input: {}, status: 'ok' }] },
      { k: 4, pinned: [SEARCH_ACTIONS, 'no_such_action'] },
    );
    expect(query).toContain('pay the invoice');
    expect(query).toContain('invoice_0');
    expect(query).toContain('awaiting payment');
    expect(candidates[0]?.name).toBe(SEARCH_ACTIONS);
    expect(candidates).toHaveLength(5);
    expect(candidates.slice(1).every((candidate) => /^(invoice|payment)_/.test(candidate.name))).toBe(true);
    expect(candidates[1]?.inputSchema).toMatchObject({ type: 'object' });
  });
});
