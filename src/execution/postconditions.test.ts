import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ActionSpace, defineAction } from '../actions/index.js';
import { PostconditionFailedError } from '../errors/index.js';
import { useTempStore } from '../internal/test-support.js';
import type { SqliteStore } from '../provenance/sqlite/sqlite-store.js';
import { Executor, type Guard } from './index.js';

let store: SqliteStore;
useTempStore((opened) => {
  store = opened;
});

function account() {
  const state = { balance: 100, ledger: [] as number[] };
  const withdraw = defineAction({
    name: 'withdraw',
    description: 'Take money out; a bug lets the balance go below zero.',
    input: z.object({ amount: z.number().int().positive() }),
    output: z.object({ balance: z.number() }),
    effect: 'write',
    retry: { maxAttempts: 3 },
    postconditions: [
      {
        name: 'balance-not-negative',
        check: (_input, output, { state: after }) => {
          const balance = (after as { balance: number }).balance;
          return balance >= 0 ? true : { ok: false, reason: `balance is ${balance}`, observed: { balance, reported: output.balance } };
        },
      },
      {
        name: 'ledger-grew-by-one',
        check: (_input, _output, { state: after, stateBefore }) =>
          (after as { ledger: number[] }).ledger.length === (stateBefore as { ledger: number[] }).ledger.length + 1,
      },
    ],
    run: ({ amount }) => {
      state.balance -= amount;
      state.ledger.push(-amount);
      return { balance: state.balance };
    },
  });
  const broken = defineAction({
    name: 'broken_check',
    description: 'Its postcondition throws.',
    input: z.object({}),
    effect: 'read',
    postconditions: [{ name: 'explodes', check: () => { throw new Error('boom'); } }],
    run: () => ({}),
  });
  return { state, actions: new ActionSpace([withdraw, broken]), observe: () => structuredClone(state) };
}

describe('postconditions', () => {
  it('fail the step with the predicate name and the values it saw, keep the output, and are not retried', async () => {
    const { state, actions, observe } = account();
    const executor = new Executor({ store, actions, observe });
    const run = await executor.startRun({ task: 'withdraw' });
    expect((await run.execute('withdraw', { amount: 60 })).ok).toBe(true);
    const head = run.head;
    const result = await run.execute('withdraw', { amount: 60 });
    expect(result.status).toBe('failed');
    expect(result.error).toBeInstanceOf(PostconditionFailedError);
    expect(result.error).toMatchObject({ code: 'ARBOR_POSTCONDITION_FAILED', postcondition: 'balance-not-negative' });
    expect(result.error?.data).toMatchObject({ reason: 'balance is -20', observed: { balance: -20, reported: -20 } });
    // The action ran once: a postcondition failure is never retried (that would repeat the effect).
    expect(state.ledger).toEqual([-60, -60]);
    expect(run.head).toBe(head);

    const steps = await store.listSteps(run.id);
    expect(steps).toHaveLength(2);
    expect(steps[1]).toMatchObject({
      status: 'failed',
      output: { balance: -20 },
      error: { code: 'ARBOR_POSTCONDITION_FAILED' },
      metadata: { postcondition: { name: 'balance-not-negative', reason: 'balance is -20', observed: { balance: -20, reported: -20 } } },
    });
  });

  it('compare the state before and after the call (an environment whose view never changes fails the ledger check)', async () => {
    const { actions } = account();
    const executor = new Executor({ store, actions, observe: () => ({ balance: 100, ledger: [] }) });
    const run = await executor.startRun();
    const result = await run.execute('withdraw', { amount: 10 });
    expect(result.error).toMatchObject({ code: 'ARBOR_POSTCONDITION_FAILED', postcondition: 'ledger-grew-by-one', data: { reason: 'it does not hold' } });
  });

  it('that throw fail the step and record why', async () => {
    const { actions } = account();
    const run = await new Executor({ store, actions }).startRun();
    const result = await run.execute('broken_check', {});
    expect(result.status).toBe('failed');
    expect(result.step.metadata.postcondition).toEqual({ name: 'explodes', reason: 'the check threw: boom' });
  });

  it('are listed by describe()', () => {
    expect(account().actions.describe('withdraw').postconditions).toEqual(['balance-not-negative', 'ledger-grew-by-one']);
  });

  it('must have a name and a check', () => {
    expect(() =>
      defineAction({ name: 'x', description: 'x', input: z.object({}), effect: 'read', postconditions: [{ name: '', check: () => true }], run: () => null }),
    ).toThrow(/without a name or check/);
  });
});

describe('guards in the executor', () => {
  it('fail closed: a guard that throws blocks the call with ARBOR_GUARD_FAILED and the step is recorded', async () => {
    const faulty: Guard = {
      name: 'faulty',
      before: () => {
        throw new Error('rule table missing');
      },
    };
    const actions = new ActionSpace([defineAction({ name: 'ping', description: 'p', input: z.object({}), effect: 'read', run: () => 'pong' })]);
    const run = await new Executor({ store, actions, guards: [faulty] }).startRun({ stopOnBlocked: false });
    const result = await run.execute('ping', {});
    expect(result).toMatchObject({ ok: false, status: 'blocked', error: { code: 'ARBOR_GUARD_FAILED', guard: 'faulty' } });
    expect((await store.listSteps(run.id))[0]).toMatchObject({ status: 'blocked', metadata: { guards: { faulty: { allow: false, code: 'ARBOR_GUARD_FAILED', reason: 'rule table missing' } } } });
  });

  it('record notes from after() together with those from before(), and a throwing after() fails the step', async () => {
    let explode = false;
    const noting: Guard = {
      name: 'noting',
      before: (call) => ({ allow: true, note: { parent: call.parentStepId, depth: call.depth } }),
      after: (call) => {
        if (explode) throw new Error('after broke');
        return { allow: true, note: { output: call.output } };
      },
    };
    const actions = new ActionSpace([defineAction({ name: 'ping', description: 'p', input: z.object({}), effect: 'read', run: () => 'pong' })]);
    const run = await new Executor({ store, actions, guards: [noting] }).startRun();
    const first = await run.execute('ping', {});
    expect(first.step.metadata.guards).toEqual({ noting: { parent: null, depth: 0, output: 'pong' } });
    explode = true;
    const second = await run.execute('ping', {});
    expect(second).toMatchObject({ status: 'failed', error: { code: 'ARBOR_GUARD_FAILED' } });
    expect(second.step.metadata.guards).toMatchObject({ noting: { allow: false, code: 'ARBOR_GUARD_FAILED', reason: 'after broke' } });
  });
});
