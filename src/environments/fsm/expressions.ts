import jsep from 'jsep';
import type { JsonValue } from '../../internal/json.js';

/** What an expression reads: the FSM's variables, the action's arguments, and template constants. */
export interface Scope {
  state: Readonly<Record<string, JsonValue>>;
  args: Readonly<Record<string, JsonValue>>;
}

export type Compiled = (scope: Scope) => JsonValue;

/** The names an expression may use, decided when it is compiled (unknown names are load errors). */
export interface Names {
  variables: ReadonlySet<string>;
  args: ReadonlySet<string>;
  constants: Readonly<Record<string, JsonValue>>;
}

/** A problem in an expression, with the character where it was found. */
export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
    this.name = 'ExpressionError';
  }
}

type Fn = (...args: JsonValue[]) => JsonValue;

const truthyValues = (value: JsonValue): JsonValue[] =>
  value === null || typeof value !== 'object' ? [] : Array.isArray(value) ? value : Object.values(value);

/** The functions expressions may call. Nothing else is reachable from an expression. */
const FUNCTIONS: Record<string, Fn> = {
  /** Number of truthy entries of a map or list. */
  count: (value) => truthyValues(value ?? null).filter(Boolean).length,
  all: (value) => truthyValues(value ?? null).every(Boolean),
  any: (value) => truthyValues(value ?? null).some(Boolean),
  len: (value) => (typeof value === 'string' ? value.length : value === null || typeof value !== 'object' ? 0 : Array.isArray(value) ? value.length : Object.keys(value).length),
  /** Whether the first argument equals any of the others (or is in the list given as second argument). */
  oneOf: (value, ...options) => (options.length === 1 && Array.isArray(options[0]) ? options[0] : options).some((option) => option === value),
  min: (...values) => Math.min(...values.map(Number)),
  max: (...values) => Math.max(...values.map(Number)),
  abs: (value) => Math.abs(Number(value)),
};

const BINARY: Record<string, (a: JsonValue, b: JsonValue) => JsonValue> = {
  '==': (a, b) => a === b,
  '===': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '!==': (a, b) => a !== b,
  '<': (a, b) => (a as number) < (b as number),
  '<=': (a, b) => (a as number) <= (b as number),
  '>': (a, b) => (a as number) > (b as number),
  '>=': (a, b) => (a as number) >= (b as number),
  '+': (a, b) => (typeof a === 'string' || typeof b === 'string' ? `${String(a)}${String(b)}` : (a as number) + (b as number)),
  '-': (a, b) => (a as number) - (b as number),
  '*': (a, b) => (a as number) * (b as number),
  '/': (a, b) => (a as number) / (b as number),
  '%': (a, b) => (a as number) % (b as number),
};

function parse(source: string): jsep.Expression {
  try {
    return jsep(source);
  } catch (error) {
    const index = typeof (error as { index?: unknown }).index === 'number' ? (error as { index: number }).index : 0;
    throw new ExpressionError((error as Error).message.replace(/ at character \d+$/, ''), index);
  }
}

/**
 * Compiles an expression (JavaScript syntax: `at == "dock" && picked[item] && credits >= 2`) into a
 * closure. Identifiers resolve, in order, to the action's arguments, template constants and variables;
 * anything else is an error at load time, not at run time.
 */
export function compileExpression(source: string, names: Names): Compiled {
  return compileNode(parse(source), names);
}

/** An assignment target: a variable, or one entry of a map variable (`picked[item]`, `picked.bolt`). */
export interface Target {
  variable: string;
  key: Compiled | undefined;
}

export function compileTarget(source: string, names: Names): Target {
  const node = parse(source);
  if (node.type === 'Identifier') {
    const name = (node as jsep.Identifier).name;
    if (!names.variables.has(name)) throw new ExpressionError(`"${name}" is not a variable`, 0);
    return { variable: name, key: undefined };
  }
  if (node.type === 'MemberExpression') {
    const member = node as jsep.MemberExpression;
    if (member.object.type !== 'Identifier' || !names.variables.has((member.object as jsep.Identifier).name)) {
      throw new ExpressionError('Only a variable or one entry of a map variable can be set', 0);
    }
    const key = member.computed ? compileNode(member.property, names) : constant((member.property as jsep.Identifier).name);
    return { variable: (member.object as jsep.Identifier).name, key };
  }
  throw new ExpressionError('Only a variable or one entry of a map variable can be set', 0);
}

