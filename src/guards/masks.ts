import { realpathSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import type { ArgumentMask, MaskCheck } from '../actions/index.js';
import { InvalidDefinitionError } from '../errors/index.js';
import type { JsonValue } from '../internal/json.js';

export type { ArgumentMask, MaskCheck };

const OK: MaskCheck = { ok: true };

/** A value as text for messages and comparisons; never throws (BigInt, cycles and the like get a placeholder). */
export function showValue(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return `<${typeof value}>`;
  }
}

/**
 * Only values the state lists: ids that exist, statuses a record can take... `select` returns the valid
 * values in a state (undefined when it cannot tell, which lets every value through).
 */
export function oneOf(select: (state: unknown) => readonly JsonValue[] | undefined, options: { description?: string } = {}): ArgumentMask {
  const description = options.description ?? 'one of the values listed in the current state';
  return {
    kind: 'values',
    description,
    values: select,
    check(value, state) {
      const values = select(state);
      if (values === undefined) return OK;
      const key = showValue(value ?? null);
      if (values.some((candidate) => showValue(candidate) === key)) return OK;
      return { ok: false, reason: `${showValue(value)} is not ${description} (${values.length} valid value${values.length === 1 ? '' : 's'})` };
    },
  };
}

export interface PathUnderOptions {
  description?: string;
  /** Whether the root itself is a valid value. Default true. */
  allowRoot?: boolean;
  /** Resolve symbolic links of the existing part of the path, so a link cannot lead outside. Default true. */
  resolveSymlinks?: boolean;
}

/** Only paths inside a directory (after resolving `..` and, by default, symbolic links). */
export function pathUnder(root: string | ((state: unknown) => string), options: PathUnderOptions = {}): ArgumentMask {
  const rootOf = (state: unknown) => resolve(typeof root === 'string' ? root : root(state));
  const fixed = typeof root === 'string' ? rootOf(undefined) : undefined;
  const description = options.description ?? `a path under ${fixed ?? 'the working root'}`;
  const followLinks = options.resolveSymlinks ?? true;
  return {
    kind: 'path',
    description,
    check(value, state) {
      if (typeof value !== 'string') return { ok: false, reason: `must be a path string, got ${showValue(value)}` };
      if (value.includes('\0')) return { ok: false, reason: 'contains a NUL byte' };
      const base = rootOf(state);
      const target = resolve(base, value);
      const realBase = followLinks ? realExisting(base) : base;
      const realTarget = followLinks ? realExisting(target) : target;
      if (!isInside(realBase, realTarget) || !isInside(base, target)) return { ok: false, reason: `${showValue(value)} is outside ${base}` };
      if (options.allowRoot === false && realTarget === realBase) return { ok: false, reason: `${showValue(value)} is the root itself` };
      return OK;
    },
    schema(state) {
      const base = rootOf(state);
      return { description: `A path under ${base}` };
    },
  };
}

/** Only strings matching a regular expression (tested against the whole value). */
export function matches(pattern: RegExp, options: { description?: string } = {}): ArgumentMask {
  const whole = new RegExp(`^(?:${pattern.source})$`, pattern.flags.replace(/[gy]/g, ''));
  const description = options.description ?? `a string matching /${pattern.source}/`;
  return {
    kind: 'pattern',
    description,
    check: (value) => (typeof value === 'string' && whole.test(value) ? OK : { ok: false, reason: `${showValue(value)} is not ${description}` }),
    schema: () => ({ pattern: whole.source }),
  };
}

/** Any predicate over the value and the state, for what the other masks cannot say. */
export function satisfies(predicate: (value: JsonValue | undefined, state: unknown) => boolean | MaskCheck, description: string): ArgumentMask {
  if (typeof predicate !== 'function') throw new InvalidDefinitionError('satisfies() needs a predicate function');
  return {
    kind: 'predicate',
    description,
    check(value, state) {
      const result = predicate(value, state);
      if (result === true) return OK;
      if (result === false) return { ok: false, reason: `${showValue(value)} is not ${description}` };
      return result;
    },
  };
}

function isInside(root: string, target: string): boolean {
  if (target === root) return true;
  const prefix = root.endsWith(sep) ? root : root + sep;
  return target.startsWith(prefix);
}

/** The real path of the longest existing prefix of `path`, with the rest appended. */
function realExisting(path: string): string {
  let current = path;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = realpathSync(current);
      return rest.length === 0 ? real : resolve(real, ...rest.reverse());
    } catch {
      const parent = dirname(current);
      if (parent === current) return path;
      rest.push(current.slice(parent.length).replace(/^[\\/]/, ''));
      current = parent;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Argument paths: `orderId`, `shipping.address`, `lines[].sku` (`[]`: every element of an array).

export type ArgumentPathSegment = { key: string } | { each: true };

export function parseArgumentPath(path: string): ArgumentPathSegment[] {
  if (typeof path !== 'string' || path === '') throw new InvalidDefinitionError(`Invalid argument path ${showValue(path)}`, { hint: 'Use names joined by dots, with [] for array elements: "lines[].sku".' });
  const segments: ArgumentPathSegment[] = [];
  for (const part of path.split('.')) {
    const match = /^([^[\]]*)((?:\[\])*)$/.exec(part);
    if (match === null || (match[1] === '' && match[2] === '')) {
      throw new InvalidDefinitionError(`Invalid argument path ${showValue(path)}`, { hint: 'Use names joined by dots, with [] for array elements: "lines[].sku".', data: { path } });
    }
    if (match[1] !== '') segments.push({ key: match[1] as string });
    for (let count = (match[2] as string).length / 2; count > 0; count--) segments.push({ each: true });
  }
  return segments;
}

/** Every value at a path in an input, with its concrete location (`lines.1.sku`). Absent values are skipped. */
export function valuesAtPath(input: unknown, segments: readonly ArgumentPathSegment[]): { location: string; value: JsonValue }[] {
  const found: { location: string; value: JsonValue }[] = [];
  const walk = (value: unknown, index: number, location: string) => {
    if (value === undefined) return;
    if (index === segments.length) {
      found.push({ location, value: value as JsonValue });
      return;
    }
    const segment = segments[index] as ArgumentPathSegment;
    if ('each' in segment) {
      // A value that is not an array is checked as it is (and so rejected by the mask, not skipped).
      if (!Array.isArray(value)) return walk(value, segments.length, location);
      value.forEach((element, position) => walk(element, index + 1, location === '' ? String(position) : `${location}.${position}`));
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return walk(value, segments.length, location);
    if (!Object.hasOwn(value, segment.key)) return;
    walk((value as Record<string, unknown>)[segment.key], index + 1, location === '' ? segment.key : `${location}.${segment.key}`);
  };
  walk(input, 0, '');
  return found;
}
