import { z } from 'zod';
import { DuplicateActionError, NoSuchActionError } from '../errors/index.js';
import type { Action, AnyAction, Effect } from './action.js';
import { closestNames } from './closest-names.js';

export type ActionSpaceEvent = { type: 'added'; action: AnyAction } | { type: 'removed'; action: AnyAction };
export type ActionSpaceListener = (event: ActionSpaceEvent) => void;

export interface ActionFilter {
  effect?: Effect | Effect[];
  tag?: string;
  group?: string;
  sourceKind?: string;
}

/** A JSON-serializable description of an action, as shown to people and models. */
export interface ActionDescriptor {
  name: string;
  description: string;
  effect: Effect;
  cost: number;
  tags: string[];
  group?: string;
  source: { kind: string; name?: string };
  reversible: boolean;
  inverse?: string;
  idempotent: boolean;
  stages?: string[];
  preconditions: string[];
  /** Names of the postconditions, when the action has any. */
  postconditions?: string[];
  /** What each masked argument accepts, by argument path, when the action declares masks. */
  masks?: Record<string, string>;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
}

/**
 * The registry of actions an agent may take. Names are unique; listeners hear every addition and removal
 * (retrieval indexes follow the space incrementally through them).
 */
export class ActionSpace implements Iterable<AnyAction> {
  readonly #actions = new Map<string, AnyAction>();
  readonly #listeners = new Set<ActionSpaceListener>();

  constructor(actions: Iterable<AnyAction> = []) {
    for (const action of actions) this.add(action);
  }

  get size(): number {
    return this.#actions.size;
  }

  /** Registers an action; throws DuplicateActionError when the name is taken. */
  add<I, O>(action: Action<I, O>): this {
    if (this.#actions.has(action.name)) throw new DuplicateActionError(action.name);
    const erased = action as unknown as AnyAction;
    this.#actions.set(action.name, erased);
    this.#emit({ type: 'added', action: erased });
    return this;
  }

  /** Returns the action, or throws NoSuchActionError naming the closest matches. */
  get(name: string): AnyAction {
    const action = this.#actions.get(name);
    if (action === undefined) throw new NoSuchActionError(name, closestNames(name, this.#actions.keys()));
    return action;
  }

  find(name: string): AnyAction | undefined {
    return this.#actions.get(name);
  }

  has(name: string): boolean {
    return this.#actions.has(name);
  }

  /** Removes an action; returns whether it was there. */
  remove(name: string): boolean {
    const action = this.#actions.get(name);
    if (action === undefined) return false;
    this.#actions.delete(name);
    this.#emit({ type: 'removed', action });
    return true;
  }

  names(): string[] {
    return [...this.#actions.keys()];
  }

  list(filter: ActionFilter = {}): AnyAction[] {
    const effects = filter.effect === undefined ? undefined : new Set([filter.effect].flat());
    const result: AnyAction[] = [];
    for (const action of this.#actions.values()) {
      if (effects !== undefined && !effects.has(action.effect)) continue;
      if (filter.tag !== undefined && !action.tags.includes(filter.tag)) continue;
      if (filter.group !== undefined && action.group !== filter.group) continue;
      if (filter.sourceKind !== undefined && action.source.kind !== filter.sourceKind) continue;
      result.push(action);
    }
    return result;
  }

  /** JSON Schema (draft 2020-12) of an action's input, from zod's own converter. */
  inputJsonSchema(name: string): Record<string, unknown> {
    return inputJsonSchemaOf(this.get(name));
  }

  /** JSON Schema of an action's output, or undefined when it declares none. */
  outputJsonSchema(name: string): Record<string, unknown> | undefined {
    const output = this.get(name).output;
    return output === undefined ? undefined : toJsonSchema(output, 'output');
  }

  describe(name: string): ActionDescriptor {
    return describeAction(this.get(name));
  }

  /** Listens to additions and removals; returns the function that stops listening. */
  subscribe(listener: ActionSpaceListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  [Symbol.iterator](): Iterator<AnyAction> {
    return this.#actions.values();
  }

  #emit(event: ActionSpaceEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}

export function describeAction(action: AnyAction): ActionDescriptor {
  const outputSchema = action.output === undefined ? undefined : toJsonSchema(action.output, 'output');
  return {
    name: action.name,
    description: action.description,
    effect: action.effect,
    cost: action.cost,
    tags: [...action.tags],
    ...(action.group === undefined ? {} : { group: action.group }),
    source: { ...action.source },
    reversible: action.reversible,
    ...(action.inverse === undefined ? {} : { inverse: action.inverse }),
    idempotent: action.idempotent,
    ...(action.stages === undefined ? {} : { stages: [...action.stages] }),
    preconditions: action.preconditions.map((precondition) => precondition.name),
    ...(action.postconditions.length === 0 ? {} : { postconditions: action.postconditions.map((postcondition) => postcondition.name) }),
    ...(Object.keys(action.masks).length === 0
      ? {}
      : { masks: Object.fromEntries(Object.entries(action.masks).map(([path, mask]) => [path, mask.description])) }),
    inputSchema: inputJsonSchemaOf(action),
    ...(outputSchema === undefined ? {} : { outputSchema }),
  };
}

/** The JSON Schema of an action's input: the one it was imported from, or zod's conversion. */
export function inputJsonSchemaOf(action: AnyAction): Record<string, unknown> {
  return action.inputJsonSchema ?? toJsonSchema(action.input, 'input');
}

function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  // 'any' keeps transforms and custom checks from throwing: they become {} in the schema.
  return z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
}
