import { NondeterminismMismatchError } from '../errors/index.js';
import type { JsonValue } from '../internal/json.js';
import type { NondeterministicValue } from '../provenance/index.js';

export interface EntropySources {
  now: () => number;
  random: () => number;
}

export const systemEntropy: EntropySources = { now: Date.now, random: Math.random };

/**
 * Hands out nondeterministic values to one step: live ones (and records them) or, during a replay, the
 * recorded ones in order, refusing any request that does not match the recording.
 */
export class NondeterminismLog {
  readonly values: NondeterministicValue[] = [];
  readonly #sources: EntropySources;
  readonly #recorded: readonly NondeterministicValue[] | undefined;
  readonly #action: string;
  /** Depth of `record` callbacks running: values drawn inside one are part of its recorded result. */
  #insideRecord = 0;

  constructor(action: string, sources: EntropySources, recorded?: readonly NondeterministicValue[]) {
    this.#action = action;
    this.#sources = sources;
    this.#recorded = recorded;
  }

  now(): number {
    return this.#take('now', undefined, () => this.#sources.now()) as number;
  }

  random(): number {
    return this.#take('random', undefined, () => this.#sources.random()) as number;
  }

  async record<T extends JsonValue>(key: string, fn: () => T | Promise<T>): Promise<T> {
    if (this.#recorded !== undefined) return this.#take('record', key, () => null) as T;
    // Reserve the slot first so the order of entries is the order of requests, as a replay sees them.
    const entry: NondeterministicValue = { kind: 'record', key, value: null };
    if (this.#insideRecord === 0) this.values.push(entry);
    this.#insideRecord++;
    try {
      const value = await fn();
      entry.value = JSON.parse(JSON.stringify(value ?? null)) as JsonValue;
      return value;
    } finally {
      this.#insideRecord--;
    }
  }

  #take(kind: NondeterministicValue['kind'], key: string | undefined, live: () => JsonValue): JsonValue {
    if (this.#recorded === undefined) {
      const value = live();
      if (this.#insideRecord === 0) this.values.push(key === undefined ? { kind, value } : { kind, key, value });
      return value;
    }
    const index = this.values.length;
    const expected = this.#recorded[index];
    const requested = key === undefined ? kind : `${kind}("${key}")`;
    if (expected === undefined) throw new NondeterminismMismatchError(this.#action, 'no further value', requested);
    if (expected.kind !== kind || expected.key !== key) {
      throw new NondeterminismMismatchError(
        this.#action,
        expected.key === undefined ? expected.kind : `${expected.kind}("${expected.key}")`,
        requested,
      );
    }
    this.values.push(expected);
    return expected.value;
  }
}
