import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { defineAction } from '../actions/index.js';
import { createBuiltinFsmEnvironment } from '../environments/index.js';
import { allCandidates, toCandidate } from './candidates.js';

describe('toCandidate', () => {
  it('converts a zod schema once for environments built afresh from one model', () => {
    const first = allCandidates(createBuiltinFsmEnvironment('saas-admin').actions);
    const second = allCandidates(createBuiltinFsmEnvironment('saas-admin').actions);
    expect(first.length).toBeGreaterThanOrEqual(1000);
    expect(second).not.toBe(first);
    expect(second.every((candidate, index) => candidate === first[index])).toBe(true);
  });

  it('keeps candidates apart when anything shown differs, or when the JSON Schema was imported', () => {
    const input = z.object({ id: z.string() });
    const run = () => null;
    const a = toCandidate(defineAction({ name: 'get', description: 'Read one.', input, effect: 'read', run }));
    const b = toCandidate(defineAction({ name: 'get', description: 'Read one item.', input, effect: 'read', run }));
    const c = toCandidate(defineAction({ name: 'get', description: 'Read one.', input, effect: 'read', cost: 2, run }));
    expect(new Set([a, b, c]).size).toBe(3);
    expect(b.description).toBe('Read one item.');
    expect(c.cost).toBe(2);
    const imported = { type: 'object', properties: { id: { type: 'string', description: 'from OpenAPI' } } };
    const d = toCandidate(defineAction({ name: 'get', description: 'Read one.', input, inputJsonSchema: imported, effect: 'read', run }));
    expect(d).not.toBe(a);
    expect(d.inputSchema).toEqual(imported);
  });
});
