import type { AnyAction } from '../actions/index.js';
import type { CandidateAction } from '../planning/index.js';
import type { ArgumentPathSegment } from './masks.js';
import { masksFor, type MaskTable } from './mask-guard.js';
import { showValue } from './masks.js';

export interface NarrowOptions {
  /** Listable masks with at most this many valid values become an `enum`. Default 32. */
  maxEnum?: number;
}

type Schema = Record<string, unknown>;

/**
 * The candidate as a model should see it in this state: each masked argument's JSON Schema narrowed to an
 * `enum` of its valid values when they are few, or annotated with what is valid otherwise. Returns
 * undefined when a required argument has no valid value at all (no call of the action could pass).
 */
export function narrowCandidate(candidate: CandidateAction, action: AnyAction, state: unknown, table: MaskTable = {}, options: NarrowOptions = {}): CandidateAction | undefined {
  const masked = masksFor(action, table);
  if (masked.length === 0) return candidate;
  const maxEnum = options.maxEnum ?? 32;
  const schema = structuredClone(candidate.inputSchema);
  for (const { segments, mask } of masked) {
    const located = locate(schema, segments);
    if (located === undefined) continue;
    const { node, required } = located;
    const values = mask.values?.(state);
    if (values !== undefined) {
      if (values.length === 0 && required) return undefined;
      if (values.length <= maxEnum) {
        for (const keyword of ['pattern', 'format', 'minLength', 'maxLength', 'const', 'minimum', 'maximum']) delete node[keyword];
        node.enum = [...values];
        continue;
      }
      const examples = values.slice(0, 5).map((value) => showValue(value)).join(', ');
      node.description = joinText(node.description, `Must be ${mask.description}: one of ${values.length} values, for example ${examples}.`);
      continue;
    }
    const extra = mask.schema?.(state) ?? {};
    for (const [keyword, value] of Object.entries(extra)) {
      if (keyword === 'description') node.description = joinText(node.description, String(value));
      else node[keyword] = value;
    }
    node.description = joinText(node.description, `Must be ${mask.description}.`);
  }
  return { ...candidate, inputSchema: schema };
}

/** The schema node at an argument path, and whether every step to it is required. */
function locate(schema: Schema, segments: readonly ArgumentPathSegment[]): { node: Schema; required: boolean } | undefined {
  let node: Schema = schema;
  let required = true;
  for (const segment of segments) {
    if ('each' in segment) {
      const items = node.items;
      if (items === null || typeof items !== 'object' || Array.isArray(items)) return undefined;
      // An array may be empty, so a mask with no valid values does not make the action impossible.
      required = required && typeof node.minItems === 'number' && node.minItems > 0;
      node = items as Schema;
      continue;
    }
    const properties = node.properties;
    if (properties === null || typeof properties !== 'object') return undefined;
    const child = (properties as Record<string, unknown>)[segment.key];
    if (child === null || typeof child !== 'object') return undefined;
    required = required && Array.isArray(node.required) && node.required.includes(segment.key);
    node = child as Schema;
  }
  return { node, required };
}

function joinText(existing: unknown, addition: string): string {
  return typeof existing === 'string' && existing !== '' ? `${existing} ${addition}` : addition;
}
