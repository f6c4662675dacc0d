import { createHash } from 'node:crypto';
import { embedMany, type EmbeddingModel } from 'ai';
import type { Store } from '../provenance/index.js';

/** The store cache namespace holding embedding vectors, keyed by model id and content hash. */
export const EMBEDDING_CACHE_NAMESPACE = 'arbor.retrieval.embedding';

export interface DenseIndexOptions {
  model: Exclude<EmbeddingModel, string>;
  /** Where vectors are cached across processes; without it they are cached in memory only. */
  store?: Store;
  /** Retries per embedding call (AI SDK). Default 2. */
  maxRetries?: number;
}

/** An identifier of an embedding model stable across processes: provider and model id. */
export function embeddingModelId(model: Exclude<EmbeddingModel, string>): string {
  return `${model.provider}:${model.modelId}`;
}

/**
 * Exact nearest neighbours by cosine similarity over L2-normalised Float32Array vectors. Vectors are
 * computed through the AI SDK's `embedMany` only for texts whose (model, content hash) pair has never been
 * embedded: the store's cache holds them, so re-indexing unchanged actions costs no embedding call.
 */
export class DenseIndex {
  readonly modelId: string;
  readonly #model: Exclude<EmbeddingModel, string>;
  readonly #store: Store | undefined;
  readonly #maxRetries: number;
  readonly #memory = new Map<string, Float32Array>();
  /** name → text it should be embedded from. */
  readonly #texts = new Map<string, string>();
  /** name → vector of its current text. */
  readonly #vectors = new Map<string, Float32Array>();
  /** Embedding calls made (each may carry many texts). */
  calls = 0;
  /** Texts sent to the model. */
  embedded = 0;

  constructor(options: DenseIndexOptions) {
    this.#model = options.model;
    this.modelId = embeddingModelId(options.model);
    this.#store = options.store;
    this.#maxRetries = options.maxRetries ?? 2;
  }

  get size(): number {
    return this.#texts.size;
  }

  /** Items whose vector is not known yet. */
  get pending(): number {
    let count = 0;
    for (const name of this.#texts.keys()) if (!this.#vectors.has(name)) count++;
    return count;
  }

  set(name: string, text: string): void {
    if (this.#texts.get(name) === text) return;
    this.#texts.set(name, text);
    this.#vectors.delete(name);
  }

  delete(name: string): void {
    this.#texts.delete(name);
    this.#vectors.delete(name);
  }

  /** Computes (or loads from the cache) the vectors of every item that lacks one. */
  async sync(signal?: AbortSignal): Promise<void> {
    let missing = [...this.#texts].filter(([name]) => !this.#vectors.has(name));
    if (missing.length === 0) return;
    // Cached vectors are taken first, so a failing model call only leaves the uncached ones pending.
    const cached = await Promise.all(missing.map(([, text]) => this.#cached(this.#key(text))));
    missing.forEach(([name], index) => {
      const vector = cached[index];
      if (vector !== undefined) this.#vectors.set(name, vector);
    });
    missing = missing.filter((_, index) => cached[index] === undefined);
    if (missing.length === 0) return;
    const vectors = await this.embed(missing.map(([, text]) => text), signal);
    missing.forEach(([name, text], index) => {
      if (this.#texts.get(name) === text) this.#vectors.set(name, vectors[index]!);
    });
  }

  /** Embeds texts, taking what it can from the cache and sending only the rest to the model. */
  async embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const keys = texts.map((text) => this.#key(text));
    const result: (Float32Array | undefined)[] = await Promise.all(keys.map((key) => this.#cached(key)));
    const todo = [...new Set(texts.filter((_, index) => result[index] === undefined))];
    if (todo.length > 0) {
      this.calls++;
      this.embedded += todo.length;
      const { embeddings } = await embedMany({ model: this.#model, values: todo, maxRetries: this.#maxRetries, ...(signal ? { abortSignal: signal } : {}) });
      const byText = new Map<string, Float32Array>();
      await Promise.all(
        todo.map(async (text, index) => {
          const vector = normalise(Float32Array.from(embeddings[index] ?? []));
          byText.set(text, vector);
          const key = this.#key(text);
          this.#memory.set(key, vector);
          await this.#store?.putCached(EMBEDDING_CACHE_NAMESPACE, key, JSON.stringify({ dimensions: vector.length, vector: encode(vector) }));
        }),
      );
      texts.forEach((text, index) => {
        result[index] ??= byText.get(text);
      });
    }
    return result.map((vector) => vector ?? new Float32Array(0));
  }

  /** The k items most similar to the vector, best first. */
  nearest(query: Float32Array, k: number, filter?: (name: string) => boolean): { name: string; score: number }[] {
    if (k <= 0 || query.length === 0) return [];
    const best: { name: string; score: number }[] = [];
    for (const [name, vector] of this.#vectors) {
      if (vector.length !== query.length) continue;
      if (filter !== undefined && !filter(name)) continue;
      let dot = 0;
      for (let i = 0; i < vector.length; i++) dot += vector[i]! * query[i]!;
      if (best.length < k) {
        best.push({ name, score: dot });
        if (best.length === k) best.sort((a, b) => b.score - a.score);
      } else if (dot > best[k - 1]!.score) {
        let position = k - 1;
        while (position > 0 && best[position - 1]!.score < dot) position--;
        best.splice(position, 0, { name, score: dot });
        best.pop();
      }
    }
    return best.sort((a, b) => b.score - a.score);
  }

  similarity(name: string, query: Float32Array): number | undefined {
    const vector = this.#vectors.get(name);
    if (vector === undefined || vector.length !== query.length) return undefined;
    let dot = 0;
    for (let i = 0; i < vector.length; i++) dot += vector[i]! * query[i]!;
    return dot;
  }

  #key(text: string): string {
    return `${this.modelId}:${createHash('sha256').update(text).digest('hex')}`;
  }

  async #cached(key: string): Promise<Float32Array | undefined> {
    const inMemory = this.#memory.get(key);
    if (inMemory !== undefined) return inMemory;
    const json = await this.#store?.getCached(EMBEDDING_CACHE_NAMESPACE, key);
    if (json === undefined) return undefined;
    try {
      const parsed = JSON.parse(json) as { dimensions?: unknown; vector?: unknown };
      if (typeof parsed.vector !== 'string') return undefined;
      const vector = decode(parsed.vector);
      if (vector.length !== parsed.dimensions) return undefined;
      this.#memory.set(key, vector);
      return vector;
    } catch {
      // A damaged cache entry is recomputed, not trusted.
      return undefined;
    }
  }
}

function normalise(vector: Float32Array): Float32Array {
  let squares = 0;
  for (const value of vector) squares += value * value;
  const norm = Math.sqrt(squares);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i]! /= norm;
  return vector;
}

function encode(vector: Float32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
}

function decode(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Float32Array(copy.buffer, 0, Math.floor(copy.length / 4));
}
