import { parseExpressionAt, type ArrowFunctionExpression, type Expression, type FunctionExpression, type ObjectPattern } from 'acorn';
import { InvalidDefinitionError } from '../errors/index.js';
import type { JsonObject, JsonValue } from '../internal/json.js';

export interface ParsedFunction {
  /** The function's own source text, without surrounding whitespace or semicolons. */
  code: string;
  /** Its name, when it has one. */
  name: string | undefined;
  /** The JSON Schema of its input inferred from its parameter (and an example input, if given). */
  inferSchema(example?: JsonValue): JsonObject;
}

type FunctionNode = FunctionExpression | ArrowFunctionExpression;

/**
 * Checks that `source` is exactly one JavaScript function (`async function (input) { ... }`, a named
 * function, or an arrow function) and returns it. Parsed with acorn, the de-facto standard JS parser, so
 * a syntax error is reported with its line and column before anything is saved.
 */
export function parseFunction(source: string): ParsedFunction {
  // Parsed as an expression, the way the sandbox evaluates it, so `async function (input) {}` needs no name.
  let expression: Expression;
  try {
    expression = parseExpressionAt(source, 0, { ecmaVersion: 'latest', sourceType: 'script', locations: true });
  } catch (error) {
    const location = (error as { loc?: { line: number; column: number } }).loc;
    throw new InvalidDefinitionError(`The function does not parse: ${error instanceof Error ? error.message : String(error)}`, {
      hint: 'Save the source of one function, for example: async function (input) { ... }',
      data: location === undefined ? {} : { line: location.line, column: location.column + 1 },
    });
  }
  const rest = source.slice(expression.end);
  if (!isFunction(expression) || source.slice(0, expression.start).trim() !== '' || rest.replace(/[\s;]/g, '') !== '') {
    throw new InvalidDefinitionError('The code to save must be exactly one function', {
      hint: 'Save the source of one function, for example: async function total({ orderIds }) { ... }; helpers go inside it.',
    });
  }
  const node: FunctionNode = expression;
  const fn = node;
  const name = fn.id?.name;
  return {
    code: source.slice(fn.start, fn.end),
    name,
    inferSchema: (example) => inferInputSchema(fn, example),
  };
}

function isFunction(expression: Expression): expression is FunctionExpression | ArrowFunctionExpression {
  return expression.type === 'FunctionExpression' || expression.type === 'ArrowFunctionExpression';
}

function inferInputSchema(fn: FunctionNode, example: JsonValue | undefined): JsonObject {
  const [param, ...others] = fn.params;
  if (others.length > 0) {
    throw new InvalidDefinitionError('A saved function takes one input object, not several parameters', {
      hint: 'Take one object and destructure it: async function ({ orderId, quantity }) { ... }',
    });
  }
  if (param === undefined) return example === undefined ? { type: 'object', properties: {} } : schemaOfValue(example);
  const pattern = param.type === 'AssignmentPattern' ? param.left : param;
  if (pattern.type === 'ObjectPattern') return schemaOfObjectPattern(pattern, example);
  if (example !== undefined) return schemaOfValue(example);
  throw new InvalidDefinitionError('The input schema cannot be inferred from this function', {
    hint: 'Destructure the input ({ a, b }), give an example input, or declare inputSchema.',
  });
}

function schemaOfObjectPattern(pattern: ObjectPattern, example: JsonValue | undefined): JsonObject {
  const sample = isPlainObject(example) ? example : {};
  const properties: Record<string, JsonValue> = {};
  const required: string[] = [];
  let open = false;
  for (const property of pattern.properties) {
    if (property.type === 'RestElement') {
      open = true;
      continue;
    }
    const key = property.key.type === 'Identifier' && !property.computed ? property.key.name : property.key.type === 'Literal' ? String(property.key.value) : undefined;
    if (key === undefined) {
      open = true;
      continue;
    }
    const hasDefault = property.value.type === 'AssignmentPattern';
    const defaultValue = property.value.type === 'AssignmentPattern' && property.value.right.type === 'Literal' ? property.value.right.value : undefined;
    const fromExample = sample[key];
    properties[key] =
      fromExample !== undefined ? schemaOfValue(fromExample) : isJsonLiteral(defaultValue) ? schemaOfValue(defaultValue) : {};
    if (!hasDefault) required.push(key);
  }
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}), additionalProperties: open };
}

/** The JSON Schema of an example value: its types, with every key of an example object required. */
export function schemaOfValue(value: JsonValue): JsonObject {
  if (value === null) return { type: 'null' };
  if (Array.isArray(value)) return value.length === 0 ? { type: 'array' } : { type: 'array', items: schemaOfValue(value[0] as JsonValue) };
  if (typeof value === 'object') {
    const properties: Record<string, JsonValue> = {};
    for (const [key, item] of Object.entries(value)) properties[key] = schemaOfValue(item);
    return { type: 'object', properties, required: Object.keys(value), additionalProperties: false };
  }
  return { type: typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'string' };
}

function isPlainObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isJsonLiteral(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
