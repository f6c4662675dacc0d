import type { z } from 'zod';
import { InvalidDefinitionError } from '../errors/index.js';
import type { JsonValue } from '../internal/json.js';

/**
 * What running an action does to the world. `read` has no side effect; `write` changes state in a way
 * that can be undone or repeated; `irreversible` cannot be taken back (payments, e-mails, deletions) and is
 * never executed speculatively or without approval.
 */
export type Effect = 'read' | 'write' | 'irreversible';
export const EFFECTS: readonly Effect[] = ['read', 'write', 'irreversible'];

/** Where an action came from. Planners and the executor never branch on it; policies and people may. */
export interface ActionSource {
  kind: 'typescript' | 'environment' | 'mcp' | 'openapi' | 'generated' | (string & {});
  /** The server, document, environment or run the action came from. */
  name?: string;
  /** The version of the action within its source (generated actions are versioned). */
  version?: string;
  /** Where a generated action was made: the run, and the step in which its code ran successfully. */
  origin?: { runId: string; stepId?: string };
}

/** The outcome of a precondition check: `true` holds; `false` or `{ ok: false }` blocks the action. */
export type PreconditionResult = boolean | { ok: boolean; reason?: string; observed?: JsonValue };

export interface Precondition<I> {
  /** Stable name, recorded with the step when it blocks. */
  name: string;
  description?: string;
  check(input: I, context: { state: unknown }): PreconditionResult | Promise<PreconditionResult>;
}

/** The outcome of a postcondition check, in the same shape as a precondition's. */
export type PostconditionResult = PreconditionResult;

/**
 * A predicate over what an action did: its input and output and the environment's state before and after.
 * A failing postcondition fails the step (recorded with the predicate's name and what it saw); the action
 * has already run, so its effect is not undone, but the run's head does not move past it.
 */
export interface Postcondition<I, O> {
  /** Stable name, recorded with the step when it fails. */
  name: string;
  description?: string;
  check(input: I, output: O, context: { state: unknown; stateBefore: unknown }): PostconditionResult | Promise<PostconditionResult>;
}

/** Whether a value is valid for an argument; `reason` says why not. */
export type MaskCheck = { ok: true } | { ok: false; reason: string };

/**
 * The valid values of one argument as a function of the environment's state (existing ids, paths under a
 * root, commands of a grammar). Masks narrow what planners and models are shown and are enforced when the
 * action runs (see `arbor/guards`, which has ready-made masks).
 */
export interface ArgumentMask {
  /** `values`, `path`, `grammar`, `pattern`, `predicate`... for messages and records. */
  readonly kind: string;
  /** What a valid value is, in words a model reads ("an existing order id"). */
  readonly description: string;
  /** The valid values in this state when they can be listed; shown to a model as an enum when few. */
  values?(state: unknown): readonly JsonValue[] | undefined;
  /** Whether `value` is valid in this state. */
  check(value: JsonValue | undefined, state: unknown): MaskCheck;
  /** JSON Schema keywords that describe the valid values when they cannot be listed (a `pattern`...). */
  schema?(state: unknown): Record<string, unknown>;
}

/** Opt-in retries. Each attempt is recorded as its own step; nothing is retried silently. */
export interface RetryPolicy {
  /** Total attempts including the first (2 means one retry). */
  maxAttempts: number;
  /** Delay before attempt n is `backoffMs * 2^(n-2)`. Default 0. */
  backoffMs?: number;
  /** Error codes worth retrying. Default: every failure except invalid input, blocked and cancelled. */
  retryOn?: string[];
}

/** What an action's `run` receives besides its input. Everything nondeterministic must come through it. */
export interface ActionContext {
  readonly runId: string;
  readonly stepId: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Aborted on timeout or when the caller cancels; long actions should honour it. */
  readonly signal: AbortSignal;
  /** The environment's observation when the step started (undefined without an environment). */
  readonly state: unknown;
  /** Wall-clock time in ms since the epoch, recorded so a replay sees the same value. */
  now(): number;
  /** A float in [0, 1), recorded so a replay sees the same value. */
  random(): number;
  /**
   * Runs `fn` once and records its JSON result under `key`; a replay returns the recorded value without
   * calling `fn`. Use it for anything else nondeterministic (ids, network reads, environment variables).
   */
  record<T extends JsonValue>(key: string, fn: () => T | Promise<T>): Promise<T>;
  /** Calls another action as a nested step of this one: validated, recorded and replayed like any step. */
  call(action: string, input: unknown): Promise<unknown>;
}

