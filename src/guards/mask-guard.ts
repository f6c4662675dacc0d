import type { AnyAction, ArgumentMask } from '../actions/index.js';
import { ArgumentMaskedError } from '../errors/index.js';
import type { Guard, GuardVerdict } from '../execution/index.js';
import type { JsonValue } from '../internal/json.js';
import { parseArgumentPath, valuesAtPath, type ArgumentPathSegment } from './masks.js';
import { matchesPattern } from './patterns.js';

/** Masks for actions that do not declare their own (MCP tools, OpenAPI operations), keyed by action name pattern. */
export type MaskTable = Readonly<Record<string, Readonly<Record<string, ArgumentMask>>>>;

export interface MaskedArgument {
  path: string;
  segments: ArgumentPathSegment[];
  mask: ArgumentMask;
}

/** The masks that apply to an action: its own, then those of the table whose pattern matches its name. */
export function masksFor(action: AnyAction, table: MaskTable = {}): MaskedArgument[] {
  const found: MaskedArgument[] = [];
  const add = (masks: Readonly<Record<string, ArgumentMask>>) => {
    for (const [path, mask] of Object.entries(masks)) found.push({ path, segments: segmentsOf(path), mask });
  };
  add(action.masks ?? {});
  for (const [pattern, masks] of Object.entries(table)) if (matchesPattern(pattern, action.name)) add(masks);
  return found;
}

const segmentCache = new Map<string, ArgumentPathSegment[]>();
function segmentsOf(path: string): ArgumentPathSegment[] {
  let segments = segmentCache.get(path);
  if (segments === undefined) {
    segments = parseArgumentPath(path);
    segmentCache.set(path, segments);
  }
  return segments;
}

/** The first masked argument value that its mask rejects in this state, if any. */
export function checkMasks(action: AnyAction, input: unknown, state: unknown, table: MaskTable = {}): ArgumentMaskedError | undefined {
  for (const { path, segments, mask } of masksFor(action, table)) {
    for (const { location, value } of valuesAtPath(input, segments)) {
      const verdict = mask.check(value, state);
      if (verdict.ok) continue;
      const listed = mask.values?.(state);
      return new ArgumentMaskedError(action.name, location || path, {
        value,
        reason: verdict.reason,
        mask: mask.kind,
        expected: mask.description,
        ...(listed === undefined ? {} : { allowed: listed.slice(0, 20) as JsonValue[] }),
      });
    }
  }
  return undefined;
}

/** Enforces argument masks at execution: a call with a masked-out value is blocked and recorded. */
export function maskGuard(table: MaskTable = {}, name = 'masks'): Guard {
  return {
    name,
    before(call): GuardVerdict {
      const masked = masksFor(call.action, table);
      if (masked.length === 0) return { allow: true };
      const error = checkMasks(call.action, call.input, call.state, table);
      if (error !== undefined) {
        return { allow: false, code: error.code, reason: String(error.data.reason), error, data: { argument: error.argument, value: error.data.value as JsonValue, mask: String(error.data.mask) } };
      }
      return { allow: true, note: { checked: masked.map((entry) => entry.path) } };
    },
  };
}
