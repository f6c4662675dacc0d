import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ActionSpace, defineAction } from '../actions/index.js';
import { StageViolationError } from '../errors/index.js';
import { approveAll, Executor } from '../execution/index.js';
import { useTempStore } from '../internal/test-support.js';
import type { SqliteStore } from '../provenance/sqlite/sqlite-store.js';
import { defineStages, stageGuard } from './index.js';

let store: SqliteStore;
useTempStore((opened) => {
  store = opened;
});

const checkout = () =>
  defineStages({
    name: 'checkout',
    initial: 'cart',
    stages: {
      cart: { allow: ['cart.*', 'catalog.*'] },
      payment: { allow: ['payment.*', 'catalog.*'] },
      done: { allow: ['catalog.*', 'receipt.send'] },
    },
    transitions: [
      { from: 'cart', on: 'cart.checkout', to: 'payment' },
      { from: 'payment', on: 'payment.charge', to: 'done' },
      { from: '*', on: 'cart.reset', to: 'cart' },
    ],
  });

function shopActions(log: string[] = []) {
  const act = (name: string, effect: 'read' | 'write' | 'irreversible' = 'write', extra: { stages?: string[] } = {}) =>
    defineAction({
      name,
      description: name,
      input: z.object({}).loose(),
      effect,
      ...extra,
      run: () => {
        log.push(name);
        return { did: name };
      },
    });
  return new ActionSpace([
    act('catalog.search', 'read'),
    act('cart.add'),
    act('cart.checkout'),
    act('cart.reset'),
    act('payment.charge', 'irreversible'),
    act('receipt.send', 'irreversible', { stages: ['done'] }),
    defineAction({
      name: 'cart.express',
      description: 'checks out and pays in one go, through nested calls',
      input: z.object({}),
      effect: 'write',
      run: async (_input, ctx) => {
        await ctx.call('cart.checkout', {});
        await ctx.call('payment.charge', {});
        return { express: true };
      },
    }),
  ]);
}

describe('defineStages', () => {
  it('rejects a machine that names undeclared stages, saying which field', () => {
    expect(() => defineStages({ initial: 'nowhere', stages: { a: {} } })).toThrow(/initial names stage "nowhere"/);
    expect(() => defineStages({ initial: 'a', stages: { a: {} }, transitions: [{ from: 'a', on: 'x', to: 'b' }] })).toThrow(/transitions\[0\]\.to names stage "b"/);
    expect(() => defineStages({ initial: 'a', stages: {} })).toThrow(/declares no stages/);
  });

  it('allows an action only when the stage lists it and its own stages include the stage', () => {
    const machine = checkout();
    expect(machine.decide('cart', { name: 'cart.add' })).toEqual({ allowed: true, reason: 'stage "cart" lists it' });
    expect(machine.decide('cart', { name: 'payment.charge' })).toEqual({ allowed: false, reason: 'stage "cart" does not list it' });
    expect(machine.decide('payment', { name: 'receipt.send', stages: ['done'] }).allowed).toBe(false);
    expect(machine.decide('done', { name: 'receipt.send', stages: ['done'] }).allowed).toBe(true);
    expect(machine.decide('done', { name: 'catalog.search', stages: ['cart'] })).toEqual({ allowed: false, reason: 'the action runs only in stages cart' });
  });

  it('follows transitions of successful steps only', () => {
    const machine = checkout();
    expect(machine.stageAfter([{ action: 'cart.add', input: {}, status: 'ok' }, { action: 'cart.checkout', input: {}, status: 'failed' }])).toBe('cart');
    expect(machine.stageAfter([{ action: 'cart.checkout', input: {}, status: 'ok' }, { action: 'payment.charge', input: {}, status: 'ok' }])).toBe('done');
    expect(machine.stageAfter([{ action: 'cart.checkout', input: {}, status: 'ok' }, { action: 'cart.reset', input: {}, status: 'ok' }])).toBe('cart');
  });
});