export interface ActionDefinition<I, O> {
  /** Unique within an action space: letters, digits and `_ - . / :`. */
  name: string;
  /** What the action does, written for a model choosing among many. */
  description: string;
  input: z.ZodType<I>;
  /**
   * The JSON Schema the input schema was made from, for actions imported from one (OpenAPI, MCP). When
   * given, it is what `describe()`, retrieval and prompts show, and the zod schema can be built lazily.
   */
  inputJsonSchema?: Record<string, unknown>;
  output?: z.ZodType<O>;
  effect: Effect;
  /** Relative cost of one call, used by planners' cost functions. Default 1. */
  cost?: number;
  tags?: string[];
  /** A family of related actions (a server, a document's tag, a domain) for grouped retrieval. */
  group?: string;
  source?: ActionSource;
  preconditions?: Precondition<NoInfer<I>>[];
  /** Checked after a successful run; a failure fails the step. */
  postconditions?: Postcondition<NoInfer<I>, NoInfer<O>>[];
  /**
   * Valid values of arguments as a function of state, keyed by argument path (`orderId`, `lines[].sku`:
   * `[]` stands for every element of an array).
   */
  masks?: Record<string, ArgumentMask>;
  /** Stages of a process in which the action is allowed; undefined means every stage. */
  stages?: string[];
  /** Whether the effect can be undone. Default: true for read, false for irreversible, `inverse !== undefined` for write. */
  reversible?: boolean;
  /** The action that undoes this one, if any. */
  inverse?: string;
  /** Calling it twice with the same input has the same effect as once. */
  idempotent?: boolean;
  timeoutMs?: number;
  retry?: RetryPolicy;
  run(input: NoInfer<I>, context: ActionContext): O | Promise<O>;
}

/** A defined action: the definition with every default filled in. */
export interface Action<I = unknown, O = unknown> {
  readonly name: string;
  readonly description: string;
  readonly input: z.ZodType<I>;
  /** The JSON Schema the input was imported from, when it was (see ActionDefinition.inputJsonSchema). */
  readonly inputJsonSchema: Record<string, unknown> | undefined;
  readonly output: z.ZodType<O> | undefined;
  readonly effect: Effect;
  readonly cost: number;
  readonly tags: readonly string[];
  readonly group: string | undefined;
  readonly source: ActionSource;
  readonly preconditions: readonly Precondition<I>[];
  readonly postconditions: readonly Postcondition<I, O>[];
  readonly masks: Readonly<Record<string, ArgumentMask>>;
  readonly stages: readonly string[] | undefined;
  readonly reversible: boolean;
  readonly inverse: string | undefined;
  readonly idempotent: boolean;
  readonly timeoutMs: number | undefined;
  readonly retry: RetryPolicy | undefined;
  run(input: I, context: ActionContext): O | Promise<O>;
}

/** Any action, with its input and output types erased. */
export type AnyAction = Action<unknown, unknown>;

const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_\-./:{}]*$/;

