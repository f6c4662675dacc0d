import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ArborError, DuplicateActionError, InvalidDefinitionError, NoSuchActionError } from '../errors/index.js';
import { ActionSpace, defineAction, type ActionSpaceEvent } from './index.js';

const echo = defineAction({
  name: 'echo',
  description: 'Return the text it is given.',
  input: z.object({ text: z.string().describe('what to echo'), times: z.number().int().min(1).default(1) }),
  output: z.object({ text: z.string() }),
  effect: 'read',
  run: ({ text, times }) => ({ text: text.repeat(times) }),
});

describe('defineAction', () => {
  it('fills defaults from the effect class', () => {
    expect(echo.cost).toBe(1);
    expect(echo.reversible).toBe(true);
    expect(echo.idempotent).toBe(true);
    const pay = defineAction({ name: 'pay', description: 'Pay.', input: z.object({}), effect: 'irreversible', run: () => null });
    expect(pay.reversible).toBe(false);
    const reserve = defineAction({ name: 'reserve', description: 'Reserve.', input: z.object({}), effect: 'write', inverse: 'release', run: () => null });
    expect(reserve.reversible).toBe(true);
  });

  it('rejects a bad name, effect, cost or retry policy with a typed error', () => {
    const base = { description: 'x', input: z.object({}), run: () => null } as const;
    expect(() => defineAction({ ...base, name: 'has space', effect: 'read' })).toThrow(InvalidDefinitionError);
    expect(() => defineAction({ ...base, name: 'ok', effect: 'delete' as 'read' })).toThrow(/has effect "delete"/);
    expect(() => defineAction({ ...base, name: 'ok', effect: 'read', cost: -1 })).toThrow(InvalidDefinitionError);
    expect(() => defineAction({ ...base, name: 'ok', effect: 'read', retry: { maxAttempts: 0 } })).toThrow(InvalidDefinitionError);
    expect(() => defineAction({ ...base, name: 'ok', effect: 'irreversible', reversible: true })).toThrow(/both irreversible and reversible/);
    try {
      defineAction({ ...base, name: 'has space', effect: 'read' });
    } catch (error) {
      expect(ArborError.isInstance(error) && error.code).toBe('ARBOR_INVALID_DEFINITION');
    }
  });
});

describe('ActionSpace', () => {
  it('keeps names unique', () => {
    const space = new ActionSpace([echo]);
    expect(() => space.add(echo)).toThrow(DuplicateActionError);
  });

  it('names the closest actions when asked for a missing one', () => {
    const space = new ActionSpace([echo, defineAction({ name: 'get_order', description: 'x', input: z.object({}), effect: 'read', run: () => null })]);
    const error = (() => {
      try {
        space.get('get_ordr');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(NoSuchActionError);
    expect((error as NoSuchActionError).suggestions).toEqual(['get_order']);
    expect((error as NoSuchActionError).hint).toContain('"get_order"');
  });

  it('adds, lists, filters and removes, telling listeners each time', () => {
    const space = new ActionSpace();
    const events: ActionSpaceEvent['type'][] = [];
    const stop = space.subscribe((event) => events.push(event.type));
    space.add(echo);
    space.add(defineAction({ name: 'pay', description: 'Pay.', input: z.object({}), effect: 'irreversible', tags: ['money'], run: () => null }));
    expect(space.size).toBe(2);
    expect(space.list({ effect: 'irreversible' }).map((action) => action.name)).toEqual(['pay']);
    expect(space.list({ tag: 'money' }).map((action) => action.name)).toEqual(['pay']);
    expect(space.remove('pay')).toBe(true);
    expect(space.remove('pay')).toBe(false);
    stop();
    space.remove('echo');
    expect(events).toEqual(['added', 'added', 'removed']);
  });

  it('exports a JSON Schema of the input from the zod schema', () => {
    const space = new ActionSpace([echo]);
    const schema = space.inputJsonSchema('echo');
    expect(schema).toMatchObject({
      type: 'object',
      properties: { text: { type: 'string', description: 'what to echo' }, times: { type: 'integer', minimum: 1, default: 1 } },
      required: ['text'],
    });
    expect(space.outputJsonSchema('echo')).toMatchObject({ type: 'object', required: ['text'] });
    expect(space.describe('echo')).toMatchObject({ name: 'echo', effect: 'read', source: { kind: 'typescript' } });
  });
});
