import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { z } from 'zod';
import { UnsupportedSchemaError } from '../errors/index.js';

export type JsonSchemaObject = Record<string, unknown>;

/** A zod input schema built from a JSON Schema, and how it was built. */
export interface ConvertedInputSchema {
  schema: z.ZodType<Record<string, unknown>>;
  /**
   * `zod`: converted by zod's own `z.fromJSONSchema`. `ajv`: zod cannot express the schema (draft-07
   * `definitions`, `if`/`then`, `dependentRequired`...), so a zod schema delegates validation to Ajv and
   * carries the original JSON Schema as metadata, which `z.toJSONSchema` (and so `describe()`) shows as is.
   */
  converter: 'zod' | 'ajv';
}

// Servers repeat schemas across tools (and across list_changed refreshes); converted schemas are immutable.
const converted = new Map<string, ConvertedInputSchema>();
const CACHE_LIMIT = 10_000;

let ajvDraft07: Ajv | undefined;
let ajv2020: Ajv2020 | undefined;

/**
 * Turns a tool's JSON Schema into a zod schema that validates the same inputs. Throws
 * UnsupportedSchemaError when neither zod nor Ajv can use the schema; `subject` names the tool in it.
 */
export function inputSchemaFromJsonSchema(jsonSchema: JsonSchemaObject, subject: string): ConvertedInputSchema {
  const key = JSON.stringify(jsonSchema);
  const cached = converted.get(key);
  if (cached !== undefined) return cached;
  const result = convert(jsonSchema, subject);
  if (converted.size >= CACHE_LIMIT) converted.clear();
  converted.set(key, result);
  return result;
}

function convert(jsonSchema: JsonSchemaObject, subject: string): ConvertedInputSchema {
  try {
    const schema = z.fromJSONSchema(jsonSchema as Parameters<typeof z.fromJSONSchema>[0]) as z.ZodType<Record<string, unknown>>;
    // Some conversions succeed but cannot be printed back; describe() must always work.
    z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
    return { schema, converter: 'zod' };
  } catch {
    return { schema: ajvBackedSchema(jsonSchema, subject), converter: 'ajv' };
  }
}

function ajvBackedSchema(jsonSchema: JsonSchemaObject, subject: string): z.ZodType<Record<string, unknown>> {
  let validate: ValidateFunction;
  try {
    validate = compile(jsonSchema);
  } catch (error) {
    throw new UnsupportedSchemaError(subject, error instanceof Error ? error.message : String(error), jsonSchema);
  }
  const { $schema: _schema, $id: _id, id: _legacyId, ...shown } = jsonSchema;
  return z
    .custom<Record<string, unknown>>(() => true)
    .superRefine((value, context) => {
      if (validate(value)) return;
      for (const error of validate.errors ?? []) {
        context.addIssue({ code: 'custom', path: issuePath(error), message: issueMessage(error) });
      }
    })
    .meta(shown);
}

function compile(jsonSchema: JsonSchemaObject): ValidateFunction {
  const draft = typeof jsonSchema.$schema === 'string' ? jsonSchema.$schema : '';
  // Schemas that name no draft are most often draft-07 (zod-to-json-schema, pydantic); 2019-09 and 2020-12 need Ajv2020.
  if (/20(19|20)-/.test(draft)) {
    ajv2020 ??= new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    return ajv2020.compile(jsonSchema);
  }
  ajvDraft07 ??= new Ajv({ strict: false, allErrors: true, validateFormats: false });
  return ajvDraft07.compile(jsonSchema);
}

function issuePath(error: ErrorObject): (string | number)[] {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
  if (error.keyword === 'required' && typeof error.params.missingProperty === 'string') path.push(error.params.missingProperty);
  return path;
}

function issueMessage(error: ErrorObject): string {
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'additionalProperties') return `has an unexpected property "${String(error.params.additionalProperty)}"`;
  return error.message ?? `fails "${error.keyword}"`;
}