describe('stageGuard in the executor', () => {
  it('blocks an action outside its stage with StageViolationError, records the blocked step, and never runs it', async () => {
    const log: string[] = [];
    const machine = checkout();
    const executor = new Executor({ store, actions: shopActions(log), guards: [stageGuard(machine)], approval: approveAll });
    const run = await executor.startRun({ task: 'buy', stopOnBlocked: false });
    expect((await run.execute('cart.add', {})).ok).toBe(true);
    const early = await run.execute('payment.charge', {});
    expect(early.status).toBe('blocked');
    expect(early.error).toBeInstanceOf(StageViolationError);
    expect(early.error).toMatchObject({ code: 'ARBOR_STAGE_VIOLATION', stage: 'cart', action: 'payment.charge' });
    expect(early.error?.hint).toContain('cart.*');
    expect(log).toEqual(['cart.add']);

    expect((await run.execute('cart.checkout', {})).ok).toBe(true);
    expect((await run.execute('payment.charge', {})).ok).toBe(true);
    expect((await run.execute('cart.add', {})).error?.code).toBe('ARBOR_STAGE_VIOLATION');
    expect((await run.execute('receipt.send', {})).ok).toBe(true);
    expect(log).toEqual(['cart.add', 'cart.checkout', 'payment.charge', 'receipt.send']);

    const steps = await store.listSteps(run.id);
    expect(steps.map((step) => [step.action, step.status, step.metadata.guards])).toEqual([
      ['cart.add', 'ok', { checkout: { stage: 'cart', next: 'cart' } }],
      ['payment.charge', 'blocked', { checkout: { allow: false, code: 'ARBOR_STAGE_VIOLATION', reason: 'stage "cart" does not list it', stage: 'cart' } }],
      ['cart.checkout', 'ok', { checkout: { stage: 'cart', next: 'payment' } }],
      ['payment.charge', 'ok', { checkout: { stage: 'payment', next: 'done' } }],
      ['cart.add', 'blocked', { checkout: { allow: false, code: 'ARBOR_STAGE_VIOLATION', reason: 'stage "done" does not list it', stage: 'done' } }],
      ['receipt.send', 'ok', { checkout: { stage: 'done', next: 'done' } }],
    ]);
    expect(steps[1]?.error).toMatchObject({ code: 'ARBOR_STAGE_VIOLATION', data: { stage: 'cart', machine: 'checkout' } });
  });

  it('gives each branch its own stage when a search moves the head back', async () => {
    const executor = new Executor({ store, actions: shopActions(), guards: [stageGuard(checkout())], approval: approveAll });
    const run = await executor.startRun({ stopOnBlocked: false });
    const added = await run.execute('cart.add', {});
    await run.execute('cart.checkout', {});
    expect((await run.execute('payment.charge', {})).ok).toBe(true);
    // Back to the branch point: there, the process is still in the cart stage.
    run.setHead(added.step.id);
    expect((await run.execute('payment.charge', {})).error?.code).toBe('ARBOR_STAGE_VIOLATION');
    expect((await run.execute('cart.add', {})).ok).toBe(true);
  });

  it('lets nested calls see and move the stage of their caller', async () => {
    const executor = new Executor({ store, actions: shopActions(), guards: [stageGuard(checkout())], approval: approveAll });
    const run = await executor.startRun({ stopOnBlocked: false });
    const express = await run.execute('cart.express', {});
    expect(express.ok).toBe(true);
    // The nested checkout moved the stage to payment, so the nested charge was allowed; after it, done.
    expect((await run.execute('receipt.send', {})).ok).toBe(true);
    const steps = await store.listSteps(run.id);
    expect(steps.map((step) => [step.action, step.depth, (step.metadata.guards as Record<string, unknown>).checkout])).toEqual([
      ['cart.express', 0, { stage: 'cart', next: 'done' }],
      ['cart.checkout', 1, { stage: 'cart', next: 'payment' }],
      ['payment.charge', 1, { stage: 'payment', next: 'done' }],
      ['receipt.send', 0, { stage: 'done', next: 'done' }],
    ]);
  });

  it('reads the stage recorded with earlier steps when a run is resumed by a new process', async () => {
    const first = new Executor({ store, actions: shopActions(), guards: [stageGuard(checkout())] });
    const run = await first.startRun({ stopOnBlocked: false });
    await run.execute('cart.checkout', {});
    // A fresh guard has never seen the run: without the store it cannot tell, and fails closed.
    const blind = await new Executor({ store, actions: shopActions(), guards: [stageGuard(checkout())], approval: approveAll }).resumeRun(run.id, { stopOnBlocked: false });
    expect((await blind.execute('payment.charge', {})).error?.code).toBe('ARBOR_STAGE_UNKNOWN');
    const resumed = await new Executor({ store, actions: shopActions(), guards: [stageGuard(checkout(), { store })], approval: approveAll }).resumeRun(run.id, { stopOnBlocked: false });
    expect((await resumed.execute('cart.add', {})).error?.code).toBe('ARBOR_STAGE_VIOLATION');
    expect((await resumed.execute('payment.charge', {})).ok).toBe(true);
  });

  it('reads the stage from the state when the machine says where to find it', async () => {
    let status = 'cart';
    const machine = defineStages({ ...checkoutDefinition(), stageOf: () => status });
    const executor = new Executor({ store, actions: shopActions(), guards: [stageGuard(machine)], approval: approveAll });
    const run = await executor.startRun({ stopOnBlocked: false });
    expect((await run.execute('payment.charge', {})).status).toBe('blocked');
    status = 'payment';
    expect((await run.execute('payment.charge', {})).ok).toBe(true);
    status = 'archived';
    const unknown = await run.execute('catalog.search', {});
    expect(unknown.error?.message).toContain('"archived" is not a stage of checkout');
  });
});

function checkoutDefinition() {
  const machine = checkout();
  return { name: machine.name, initial: machine.initial, stages: machine.stages, transitions: machine.transitions };
}
