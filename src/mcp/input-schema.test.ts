import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ActionSpace, defineAction, validateWith } from '../actions/index.js';
import { inputSchemaFromJsonSchema } from './input-schema.js';
import { effectFromAnnotations } from './tool-action.js';

describe('inputSchemaFromJsonSchema', () => {
  it('converts ordinary tool schemas with zod', () => {
    const { schema, converter } = inputSchemaFromJsonSchema({ type: 'object', properties: { path: { type: 'string' }, depth: { type: 'integer', minimum: 0 } }, required: ['path'] }, 'tool t');
    expect(converter).toBe('zod');
    expect(validateWith(schema, { path: '/tmp', depth: 2 }).ok).toBe(true);
    expect(validateWith(schema, { depth: -1 })).toMatchObject({ ok: false, issues: [{ path: ['path'] }, { path: ['depth'] }] });
  });

  it('falls back to Ajv for what zod cannot express (draft-07 definitions, if/then), with the same verdicts and paths', () => {
    const jsonSchema = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { target: { $ref: '#/definitions/target' }, mode: { enum: ['copy', 'move'] } },
      required: ['target'],
      if: { properties: { mode: { const: 'move' } }, required: ['mode'] },
      then: { required: ['confirm'] },
      definitions: { target: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } },
    };
    const { schema, converter } = inputSchemaFromJsonSchema(jsonSchema, 'tool t');
    expect(converter).toBe('ajv');
    expect(validateWith(schema, { target: { path: 'a' } }).ok).toBe(true);
    const missing = validateWith(schema, { target: {}, mode: 'move' });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.issues.map((issue) => issue.path)).toEqual(expect.arrayContaining([['target', 'path'], ['confirm']]));
    expect(validateWith(schema, 'not an object').ok).toBe(false);

    // describe() still shows the tool's own schema.
    const space = new ActionSpace([defineAction({ name: 'fallback', description: 'd', input: schema, effect: 'read', run: () => null })]);
    expect(space.describe('fallback').inputSchema).toMatchObject({ properties: jsonSchema.properties, definitions: jsonSchema.definitions, if: jsonSchema.if });
  });

  it('throws a typed error naming the tool when neither zod nor Ajv can use the schema', () => {
    expect(() => inputSchemaFromJsonSchema({ type: 'object', properties: { a: { type: 'strnig' } } }, 'MCP tool "x" of server "s"')).toThrow(
      expect.objectContaining({ code: 'ARBOR_UNSUPPORTED_SCHEMA', message: expect.stringContaining('MCP tool "x" of server "s"') }),
    );
  });

  it('reuses the conversion of a schema it has seen', () => {
    const jsonSchema = { type: 'object', properties: { q: { type: 'string' } } };
    expect(inputSchemaFromJsonSchema(jsonSchema, 'a').schema).toBe(inputSchemaFromJsonSchema({ ...jsonSchema }, 'b').schema);
    expect(z.toJSONSchema(inputSchemaFromJsonSchema(jsonSchema, 'a').schema)).toMatchObject({ properties: { q: { type: 'string' } } });
  });
});

describe('effectFromAnnotations', () => {
  it('maps readOnlyHint to read, destructiveHint to irreversible, and anything else to the default', () => {
    expect(effectFromAnnotations({ readOnlyHint: true, destructiveHint: true })).toBe('read');
    expect(effectFromAnnotations({ readOnlyHint: false, destructiveHint: true })).toBe('irreversible');
    expect(effectFromAnnotations({ destructiveHint: false })).toBe('write');
    expect(effectFromAnnotations(undefined)).toBe('write');
    expect(effectFromAnnotations(undefined, 'irreversible')).toBe('irreversible');
  });
});
