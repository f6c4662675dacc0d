import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { safeParse } from './safe-parse.js';

describe('safeParse', () => {
  const hostile = { length: Object.create(null) as object };

  it('turns a throw inside zod into a failed parse (a length that cannot be compared)', () => {
    const schema = z.string().min(1);
    expect(() => schema.safeParse(hostile)).toThrow(TypeError); // the zod behaviour it guards against
    const result = safeParse(schema, hostile);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/could not be checked against its schema/);
  });

  it('returns what zod returns otherwise', () => {
    const schema = z.object({ name: z.string().min(1) });
    expect(safeParse(schema, { name: 'a' })).toEqual({ success: true, data: { name: 'a' } });
    expect(safeParse(schema, { name: '' }).error?.issues[0]?.path).toEqual(['name']);
  });
});
