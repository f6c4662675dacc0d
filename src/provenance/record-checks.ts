import { InvalidRecordError } from '../errors/index.js';
import type { SearchNodeRecord } from './store.js';

/*
 * What a store checks before it writes: the shape of every field, that JSON text parses, that hashes are
 * usable keys, and that metadata can be serialized. Plain checks rather than a schema library: this runs once
 * per recorded step, on the hot path, and must stay in the microseconds. A record that fails is refused
 * whole (InvalidRecordError) before anything is written, so no partial step can exist.
 */

const EFFECTS = new Set(['read', 'write', 'irreversible']);
const STEP_STATUSES = new Set(['ok', 'failed', 'blocked', 'cancelled', 'running']);
const RUN_STATUSES = new Set(['running', 'succeeded', 'failed', 'blocked', 'cancelled']);
const NONDETERMINISM_KINDS = new Set(['now', 'random', 'record']);

/** The serialized forms a store writes, produced while checking so they are computed once. */
export interface SerializedStep {
  error: string | null;
  nondeterminism: string;
  metadata: string;
}

type Problems = string[];

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const describe = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'number' && !Number.isFinite(value) ? String(value) : typeof value);

function text(problems: Problems, field: string, value: unknown, options: { nullable?: boolean; empty?: boolean } = {}): void {
  if (value === null && options.nullable) return;
  if (typeof value !== 'string') problems.push(`${field} must be a string${options.nullable ? ' or null' : ''}, got ${describe(value)}`);
  else if (!options.empty && value === '') problems.push(`${field} must not be empty`);
}

function integer(problems: Problems, field: string, value: unknown, options: { nullable?: boolean; min?: number } = {}): void {
  if (value === null && options.nullable) return;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) problems.push(`${field} must be an integer${options.nullable ? ' or null' : ''}, got ${describe(value)}`);
  else if (options.min !== undefined && value < options.min) problems.push(`${field} must be >= ${options.min}, got ${value}`);
}

function finite(problems: Problems, field: string, value: unknown, options: { nullable?: boolean } = {}): void {
  if (value === null && options.nullable) return;
  if (typeof value !== 'number' || !Number.isFinite(value)) problems.push(`${field} must be a finite number${options.nullable ? ' or null' : ''}, got ${describe(value)}`);
}

function oneOf(problems: Problems, field: string, value: unknown, allowed: Set<string>): void {
  if (typeof value !== 'string' || !allowed.has(value)) problems.push(`${field} must be one of ${[...allowed].join(', ')}, got ${typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : describe(value)}`);
}

/**
 * The first part of a value that JSON would silently lose: a Map, Set or other class instance (written as
 * `{}`), a function or symbol (dropped), `undefined` in an array (written as null). Absent-valued object
 * properties and non-finite numbers are let through: JSON's own reading of them (absent, null) is the
 * convention the rest of Arbor relies on.
 */
