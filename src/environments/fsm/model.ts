import { z } from 'zod';
import type { Effect } from '../../actions/index.js';
import type { JsonValue } from '../../internal/json.js';
import type { ActionDefinitionFile, DomainDefinition, Scalar, TaskDefinition, ValueTypeDefinition, VariableDefinition } from './definition.js';
import { compileExpression, compileTarget, ExpressionError, type Compiled, type Names, type Target } from './expressions.js';
import { safeParse } from '../../internal/safe-parse.js';

export type FsmState = Record<string, JsonValue>;
export type DefinitionPath = (string | number)[];

/** A problem found while compiling a definition, at a path of the document. */
export class DefinitionProblem extends Error {
  constructor(
    readonly path: DefinitionPath,
    message: string,
  ) {
    super(message);
    this.name = 'DefinitionProblem';
  }
}

export interface TypeSpec {
  kind: 'boolean' | 'integer' | 'enum' | 'string';
  min?: number;
  max?: number;
  values?: JsonValue[];
}

export interface VariableSpec {
  name: string;
  type: TypeSpec | undefined;
  /** Map variables: their keys and the type of every entry. */
  map: { keys: string[]; value: TypeSpec } | undefined;
  initial: JsonValue;
}

export interface GroundAction {
  name: string;
  description: string;
  effect: Effect;
  cost: number;
  group: string | undefined;
  tags: string[];
  inverse: string | undefined;
  reversible: boolean | undefined;
  args: { name: string; type: TypeSpec }[];
  /** zod schema of the arguments (shared by the actions expanded from one template). */
  input: z.ZodType<Record<string, JsonValue>>;
  when: { name: string; check: Compiled; reason: string | undefined }[];
  fail: { test: Compiled; message: string }[];
  set: { target: Target; value: Compiled }[];
  output: { key: string; value: Compiled }[] | undefined;
  /** Changes nothing: the oracle need not consider it. */
  inert: boolean;
  /** Number of distinct argument combinations (Infinity with a free string argument). */
  argumentCombinations: number;
  /** Where the action's template is in the file. */
  path: DefinitionPath;
}

export interface FsmTask {
  id: string;
  instruction: string;
  initial: FsmState;
  goal: Compiled;
  solution: { action: string; input: Record<string, JsonValue> }[] | undefined;
  tags: string[];
  path: DefinitionPath;
}

export type Outcome =
  | { kind: 'ok'; state: FsmState; output: JsonValue }
  | { kind: 'blocked'; precondition: string; reason: string }
  | { kind: 'failed'; message: string };

/** A compiled FSM domain: variables, ground actions with their transitions, and tasks with goals. */
export class FsmModel {
  readonly name: string;
  readonly description: string;
  readonly variables: VariableSpec[];
  readonly actions: GroundAction[];
  readonly tasks: FsmTask[];
  readonly #byName: Map<string, GroundAction>;
  readonly #variables: Map<string, VariableSpec>;

