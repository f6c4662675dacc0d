import { z } from 'zod';

/*
 * OpenAPI schemas to JSON Schema and zod. Local `$ref`s (`#/components/...`) are resolved against the
 * document. Two forms are built: a bounded, inlined JSON Schema for prompts and retrieval (deep or
 * recursive parts become `{}` with their description kept), and, on first use only, a complete zod
 * validator made by `z.fromJSONSchema` from a self-contained schema whose references live in `$defs`.
 */

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Follows a local JSON pointer (`#/components/schemas/Pet`); undefined when it leads nowhere. */
export function resolvePointer(document: JsonObject, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = document;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
    if (node === undefined) return undefined;
  }
  return node;
}

/** Follows `$ref`s until a non-reference object (at most 20 hops, against cycles). */
export function deref(document: JsonObject, value: unknown): unknown {
  let node = value;
  for (let hops = 0; hops < 20 && isObject(node) && typeof node.$ref === 'string'; hops++) {
    node = resolvePointer(document, node.$ref);
  }
  return node;
}

const KEPT_KEYWORDS = new Set([
  'type', 'description', 'enum', 'const', 'format', 'default', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum',
  'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems', 'uniqueItems', 'required', 'title', 'nullable', 'additionalProperties',
]);

export interface InlineLimits {
  /** Nesting depth inlined; deeper schemas become `{}`. */
  depth: number;
  /** Properties kept per object. */
  properties: number;
}

/**
 * An inlined copy of a schema for display and retrieval: references resolved, depth and width bounded,
 * OpenAPI 3.0 `nullable` turned into a JSON Schema type union.
 */
export function inlineSchema(document: JsonObject, schema: unknown, limits: InlineLimits, seen: ReadonlySet<string> = new Set()): JsonObject {
  let node = schema;
  let nextSeen = seen;
  if (isObject(node) && typeof node.$ref === 'string') {
    if (seen.has(node.$ref)) return {};
    nextSeen = new Set([...seen, node.$ref]);
    node = deref(document, node);
  }
  if (!isObject(node)) return {};
  if (limits.depth <= 0) return typeof node.description === 'string' ? { description: node.description } : {};
  const inner: InlineLimits = { depth: limits.depth - 1, properties: limits.properties };
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (KEPT_KEYWORDS.has(key)) result[key] = key === 'additionalProperties' && isObject(value) ? inlineSchema(document, value, inner, nextSeen) : value;
  }
  if (result.nullable === true) {
    delete result.nullable;
    if (typeof result.type === 'string') result.type = [result.type, 'null'];
  } else delete result.nullable;
  if (isObject(node.properties)) {
    const properties: JsonObject = {};
    for (const [name, value] of Object.entries(node.properties).slice(0, limits.properties)) properties[name] = inlineSchema(document, value, inner, nextSeen);
    result.properties = properties;
  }
  if (node.items !== undefined) result.items = inlineSchema(document, node.items, inner, nextSeen);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const variants = node[key];
    if (Array.isArray(variants)) result[key] = variants.slice(0, 10).map((variant) => inlineSchema(document, variant, inner, nextSeen));
  }
  return result;
}

/**
 * A self-contained JSON Schema for validation: every local reference reachable from `schema` is copied
 * into `$defs` (`definitions` for OpenAPI 3.0's dialect) and pointed at there, so `z.fromJSONSchema` can resolve it (recursion included).
 */
export function selfContainedSchema(document: JsonObject, schema: JsonObject, defsKey: '$defs' | 'definitions' = '$defs'): JsonObject {
  const defs: JsonObject = {};
  const names = new Map<string, string>();
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (!isObject(node)) return node;
    if (typeof node.$ref === 'string') {
      const ref = node.$ref;
      let name = names.get(ref);
      if (name === undefined) {
        name = `d${names.size}`;
        names.set(ref, name);
        const target = resolvePointer(document, ref);
        defs[name] = {};
        defs[name] = rewrite(target ?? {});
      }
      return { $ref: `#/${defsKey}/${name}` };
    }
    const copy: JsonObject = {};
    for (const [key, value] of Object.entries(node)) {
      // `example(s)` and vendor extensions do not constrain values.
      if (key === 'example' || key === 'examples' || key.startsWith('x-') || key === 'xml' || key === 'externalDocs' || key === 'discriminator') continue;
      copy[key] = key === 'properties' && isObject(value) ? Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, rewrite(inner)])) : rewrite(value);
    }
    return copy;
  };
  const root = rewrite(schema) as JsonObject;
  return Object.keys(defs).length === 0 ? root : { ...root, [defsKey]: defs };
}

/**
 * The zod validator of a schema, built on first use. When zod cannot convert the schema (some OpenAPI
 * constructs are beyond `z.fromJSONSchema`), the input is only checked to be a JSON object with the
 * required keys: the server stays the judge, and the call is recorded either way.
 */
export function lazyValidator(
  build: () => JsonObject,
  required: readonly string[],
  target: 'openapi-3.0' | 'draft-2020-12' = 'draft-2020-12',
): z.ZodType<Record<string, unknown>> {
  return z.lazy(() => {
    const schema = build();
    try {
      return z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0], { defaultTarget: target }) as z.ZodType<Record<string, unknown>>;
    } catch {
      return z
        .record(z.string(), z.unknown())
        .superRefine((value, context) => {
          for (const key of required) if (value[key] === undefined) context.addIssue({ code: 'custom', path: [key], message: `${key} is required` });
        });
    }
  });
}