/** Declares a typed action. The zod schemas give the runtime check, the static types and the JSON Schema. */
export function defineAction<I, O = unknown>(definition: ActionDefinition<I, O>): Action<I, O> {
  if (definition === null || typeof definition !== 'object') {
    throw new InvalidDefinitionError('An action definition must be an object', { hint: 'defineAction({ name, description, input, effect, run })' });
  }
  const { name, description, effect } = definition;
  if (typeof name !== 'string' || !NAME_PATTERN.test(name) || name.length > 200) {
    throw new InvalidDefinitionError(`Invalid action name ${typeof name === 'string' ? JSON.stringify(name.slice(0, 200)) : `(a ${typeof name})`}`, {
      hint: 'Use 1-200 characters: letters, digits and _ - . / : { }, not starting with a punctuation mark.',
      data: { name: typeof name === 'string' ? name.slice(0, 200) : typeof name },
    });
  }
  checkOptionalFields(name, definition as unknown as Record<string, unknown>);
  if (typeof description !== 'string') {
    throw new InvalidDefinitionError(`Action "${name}" has no description`, {
      hint: 'Describe what the action does; models and retrieval rely on it.',
    });
  }
  if (effect !== 'read' && effect !== 'write' && effect !== 'irreversible') {
    throw new InvalidDefinitionError(`Action "${name}" has effect ${typeof effect === 'string' ? JSON.stringify(effect) : `(a ${typeof effect})`}`, {
      hint: 'effect must be "read", "write" or "irreversible".',
    });
  }
  if (typeof definition.input?.safeParse !== 'function') {
    throw new InvalidDefinitionError(`Action "${name}" has no zod input schema`, {
      hint: 'Pass a zod schema as input, for example z.object({}) for an action without arguments.',
    });
  }
  const cost = definition.cost ?? 1;
  if (!Number.isFinite(cost) || cost < 0) {
    throw new InvalidDefinitionError(`Action "${name}" has cost ${cost}`, { hint: 'cost must be a finite number >= 0.' });
  }
  const retry = definition.retry;
  if (retry !== undefined && (!Number.isInteger(retry.maxAttempts) || retry.maxAttempts < 1)) {
    throw new InvalidDefinitionError(`Action "${name}" has retry.maxAttempts ${retry.maxAttempts}`, {
      hint: 'maxAttempts counts every attempt including the first: an integer >= 1.',
    });
  }
  for (const condition of [...(definition.preconditions ?? []), ...(definition.postconditions ?? [])]) {
    if (typeof condition?.name !== 'string' || condition.name === '' || typeof condition.check !== 'function') {
      throw new InvalidDefinitionError(`Action "${name}" has a pre- or postcondition without a name or check`, {
        hint: 'Each condition is { name: string, check(...) }; the name is recorded when it fails.',
      });
    }
  }
  for (const [path, mask] of Object.entries(definition.masks ?? {})) {
    if (typeof mask?.check !== 'function' || typeof mask.kind !== 'string') {
      throw new InvalidDefinitionError(`Action "${name}" has an invalid mask for argument "${path}"`, {
        hint: 'Use a mask from arbor/guards (oneOf, pathUnder, commandGrammar, matches, satisfies).',
        data: { argument: path },
      });
    }
  }
  const reversible =
    definition.reversible ?? (effect === 'read' ? true : effect === 'irreversible' ? false : definition.inverse !== undefined);
  if (effect === 'irreversible' && reversible) {
    throw new InvalidDefinitionError(`Action "${name}" is declared both irreversible and reversible`, {
      hint: 'Use effect "write" for actions that can be undone.',
    });
  }
  return Object.freeze({
    name,
    description,
    input: definition.input,
    inputJsonSchema: definition.inputJsonSchema,
    output: definition.output,
    effect,
    cost,
    tags: Object.freeze([...(definition.tags ?? [])]),
    group: definition.group,
    source: definition.source ?? { kind: 'typescript' },
    preconditions: Object.freeze([...(definition.preconditions ?? [])]),
    postconditions: Object.freeze([...(definition.postconditions ?? [])]),
    masks: Object.freeze({ ...definition.masks }),
    stages: definition.stages === undefined ? undefined : Object.freeze([...definition.stages]),
    reversible,
    inverse: definition.inverse,
    idempotent: definition.idempotent ?? effect === 'read',
    timeoutMs: definition.timeoutMs,
    retry,
    run: definition.run,
  });
}

/** Type checks of the optional fields, so a malformed definition fails here with the field named, not later. */
function checkOptionalFields(name: string, definition: Record<string, unknown>): void {
  const fail = (field: string, expected: string) =>
    new InvalidDefinitionError(`Action "${name}": ${field} must be ${expected}`, { hint: 'See the ActionDefinition type for the shape of each field.', data: { field } });
  const isStringArray = (value: unknown) => Array.isArray(value) && value.every((entry) => typeof entry === 'string');
  const checks: [string, (value: unknown) => boolean, string][] = [
    ['output', (value) => typeof (value as { safeParse?: unknown } | null)?.safeParse === 'function', 'a zod schema'],
    ['cost', (value) => typeof value === 'number', 'a number'],
    ['tags', isStringArray, 'an array of strings'],
    ['group', (value) => typeof value === 'string', 'a string'],
    ['source', (value) => typeof (value as { kind?: unknown } | null)?.kind === 'string' && ['string', 'undefined'].includes(typeof (value as { name?: unknown }).name), 'an object { kind: string, name?: string }'],
    ['preconditions', Array.isArray, 'an array of { name, check }'],
    ['postconditions', Array.isArray, 'an array of { name, check }'],
    ['masks', (value) => value !== null && typeof value === 'object' && !Array.isArray(value), 'an object of masks by argument path'],
    ['stages', isStringArray, 'an array of stage names'],
    ['reversible', (value) => typeof value === 'boolean', 'a boolean'],
    ['inverse', (value) => typeof value === 'string', 'an action name'],
    ['idempotent', (value) => typeof value === 'boolean', 'a boolean'],
    ['timeoutMs', (value) => typeof value === 'number' && value > 0 && Number.isFinite(value), 'a positive number of milliseconds'],
    [
      'retry',
      (value) =>
        value !== null &&
        typeof value === 'object' &&
        Number.isInteger((value as RetryPolicy).maxAttempts) &&
        (value as RetryPolicy).maxAttempts >= 1 &&
        ['number', 'undefined'].includes(typeof (value as RetryPolicy).backoffMs) &&
        ((value as RetryPolicy).retryOn === undefined || isStringArray((value as RetryPolicy).retryOn)),
      'an object { maxAttempts: integer >= 1 (every attempt, the first included), backoffMs?, retryOn? }',
    ],
  ];
  for (const [field, valid, expected] of checks) {
    if (definition[field] !== undefined && !valid(definition[field])) throw fail(field, expected);
  }
  if (typeof definition.run !== 'function') throw fail('run', 'a function (input, context) => output');
}