  constructor(definition: DomainDefinition) {
    this.name = definition.name;
    this.description = definition.description;
    const sets = definition.sets ?? {};
    const constants = (definition.constants ?? {}) as Record<string, JsonValue>;
    for (const name of Object.keys(constants)) {
      if (name in definition.variables) throw new DefinitionProblem(['constants', name], `"${name}" is also a variable name`);
    }
    this.variables = Object.entries(definition.variables).map(([name, spec]) => compileVariable(name, spec, sets));
    this.#variables = new Map(this.variables.map((variable) => [variable.name, variable]));
    this.actions = [];
    this.#byName = new Map();
    for (const [index, template] of definition.actions.entries()) {
      for (const action of expandTemplate(template, ['actions', index], sets, constants, this.#variables)) {
        if (this.#byName.has(action.name)) throw new DefinitionProblem([...action.path, 'name'], `Action "${action.name}" is defined twice`);
        this.#byName.set(action.name, action);
        this.actions.push(action);
      }
    }
    const base = this.#initial();
    const taskIds = new Set<string>();
    this.tasks = definition.tasks.map((task, index) => {
      const path: DefinitionPath = ['tasks', index];
      if (taskIds.has(task.id)) throw new DefinitionProblem([...path, 'id'], `Task "${task.id}" is defined twice`);
      taskIds.add(task.id);
      return this.#compileTask(task, path, base, constants);
    });
    for (const task of this.tasks) this.#checkSolution(task);
  }

  action(name: string): GroundAction | undefined {
    return this.#byName.get(name);
  }

  /** Applies an action to a state without changing it: the outcome and the next state. */
  apply(state: FsmState, action: GroundAction, args: Record<string, JsonValue>): Outcome {
    const scope = { state, args };
    for (const condition of action.when) {
      if (!condition.check(scope)) return { kind: 'blocked', precondition: condition.name, reason: condition.reason ?? `${condition.name} does not hold` };
    }
    for (const failure of action.fail) if (failure.test(scope)) return { kind: 'failed', message: failure.message };
    let next = state;
    if (action.set.length > 0) {
      // Assignments are simultaneous: every right-hand side reads the state before the step.
      const writes = action.set.map(({ target, value }) => ({ target, key: target.key?.(scope), value: value(scope) }));
      next = { ...state };
      for (const write of writes) {
        const variable = this.#variables.get(write.target.variable) as VariableSpec;
        if (write.target.key === undefined) {
          const problem = checkValue(write.value, variable.type);
          if (problem !== undefined) return { kind: 'failed', message: `${variable.name} cannot be ${JSON.stringify(write.value)}: ${problem}` };
          next[variable.name] = write.value;
        } else {
          const key = String(write.key);
          if (variable.map === undefined || !variable.map.keys.includes(key)) return { kind: 'failed', message: `${variable.name} has no entry "${key}"` };
          const problem = checkValue(write.value, variable.map.value);
          if (problem !== undefined) return { kind: 'failed', message: `${variable.name}.${key} cannot be ${JSON.stringify(write.value)}: ${problem}` };
          const map = next[variable.name] === state[variable.name] ? { ...(state[variable.name] as Record<string, JsonValue>) } : (next[variable.name] as Record<string, JsonValue>);
          map[key] = write.value;
          next[variable.name] = map;
        }
      }
      for (const value of Object.values(next)) if (value !== null && typeof value === 'object') Object.freeze(value);
      Object.freeze(next);
    }
    const after = { state: next, args };
    const output: JsonValue = action.output === undefined ? { ok: true } : Object.fromEntries(action.output.map(({ key, value }) => [key, value(after)]));
    return { kind: 'ok', state: next, output };
  }

  /** A task's initial state (deeply frozen: states are never changed in place, transitions copy). */
  initialState(task?: FsmTask): FsmState {
    return deepFreeze(structuredClone(task?.initial ?? this.#initial()));
  }

  #initial(): FsmState {
    const state: FsmState = {};
    for (const variable of this.variables) state[variable.name] = structuredClone(variable.initial);
    return state;
  }

  #compileTask(task: TaskDefinition, path: DefinitionPath, base: FsmState, constants: Record<string, JsonValue>): FsmTask {
    const initial = structuredClone(base);
    for (const [key, value] of Object.entries(task.initial ?? {})) {
      const [name, entry, ...rest] = key.split('.');
      const variable = name === undefined ? undefined : this.#variables.get(name);
      if (variable === undefined || rest.length > 0) throw new DefinitionProblem([...path, 'initial', key], `"${key}" is not a variable or a map entry (variable.key)`);
      if (entry === undefined) {
        const problem = variable.map === undefined ? checkValue(value, variable.type) : 'set map entries one by one (variable.key)';
        if (problem !== undefined) throw new DefinitionProblem([...path, 'initial', key], problem);
        initial[variable.name] = value;
      } else {
        if (variable.map === undefined || !variable.map.keys.includes(entry)) throw new DefinitionProblem([...path, 'initial', key], `${variable.name} has no entry "${entry}"`);
        const problem = checkValue(value, variable.map.value);
        if (problem !== undefined) throw new DefinitionProblem([...path, 'initial', key], problem);
        (initial[variable.name] as Record<string, JsonValue>)[entry] = value;
      }
    }
    const names: Names = { variables: new Set(this.#variables.keys()), args: new Set(), constants };
    const goal = compile(task.goal, names, [...path, 'goal']);
    const solution = task.solution?.map((step, index) => {
      const parsed = typeof step === 'string' ? parseStep(step, [...path, 'solution', index]) : { action: step.action, input: { ...(step.args ?? {}) } };
      if (!this.#byName.has(parsed.action)) throw new DefinitionProblem([...path, 'solution', index], `Unknown action "${parsed.action}"`);
      return parsed;
    });
    return { id: task.id, instruction: task.instruction, initial, goal, solution, tags: task.tags ?? [], path };
  }

  /** A reference solution must be valid and reach the goal: a task nobody can do is a broken task. */
  #checkSolution(task: FsmTask): void {
    if (task.solution === undefined) return;
    let state = this.initialState(task);
    for (const [index, step] of task.solution.entries()) {
      const action = this.#byName.get(step.action) as GroundAction;
      const parsed = safeParse(action.input, step.input);
      if (!parsed.success) throw new DefinitionProblem([...task.path, 'solution', index], `Invalid arguments for ${step.action}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'} ${issue.message}`).join('; ')}`);
      const outcome = this.apply(state, action, parsed.data);
      if (outcome.kind !== 'ok') throw new DefinitionProblem([...task.path, 'solution', index], `Step ${index + 1} (${step.action}) is ${outcome.kind}: ${outcome.kind === 'blocked' ? outcome.reason : outcome.message}`);
      state = outcome.state;
    }
    if (!task.goal({ state, args: {} })) throw new DefinitionProblem([...task.path, 'solution'], 'The solution does not reach the goal');
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function compile(source: string, names: Names, path: DefinitionPath): Compiled {
  try {
    return compileExpression(source, names);
  } catch (error) {
    if (error instanceof ExpressionError) throw new DefinitionProblem(path, `${error.message} in expression ${JSON.stringify(source)}`);
    throw error;
  }
}

function resolveValues(values: Scalar[] | string | undefined, sets: Record<string, Scalar[]>, path: DefinitionPath): JsonValue[] | undefined {
  if (values === undefined) return undefined;
  if (typeof values !== 'string') return values;
  // Own sets only: a name such as "toString" must not reach Object.prototype.
  const set = Object.hasOwn(sets, values) ? sets[values] : undefined;
  if (set === undefined) throw new DefinitionProblem(path, `No set named "${values}" (known: ${Object.keys(sets).join(', ') || 'none'})`);
  return set;
}

function compileType(spec: ValueTypeDefinition | VariableDefinition, sets: Record<string, Scalar[]>, path: DefinitionPath): TypeSpec {
  const kind = spec.type === 'map' ? 'string' : spec.type;
  const values = resolveValues(spec.values, sets, [...path, 'values']);
  if (kind === 'enum' && values === undefined) throw new DefinitionProblem(path, 'An enum needs values (a list, or the name of a set)');
  if (spec.min !== undefined && spec.max !== undefined && spec.min > spec.max) throw new DefinitionProblem([...path, 'min'], `min ${spec.min} is above max ${spec.max}`);
  return { kind, ...(spec.min === undefined ? {} : { min: spec.min }), ...(spec.max === undefined ? {} : { max: spec.max }), ...(values === undefined ? {} : { values }) };
}

function compileVariable(name: string, spec: VariableDefinition, sets: Record<string, Scalar[]>): VariableSpec {
  const path: DefinitionPath = ['variables', name];
  if (spec.type === 'map') {
    const keys = resolveValues(spec.keys, sets, [...path, 'keys']);
    if (keys === undefined) throw new DefinitionProblem(path, 'A map needs keys (a list, or the name of a set)');
    if (spec.value === undefined) throw new DefinitionProblem(path, 'A map needs the type of its entries (value: {type: ...})');
    const value = compileType(spec.value, sets, [...path, 'value']);
    const initial: Record<string, JsonValue> = {};
    for (const key of keys.map(String)) {
      const raw = spec.initial !== null && typeof spec.initial === 'object' ? ((Object.hasOwn(spec.initial, key) ? spec.initial[key] : undefined) ?? defaultValue(value)) : spec.initial;
      const problem = checkValue(raw, value);
      if (problem !== undefined) throw new DefinitionProblem([...path, 'initial'], `entry "${key}": ${problem}`);
      initial[key] = raw;
    }
    if (spec.initial !== null && typeof spec.initial === 'object') {
      for (const key of Object.keys(spec.initial)) if (!keys.map(String).includes(key)) throw new DefinitionProblem([...path, 'initial', key], `"${key}" is not one of the map's keys`);
    }
    return { name, type: undefined, map: { keys: keys.map(String), value }, initial };
  }
  const type = compileType(spec, sets, path);
  if (spec.initial !== null && typeof spec.initial === 'object') throw new DefinitionProblem([...path, 'initial'], 'Only map variables take an object as initial value');
  const problem = checkValue(spec.initial, type);
  if (problem !== undefined) throw new DefinitionProblem([...path, 'initial'], problem);
  return { name, type, map: undefined, initial: spec.initial };
}

function defaultValue(type: TypeSpec): JsonValue {
  switch (type.kind) {
    case 'boolean':
      return false;
    case 'integer':
      return type.min ?? 0;
    case 'enum':
      return type.values?.[0] ?? null;
    case 'string':
      return '';
  }
}

/** Why a value does not fit a type, or undefined when it does. */
export function checkValue(value: JsonValue, type: TypeSpec | undefined): string | undefined {
  if (type === undefined) return undefined;
  switch (type.kind) {
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'expected true or false';
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return 'expected an integer';
      if (type.min !== undefined && value < type.min) return `below the minimum ${type.min}`;
      if (type.max !== undefined && value > type.max) return `above the maximum ${type.max}`;
      return undefined;
    case 'enum':
      return type.values?.includes(value) ? undefined : `expected one of ${(type.values ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'string':
      return typeof value === 'string' || value === null ? undefined : 'expected a string';
  }
}

function combinations(type: TypeSpec): number {
  switch (type.kind) {
    case 'boolean':
      return 2;
    case 'integer':
      return type.min !== undefined && type.max !== undefined ? type.max - type.min + 1 : Number.POSITIVE_INFINITY;
    case 'enum':
      return type.values?.length ?? 0;
    case 'string':
      return type.values?.length ?? Number.POSITIVE_INFINITY;
  }
}

function zodOf(type: TypeSpec, description: string | undefined): z.ZodType<JsonValue> {
  let schema: z.ZodType<JsonValue>;
  switch (type.kind) {
    case 'boolean':
      schema = z.boolean();
      break;
    case 'integer': {
      let integer = z.number().int();
      if (type.min !== undefined) integer = integer.min(type.min);
      if (type.max !== undefined) integer = integer.max(type.max);
      schema = integer;
      break;
    }
    case 'enum': {
      const values = type.values ?? [];
      schema = values.every((value) => typeof value === 'string')
        ? z.enum(values as [string, ...string[]])
        : (z.union(values.map((value) => z.literal(value as string | number | boolean | null)) as unknown as [z.ZodType<JsonValue>, z.ZodType<JsonValue>]) as z.ZodType<JsonValue>);
      break;
    }
    case 'string':
      schema = type.values === undefined ? z.string() : z.enum(type.values.map(String) as [string, ...string[]]);
      break;
  }
  return description === undefined ? schema : schema.describe(description);
}

function expandTemplate(
  template: ActionDefinitionFile,
  path: DefinitionPath,
  sets: Record<string, Scalar[]>,
  globals: Record<string, JsonValue>,
  variables: Map<string, VariableSpec>,
): GroundAction[] {
  const bindings = Object.entries(template.for ?? {}).map(([key, values]) => {
    const resolved = resolveValues(values, sets, [...path, 'for', key]) as JsonValue[];
    if (variables.has(key)) throw new DefinitionProblem([...path, 'for', key], `"${key}" is also a variable name`);
    return { key, values: resolved };
  });
  const args = Object.entries(template.args ?? {}).map(([name, spec]) => {
    if (variables.has(name)) throw new DefinitionProblem([...path, 'args', name], `Argument "${name}" has the name of a variable`);
    if (bindings.some((binding) => binding.key === name)) throw new DefinitionProblem([...path, 'args', name], `Argument "${name}" has the name of a "for" key`);
    return { name, type: compileType(spec, sets, [...path, 'args', name]), description: spec.description };
  });
  const input = z.strictObject(Object.fromEntries(args.map((arg) => [arg.name, zodOf(arg.type, arg.description)]))) as unknown as z.ZodType<Record<string, JsonValue>>;
  const argumentCombinations = args.reduce((product, arg) => product * combinations(arg.type), 1);
  const effect = template.effect;
  const combos: Record<string, JsonValue>[] = [{}];
  for (const binding of bindings) {
    const next: Record<string, JsonValue>[] = [];
    for (const combo of combos) for (const value of binding.values) next.push({ ...combo, [binding.key]: value });
    combos.splice(0, combos.length, ...next);
  }
  const whenList = template.when === undefined ? [] : Array.isArray(template.when) ? template.when : [template.when];
  return combos.map((constants) => {
    const fill = (text: string): string => text.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, key: string) => (Object.hasOwn(constants, key) ? String(constants[key]) : whole));
    const names: Names = { variables: new Set(variables.keys()), args: new Set(args.map((arg) => arg.name)), constants: { ...globals, ...constants } };
    const when = whenList.map((condition, index) => {
      const entry = typeof condition === 'string' ? { check: condition } : condition;
      const conditionPath = Array.isArray(template.when) ? [...path, 'when', index] : [...path, 'when'];
      return {
        name: entry.name ?? `when-${index + 1}`,
        check: compile(entry.check, names, typeof condition === 'string' ? conditionPath : [...conditionPath, 'check']),
        reason: entry.reason === undefined ? undefined : fill(entry.reason),
      };
    });
    const fail = (template.fail ?? []).map((failure, index) => ({ test: compile(failure.if, names, [...path, 'fail', index, 'if']), message: fill(failure.message) }));
    const set = Object.entries(template.set ?? {}).map(([target, value]) => {
      let compiledTarget: Target;
      try {
        compiledTarget = compileTarget(target, names);
      } catch (error) {
        if (error instanceof ExpressionError) throw new DefinitionProblem([...path, 'set', target], error.message);
        throw error;
      }
      return { target: compiledTarget, value: typeof value === 'string' ? compile(value, names, [...path, 'set', target]) : () => value };
    });
    const output = template.output === undefined ? undefined : Object.entries(template.output).map(([key, source]) => ({ key, value: compile(source, names, [...path, 'output', key]) }));
    return {
      name: fill(template.name),
      description: fill(template.description),
      effect,
      cost: template.cost ?? 1,
      group: template.group === undefined ? undefined : fill(template.group),
      tags: (template.tags ?? []).map(fill),
      inverse: template.inverse === undefined ? undefined : fill(template.inverse),
      reversible: template.reversible,
      args: args.map(({ name, type }) => ({ name, type })),
      input,
      when,
      fail,
      set,
      output,
      inert: set.length === 0,
      argumentCombinations,
      path,
    };
  });
}

/** Parses a solution step written as `action key=value key="a value"`. */
function parseStep(text: string, path: DefinitionPath): { action: string; input: Record<string, JsonValue> } {
  const [action, ...rest] = text.trim().split(/\s+(?=[A-Za-z_][A-Za-z0-9_]*=)/);
  if (action === undefined || action === '' || /\s/.test(action)) throw new DefinitionProblem(path, `Cannot read step ${JSON.stringify(text)}: write "action key=value ..."`);
  const input: Record<string, JsonValue> = {};
  for (const pair of rest) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(pair.trim());
    if (match === null) throw new DefinitionProblem(path, `Cannot read argument ${JSON.stringify(pair)} in step ${JSON.stringify(text)}`);
    input[match[1] as string] = parseScalar(match[2] as string);
  }
  return { action, input };
}

function parseScalar(raw: string): JsonValue {
  if (raw.startsWith('"')) return JSON.parse(raw) as JsonValue;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (raw === 'null') return null;
  if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  return raw;
}
