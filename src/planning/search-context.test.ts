import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../internal/json.js';
import { actionKey, observationKey } from './search-context.js';

describe('actionKey', () => {
  it('names an action with its arguments in canonical key order, nested objects and arrays included', () => {
    const input: JsonValue = { b: 1, a: [1, { d: 'x', c: null }], e: { g: true, f: 2.5 } };
    expect(actionKey('update', input)).toBe('update {"a":[1,{"c":null,"d":"x"}],"b":1,"e":{"f":2.5,"g":true}}');
    expect(actionKey('update', { e: { f: 2.5, g: true }, a: [1, { c: null, d: 'x' }], b: 1 })).toBe(actionKey('update', input));
    expect(actionKey('list', undefined)).toBe('list null');
    expect(actionKey('list', [])).toBe('list []');
    expect(actionKey('list', {})).toBe('list {}');
  });
});

describe('observationKey', () => {
  it('serializes a frozen observation once and gives the same key every time', () => {
    const observation = Object.freeze({ orders: Object.freeze({ a: 'open' }), count: 1 });
    const first = observationKey(observation);
    expect(first).toBe(JSON.stringify(observation));
    expect(observationKey(observation)).toBe(first);
  });

  it('serializes a mutable observation afresh, so a change made in place changes its key', () => {
    const observation: { count: number } = { count: 1 };
    expect(observationKey(observation)).toBe('{"count":1}');
    observation.count = 2;
    expect(observationKey(observation)).toBe('{"count":2}');
    expect(observationKey('text')).toBe('"text"');
    expect(observationKey(null)).toBe('null');
  });
});