function lossyPart(value: unknown, path: string, depth = 0): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return undefined;
  if (typeof value === 'function' || typeof value === 'symbol') return `${path} is a ${typeof value}`;
  if (typeof value !== 'object') return undefined;
  if (depth > 200) return `${path} is nested too deeply`;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      if (item === undefined) return `${path}[${index}] is undefined or a hole`;
      const problem = lossyPart(item, `${path}[${index}]`, depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (value instanceof Date) return undefined;
  if (prototype !== Object.prototype && prototype !== null) return `${path} is a ${(value as object).constructor?.name ?? 'class instance'}, not a plain object`;
  for (const [key, item] of Object.entries(value)) {
    const problem = lossyPart(item, `${path}.${key}`, depth + 1);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function serialize(problems: Problems, field: string, value: unknown): string {
  const lossy = lossyPart(value, field);
  if (lossy !== undefined) {
    problems.push(`${lossy}: JSON cannot hold it`);
    return 'null';
  }
  try {
    const json = JSON.stringify(value);
    if (json === undefined) problems.push(`${field} cannot be represented as JSON`);
    return json ?? 'null';
  } catch (error) {
    problems.push(`${field} cannot be serialized: ${error instanceof Error ? error.message : String(error)}`);
    return 'null';
  }
}

function hashedJson(problems: Problems, field: string, json: unknown, hash: unknown, nullable: boolean): void {
  if (nullable && json === null && hash === null) return;
  if (typeof json !== 'string') return void problems.push(`${field}Json must be a string${nullable ? ' or null' : ''}, got ${describe(json)}`);
  if (typeof hash !== 'string') return void problems.push(`${field}Hash must be a string, got ${describe(hash)}`);
  try {
    JSON.parse(json);
  } catch {
    return void problems.push(`${field}Json is not JSON text`);
  }
  // Not recomputed (that would double the executor's hashing on every step), nor held to the sha256
  // format: a hash is the writer's key for the content, and must only be usable as one.
  if (hash === '' || hash.length > 128) problems.push(`${field}Hash must be a non-empty string of at most 128 characters`);
}

/** Checks a step before it is written; returns its serialized parts. Throws InvalidRecordError. */
export function checkStepWrite(step: unknown): SerializedStep {
  if (!isObject(step)) throw new InvalidRecordError('step', [`a step must be an object, got ${describe(step)}`]);
  const problems: Problems = [];
  text(problems, 'runId', step.runId);
  integer(problems, 'seq', step.seq, { min: 0 });
  if (typeof step.runId === 'string' && typeof step.seq === 'number' && step.id !== `${step.runId}:${step.seq}`) {
    problems.push(`id must be "<runId>:<seq>" (${JSON.stringify(`${step.runId}:${step.seq}`)}), got ${typeof step.id === 'string' ? JSON.stringify(step.id.slice(0, 200)) : describe(step.id)}`);
  }
  text(problems, 'parentStepId', step.parentStepId, { nullable: true });
  integer(problems, 'depth', step.depth, { min: 0 });
  text(problems, 'kind', step.kind);
  text(problems, 'action', step.action);
  oneOf(problems, 'effect', step.effect, EFFECTS);
  hashedJson(problems, 'input', step.inputJson, step.inputHash, false);
  hashedJson(problems, 'output', step.outputJson, step.outputHash, true);
  oneOf(problems, 'status', step.status, STEP_STATUSES);
  if (step.error !== null && (!isObject(step.error) || typeof step.error.code !== 'string' || typeof step.error.message !== 'string')) {
    problems.push('error must be null or { code: string, message: string, ... }');
  }
  finite(problems, 'startedAt', step.startedAt);
  finite(problems, 'endedAt', step.endedAt, { nullable: true });
  finite(problems, 'durationUs', step.durationUs, { nullable: true });
  integer(problems, 'attempt', step.attempt, { min: 1 });
  if (!Array.isArray(step.nondeterminism)) problems.push(`nondeterminism must be an array, got ${describe(step.nondeterminism)}`);
  else {
    for (const [index, value] of step.nondeterminism.entries()) {
      if (!isObject(value) || typeof value.kind !== 'string' || !NONDETERMINISM_KINDS.has(value.kind)) problems.push(`nondeterminism[${index}] must be { kind: now|random|record, value }`);
    }
  }
  if (!isObject(step.metadata)) problems.push(`metadata must be an object, got ${describe(step.metadata)}`);
  const serialized: SerializedStep = {
    error: step.error === null ? null : serialize(problems, 'error', step.error),
    nondeterminism: serialize(problems, 'nondeterminism', step.nondeterminism),
    metadata: serialize(problems, 'metadata', step.metadata),
  };
  if (problems.length > 0) throw new InvalidRecordError('step', problems);
  return serialized;
}

/** Checks a run before it is created; returns its serialized metadata. Throws InvalidRecordError. */
export function checkRunRecord(run: unknown): string {
  if (!isObject(run)) throw new InvalidRecordError('run', [`a run must be an object, got ${describe(run)}`]);
  const problems: Problems = [];
  text(problems, 'id', run.id);
  oneOf(problems, 'status', run.status, RUN_STATUSES);
  text(problems, 'task', run.task, { nullable: true, empty: true });
  text(problems, 'environment', run.environment, { nullable: true, empty: true });
  text(problems, 'parentRunId', run.parentRunId, { nullable: true });
  integer(problems, 'forkSeq', run.forkSeq, { nullable: true, min: 0 });
  finite(problems, 'createdAt', run.createdAt);
  finite(problems, 'endedAt', run.endedAt, { nullable: true });
  if (!isObject(run.metadata)) problems.push(`metadata must be an object, got ${describe(run.metadata)}`);
  const metadata = serialize(problems, 'metadata', run.metadata);
  if (problems.length > 0) throw new InvalidRecordError('run', problems);
  return metadata;
}

/** Checks the fields of a run update. Throws InvalidRecordError. */
export function checkRunPatch(patch: unknown): void {
  if (!isObject(patch)) throw new InvalidRecordError('run update', [`an update must be an object, got ${describe(patch)}`]);
  const problems: Problems = [];
  if (patch.status !== undefined) oneOf(problems, 'status', patch.status, RUN_STATUSES);
  if (patch.endedAt !== undefined) finite(problems, 'endedAt', patch.endedAt, { nullable: true });
  if (patch.metadata !== undefined) {
    if (!isObject(patch.metadata)) problems.push(`metadata must be an object, got ${describe(patch.metadata)}`);
    else serialize(problems, 'metadata', patch.metadata);
  }
  if (problems.length > 0) throw new InvalidRecordError('run update', problems);
}

/** Checks search nodes before they are written (all or none). Throws InvalidRecordError. */
export function checkSearchNodes(nodes: unknown): void {
  if (!Array.isArray(nodes)) throw new InvalidRecordError('search node', [`nodes must be an array, got ${describe(nodes)}`]);
  const problems: Problems = [];
  for (const [index, node] of (nodes as unknown[]).entries()) {
    const at = (field: string) => `[${index}].${field}`;
    if (!isObject(node)) {
      problems.push(`[${index}] must be an object, got ${describe(node)}`);
      continue;
    }
    const record = node as Partial<Record<keyof SearchNodeRecord, unknown>>;
    text(problems, at('runId'), record.runId);
    integer(problems, at('nodeId'), record.nodeId, { min: 0 });
    integer(problems, at('parentId'), record.parentId, { nullable: true, min: 0 });
    integer(problems, at('depth'), record.depth, { min: 0 });
    text(problems, at('action'), record.action, { nullable: true });
    text(problems, at('status'), record.status);
    text(problems, at('stepId'), record.stepId, { nullable: true });
    // Infinity is a legitimate cost (a dead end); NaN is not a number anyone meant.
    for (const field of ['g', 'h', 'value'] as const) {
      const value = record[field];
      if (value !== null && (typeof value !== 'number' || Number.isNaN(value))) problems.push(`${at(field)} must be a number or null, got ${describe(value)}`);
    }
    integer(problems, at('visits'), record.visits, { min: 0 });
    if (!isObject(record.data)) problems.push(`${at('data')} must be an object`);
    serialize(problems, at('input'), record.input ?? null);
    serialize(problems, at('data'), record.data);
    if (problems.length > 20) break;
  }
  if (problems.length > 0) throw new InvalidRecordError('search node', problems);
}

