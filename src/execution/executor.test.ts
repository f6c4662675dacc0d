import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ActionSpace, defineAction } from '../actions/index.js';
import { ArborError } from '../errors/index.js';
import { useTempStore } from '../internal/test-support.js';
import { sha256 } from '../provenance/index.js';
import type { SqliteStore } from '../provenance/sqlite/sqlite-store.js';
import { approveAll, Executor, type Guard } from './index.js';

let store: SqliteStore;
useTempStore((opened) => {
  store = opened;
});

const quantity = z.object({ sku: z.string().min(1), qty: z.number().int().positive() });

describe('Executor', () => {
  it('rejects invalid input with a typed error, records the attempt, and never runs the action', async () => {
    const run = vi.fn(() => ({ ok: true }));
    const executor = new Executor({ store, actions: new ActionSpace([defineAction({ name: 'reserve', description: 'r', input: quantity, effect: 'write', run })]) });
    const r = await executor.startRun({ task: 't' });
    const result = await r.execute('reserve', { sku: '', qty: -2 });
    expect(run).not.toHaveBeenCalled();
    expect(result).toMatchObject({ ok: false, status: 'failed' });
    expect(result.error?.code).toBe('ARBOR_INVALID_INPUT');
    expect(result.error?.data.issues).toEqual([
      expect.objectContaining({ path: ['sku'] }),
      expect.objectContaining({ path: ['qty'] }),
    ]);
    await expect(r.call('reserve', { sku: 'a' })).rejects.toMatchObject({ code: 'ARBOR_INVALID_INPUT' });
    const steps = await store.listSteps(r.id);
    expect(steps.map((step) => [step.seq, step.status, step.error?.code])).toEqual([
      [0, 'failed', 'ARBOR_INVALID_INPUT'],
      [1, 'failed', 'ARBOR_INVALID_INPUT'],
    ]);
    expect(steps[0]?.input).toEqual({ sku: '', qty: -2 });
  });

  it('rejects input that makes zod itself throw (a length that cannot be compared) as invalid input, never running the action', async () => {
    const run = vi.fn(() => ({ ok: true }));
    const executor = new Executor({ store, actions: new ActionSpace([defineAction({ name: 'reserve', description: 'r', input: quantity, effect: 'write', run })]) });
    const r = await executor.startRun({ task: 't' });
    const result = await r.execute('reserve', { sku: { length: Object.create(null) as object }, qty: 1 });
    expect(run).not.toHaveBeenCalled();
    expect(result).toMatchObject({ ok: false, status: 'failed' });
    expect(result.error?.code).toBe('ARBOR_INVALID_INPUT');
  });

  it('catches output that does not match the output schema and keeps the raw output', async () => {
    const action = defineAction({ name: 'count', description: 'c', input: z.object({}), output: z.object({ n: z.number() }), effect: 'read', run: () => ({ n: 'three' }) as unknown as { n: number } });
    const executor = new Executor({ store, actions: new ActionSpace([action]) });
    const r = await executor.startRun();
    const result = await r.execute('count', {});
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('ARBOR_INVALID_OUTPUT');
    expect(result.step.output).toEqual({ n: 'three' });
  });

  it('records input and output canonically with their sha256', async () => {
    const action = defineAction({ name: 'id', description: 'i', input: z.object({ b: z.number(), a: z.string() }), effect: 'read', run: (input) => input });
    const executor = new Executor({ store, actions: new ActionSpace([action]) });
    const r = await executor.startRun();
    const first = await r.execute('id', { b: 1, a: 'x' });
    const second = await r.execute('id', { a: 'x', b: 1 });
    expect(first.step.inputHash).toBe(second.step.inputHash);
    expect(first.step.inputHash).toMatch(/^[0-9a-f]{64}$/);
    expect(first.step.inputHash).toBe(sha256('{"a":"x","b":1}'));
    expect((await store.getStep(first.step.id))?.input).toEqual({ a: 'x', b: 1 });
    expect(first.step.outputHash).toBe(first.step.inputHash);
  });

  it('blocks an irreversible action without approval, records it as blocked and stops the run', async () => {
    const run = vi.fn(() => ({ charged: true }));
    const actions = new ActionSpace([defineAction({ name: 'charge', description: 'c', input: z.object({ amount: z.number() }), effect: 'irreversible', run })]);
    const executor = new Executor({ store, actions });
    const r = await executor.startRun();
    const result = await r.execute('charge', { amount: 5 });
    expect(run).not.toHaveBeenCalled();
    expect(result.status).toBe('blocked');
    expect(result.error?.code).toBe('ARBOR_APPROVAL_REQUIRED');
    expect(r.status).toBe('blocked');
    expect((await store.getRun(r.id))?.status).toBe('blocked');
    await expect(r.execute('charge', { amount: 5 })).rejects.toMatchObject({ code: 'ARBOR_RUN_CLOSED' });

    const approved = await new Executor({ store, actions, approval: approveAll }).startRun();
    const ok = await approved.execute('charge', { amount: 5 });
    expect(ok.status).toBe('ok');
    expect(ok.step.metadata.approval).toMatchObject({ approved: true });
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('leaves an irreversible step in doubt (running), not missing, when its outcome never arrives', async () => {
    let release: () => void = () => undefined;
    const actions = new ActionSpace([
      defineAction({ name: 'wire', description: 'w', input: z.object({}), effect: 'irreversible', run: () => new Promise<null>((resolve) => (release = () => resolve(null))) }),
    ]);
    const r = await new Executor({ store, actions, approval: approveAll }).startRun();
    const pending = r.execute('wire', {});
    await vi.waitFor(async () => expect((await store.listSteps(r.id))[0]?.status).toBe('running'));
    release();
    expect((await pending).status).toBe('ok');
    expect((await store.listSteps(r.id))[0]?.status).toBe('ok');
  });

  it('blocks on a failed precondition and records its name and what it saw', async () => {
    const actions = new ActionSpace([
      defineAction({
        name: 'ship',
        description: 's',
        input: z.object({ id: z.string() }),
        effect: 'write',
        preconditions: [{ name: 'is-paid', check: ({ id }, { state }) => ({ ok: (state as { paid: string[] }).paid.includes(id), reason: `${id} is unpaid`, observed: (state as { paid: string[] }).paid }) }],
        run: () => null,
      }),
    ]);
    const r = await new Executor({ store, actions, observe: () => ({ paid: ['a'] }) }).startRun({ stopOnBlocked: false });
    expect((await r.execute('ship', { id: 'a' })).status).toBe('ok');
    const blocked = await r.execute('ship', { id: 'b' });
    expect(blocked.status).toBe('blocked');
    expect(blocked.error?.code).toBe('ARBOR_PRECONDITION_FAILED');
    expect(blocked.step.metadata.precondition).toEqual({ name: 'is-paid', reason: 'b is unpaid', observed: ['a'] });
  });

  it('applies guards before and after a call and records their verdicts', async () => {
    const guard: Guard = {
      name: 'no-deletes',
      before: ({ action }) => (action.name.startsWith('delete') ? { allow: false, code: 'ARBOR_POLICY_DENIED', reason: 'deletes are not allowed' } : { allow: true }),
      after: ({ output }) => ((output as { size: number }).size > 10 ? { allow: false, code: 'ARBOR_POSTCONDITION_FAILED', reason: 'too big' } : { allow: true }),
    };
    const actions = new ActionSpace([
      defineAction({ name: 'delete_all', description: 'd', input: z.object({}), effect: 'write', run: () => ({ size: 0 }) }),
      defineAction({ name: 'grow', description: 'g', input: z.object({ size: z.number() }), effect: 'write', run: ({ size }) => ({ size }) }),
    ]);
    const r = await new Executor({ store, actions, guards: [guard] }).startRun({ stopOnBlocked: false });
    expect((await r.execute('delete_all', {})).error?.code).toBe('ARBOR_POLICY_DENIED');
    expect((await r.execute('grow', { size: 3 })).status).toBe('ok');
    const tooBig = await r.execute('grow', { size: 30 });
    expect(tooBig.status).toBe('failed');
    expect(tooBig.step.metadata.guards).toMatchObject({ 'no-deletes': { allow: false, code: 'ARBOR_POSTCONDITION_FAILED' } });
  });

  it('records a thrown error as a failed step and does not retry by default', async () => {
    const run = vi.fn(() => {
      throw new Error('disk full');
    });
    const r = await new Executor({ store, actions: new ActionSpace([defineAction({ name: 'save', description: 's', input: z.object({}), effect: 'write', run })]) }).startRun();
    const result = await r.execute('save', {});
    expect(run).toHaveBeenCalledTimes(1);
    expect(result.error?.code).toBe('ARBOR_ACTION_FAILED');
    expect(result.error?.message).toContain('disk full');
    expect((await store.listSteps(r.id)).length).toBe(1);
  });

  it('retries only when the action opts in, recording each attempt as its own step', async () => {
    let calls = 0;
    const flaky = defineAction({
      name: 'flaky',
      description: 'f',
      input: z.object({}),
      effect: 'read',
      retry: { maxAttempts: 3 },
      run: () => {
        calls++;
        if (calls < 3) throw new Error(`attempt ${calls} failed`);
        return { calls };
      },
    });
    const r = await new Executor({ store, actions: new ActionSpace([flaky]) }).startRun();
    const result = await r.execute('flaky', {});
    expect(result.ok).toBe(true);
    const steps = await store.listSteps(r.id);
    expect(steps.map((step) => [step.attempt, step.status])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'ok'],
    ]);
    expect(new Set(steps.map((step) => step.parentStepId)).size).toBe(1);
  });

  it('fails a step that exceeds its time limit and cancels one whose caller aborts', async () => {
    const slow = defineAction({
      name: 'slow',
      description: 's',
      input: z.object({}),
      effect: 'read',
      timeoutMs: 30,
      run: (_, ctx) => new Promise((resolve) => {
        const timer = setTimeout(() => resolve('late'), 5_000);
        ctx.signal.addEventListener('abort', () => clearTimeout(timer));
      }),
    });
    const r = await new Executor({ store, actions: new ActionSpace([slow]) }).startRun();
    const timedOut = await r.execute('slow', {});
    expect(timedOut.status).toBe('failed');
    expect(timedOut.error?.code).toBe('ARBOR_ACTION_TIMEOUT');
    const controller = new AbortController();
    const pending = r.execute('slow', {}, { timeoutMs: 5_000, signal: controller.signal });
    controller.abort();
    const cancelled = await pending;
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.error?.code).toBe('ARBOR_CANCELLED');
  });

  it('records every nondeterministic value an action draws through its context', async () => {
    const action = defineAction({
      name: 'roll',
      description: 'r',
      input: z.object({}),
      effect: 'read',
      run: async (_, ctx) => ({ at: ctx.now(), die: Math.floor(ctx.random() * 6) + 1, rate: await ctx.record('rate', () => 1.25) }),
    });
    const r = await new Executor({ store, actions: new ActionSpace([action]), entropy: { now: () => 1_700_000_000_000, random: () => 0.5 } }).startRun();
    const result = await r.execute('roll', {});
    expect(result.output).toEqual({ at: 1_700_000_000_000, die: 4, rate: 1.25 });
    expect(result.step.nondeterminism).toEqual([
      { kind: 'now', value: 1_700_000_000_000 },
      { kind: 'random', value: 0.5 },
      { kind: 'record', key: 'rate', value: 1.25 },
    ]);
  });

  it('records nested calls as child steps of the calling step', async () => {
    const actions = new ActionSpace([
      defineAction({ name: 'leaf', description: 'l', input: z.object({ n: z.number() }), effect: 'read', run: ({ n }) => n * 2 }),
      defineAction({
        name: 'composite',
        description: 'c',
        input: z.object({}),
        effect: 'read',
        run: async (_, ctx) => [await ctx.call('leaf', { n: 1 }), await ctx.call('leaf', { n: 2 })],
      }),
    ]);
    const r = await new Executor({ store, actions }).startRun();
    const result = await r.execute('composite', {});
    expect(result.output).toEqual([2, 4]);
    const steps = await store.listSteps(r.id);
    const parent = steps.find((step) => step.action === 'composite');
    expect(steps.filter((step) => step.action === 'leaf').map((step) => [step.depth, step.parentStepId])).toEqual([
      [1, parent?.id],
      [1, parent?.id],
    ]);
    expect(r.head).toBe(parent?.id);
  });

  it('records the world\'s checkpoint with each top-level step, in the same write', async () => {
    let balance = 0;
    const actions = new ActionSpace([
      defineAction({ name: 'add', description: 'a', input: z.object({ n: z.number() }), effect: 'write', run: ({ n }) => ({ balance: (balance += n) }) }),
      defineAction({ name: 'twice', description: 't', input: z.object({ n: z.number() }), effect: 'write', run: async ({ n }, ctx) => (await ctx.call('add', { n }), ctx.call('add', { n })) }),
    ]);
    const executor = new Executor({ store, actions, checkpoint: () => ({ balance }) });
    const r = await executor.startRun();
    await r.execute('add', { n: 2 });
    await r.execute('twice', { n: 5 });
    await r.execute('add', { n: 'x' });
    const steps = await store.listSteps(r.id);
    expect(steps.map((step) => [step.action, step.depth, step.metadata.checkpoint])).toEqual([
      ['add', 0, { balance: 2 }],
      // The caller's seq comes before its nested calls'; its checkpoint is taken when it ends, after them.
      ['twice', 0, { balance: 12 }],
      ['add', 1, undefined],
      ['add', 1, undefined],
      ['add', 0, { balance: 12 }],
    ]);
  });

  it('refuses an unknown action with a typed error that suggests names', async () => {
    const r = await new Executor({ store, actions: new ActionSpace([defineAction({ name: 'get_order', description: 'g', input: z.object({}), effect: 'read', run: () => 1 })]) }).startRun();
    await expect(r.execute('get_ordre', {})).rejects.toSatisfy((error) => ArborError.isInstance(error) && error.code === 'ARBOR_NO_SUCH_ACTION');
  });
});
