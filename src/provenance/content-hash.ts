import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { JsonValue } from '../internal/json.js';

export interface HashedJson {
  /** RFC 8785 canonical JSON text: the same value always gives the same bytes. */
  json: string;
  /** Lower-case hex sha256 of `json`. */
  hash: string;
}

/** Canonical JSON and its sha256. `undefined` is recorded as `null`. Throws on non-JSON values (BigInt, cycles). */
export function hashJson(value: unknown): HashedJson {
  const json = canonicalJson(value);
  return { json, hash: sha256(json) };
}

export function canonicalJson(value: unknown): string {
  const json = canonicalize(value === undefined ? null : value);
  if (json === undefined) throw new TypeError('value cannot be represented as JSON');
  // canonicalize writes sparse arrays and functions nested in values as text that is not JSON ("[,]",
  // "[undefined]"): such values are not JSON values, so refuse them like a BigInt or a cycle.
  try {
    JSON.parse(json);
  } catch {
    throw new TypeError('value cannot be represented as JSON (a sparse array or a function inside it)');
  }
  return json;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function parseJson(text: string): JsonValue {
  return JSON.parse(text) as JsonValue;
}