function constant(value: JsonValue): Compiled {
  return () => value;
}

function compileNode(node: jsep.Expression, names: Names): Compiled {
  switch (node.type) {
    case 'Literal': {
      const value = (node as jsep.Literal).value;
      if (value instanceof RegExp) throw new ExpressionError('Regular expressions are not supported', 0);
      return constant(value);
    }
    case 'Identifier': {
      const name = (node as jsep.Identifier).name;
      if (names.args.has(name)) return (scope) => scope.args[name] ?? null;
      if (Object.hasOwn(names.constants, name)) return constant(names.constants[name] as JsonValue);
      if (names.variables.has(name)) return (scope) => scope.state[name] ?? null;
      if (name === 'undefined') return constant(null);
      throw new ExpressionError(`Unknown name "${name}" (not a variable, an argument or a template constant)`, 0);
    }
    case 'MemberExpression': {
      const member = node as jsep.MemberExpression;
      const object = compileNode(member.object, names);
      const key = member.computed ? compileNode(member.property, names) : constant((member.property as jsep.Identifier).name);
      return (scope) => {
        const target = object(scope);
        const index = key(scope);
        if (target === null || typeof target !== 'object' || (typeof index !== 'string' && typeof index !== 'number')) return null;
        return (target as Record<string, JsonValue>)[String(index)] ?? null;
      };
    }
    case 'UnaryExpression': {
      const unary = node as jsep.UnaryExpression;
      const argument = compileNode(unary.argument, names);
      switch (unary.operator) {
        case '!':
          return (scope) => !argument(scope);
        case '-':
          return (scope) => -(argument(scope) as number);
        case '+':
          return (scope) => Number(argument(scope));
        default:
          throw new ExpressionError(`Operator "${unary.operator}" is not supported`, 0);
      }
    }
    case 'BinaryExpression':
    case 'LogicalExpression': {
      const binary = node as jsep.BinaryExpression;
      const left = compileNode(binary.left, names);
      const right = compileNode(binary.right, names);
      if (binary.operator === '&&') return (scope) => Boolean(left(scope)) && Boolean(right(scope));
      if (binary.operator === '||') return (scope) => Boolean(left(scope)) || Boolean(right(scope));
      const operation = BINARY[binary.operator];
      if (operation === undefined) throw new ExpressionError(`Operator "${binary.operator}" is not supported`, 0);
      return (scope) => operation(left(scope), right(scope));
    }
    case 'ConditionalExpression': {
      const conditional = node as jsep.ConditionalExpression;
      const test = compileNode(conditional.test, names);
      const consequent = compileNode(conditional.consequent, names);
      const alternate = compileNode(conditional.alternate, names);
      return (scope) => (test(scope) ? consequent(scope) : alternate(scope));
    }
    case 'ArrayExpression': {
      const elements = (node as jsep.ArrayExpression).elements.map((element) => (element === null ? constant(null) : compileNode(element, names)));
      return (scope) => elements.map((element) => element(scope));
    }
    case 'CallExpression': {
      const call = node as jsep.CallExpression;
      const callee = call.callee.type === 'Identifier' ? (call.callee as jsep.Identifier).name : undefined;
      const fn = callee === undefined ? undefined : FUNCTIONS[callee];
      if (fn === undefined) throw new ExpressionError(`Unknown function "${callee ?? '?'}" (known: ${Object.keys(FUNCTIONS).join(', ')})`, 0);
      const args = call.arguments.map((argument) => compileNode(argument, names));
      return (scope) => fn(...args.map((argument) => argument(scope)));
    }
    default:
      throw new ExpressionError(`${node.type} is not supported in expressions`, 0);
  }
}
