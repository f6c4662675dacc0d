import type { JsonValue } from '../../internal/json.js';

type Schema = Record<string, unknown>;
type Random = () => number;

function pick<T>(items: readonly T[], random: Random): T | undefined {
  return items.length === 0 ? undefined : items[Math.floor(random() * items.length)];
}

function integerRange(schema: Schema): [number, number] {
  const min = typeof schema.minimum === 'number' ? Math.ceil(schema.minimum) : 0;
  const max = typeof schema.maximum === 'number' ? Math.floor(schema.maximum) : Math.max(min, 10);
  return [min, Math.max(min, max)];
}

/** A value that fits a (simple) JSON Schema: enums, booleans, bounded integers, strings, objects. */
export function sampleValue(schema: Schema, random: Random): JsonValue {
  if (Array.isArray(schema.enum)) return (pick(schema.enum as JsonValue[], random) ?? null) as JsonValue;
  if ('const' in schema) return schema.const as JsonValue;
  const anyOf = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (Array.isArray(anyOf) && anyOf.length > 0) return sampleValue(pick(anyOf, random) as Schema, random);
  switch (schema.type) {
    case 'boolean':
      return random() < 0.5;
    case 'integer': {
      const [min, max] = integerRange(schema);
      return min + Math.floor(random() * (max - min + 1));
    }
    case 'number': {
      const [min, max] = integerRange(schema);
      return Math.round((min + random() * (max - min)) * 100) / 100;
    }
    case 'string':
      return 'unknown';
    case 'array':
      return [];
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const required = new Set((schema.required ?? []) as string[]);
      const value: Record<string, JsonValue> = {};
      for (const [key, property] of Object.entries(properties)) {
        if (required.has(key) || random() < 0.3) value[key] = sampleValue(property, random);
      }
      return value;
    }
    default:
      return null;
  }
}

/** The input with one argument changed to another valid value, or undefined when none can change. */
export function perturbInput(schema: Schema, input: JsonValue, random: Random): JsonValue | undefined {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return undefined;
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const changeable = Object.keys(properties).filter((key) => {
    const property = properties[key] as Schema;
    if (Array.isArray(property.enum)) return property.enum.length > 1;
    if (property.type === 'boolean') return true;
    if (property.type === 'integer') {
      const [min, max] = integerRange(property);
      return max > min;
    }
    return false;
  });
  const key = pick(changeable, random);
  if (key === undefined) return undefined;
  const property = properties[key] as Schema;
  const current = input[key];
  let next: JsonValue | undefined;
  for (let attempt = 0; attempt < 8 && (next === undefined || next === current); attempt++) next = sampleValue(property, random);
  if (next === undefined || next === current) return undefined;
  return { ...input, [key]: next };
}
