import { createHash } from 'node:crypto';

/** Default length of the vectors the test server returns. */
export const DEFAULT_EMBEDDING_DIMENSIONS = 256;

/** Lower-cased runs of letters and digits: the "words" a hashed embedding counts. */
export function embeddingWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * A deterministic, dependency-free embedding: a hashed bag of words. Each word adds ±1 to one of
 * `dimensions` buckets (bucket and sign from its sha256), and the vector is L2-normalised, so texts that
 * share words have a positive cosine similarity and the same text always gives the same vector. It stands
 * in for a real embedding model in tests; it knows nothing about meaning beyond shared words.
 */
export function hashedEmbedding(text: string, dimensions = DEFAULT_EMBEDDING_DIMENSIONS): number[] {
  if (!Number.isInteger(dimensions) || dimensions < 1) throw new RangeError(`dimensions must be a positive integer, got ${dimensions}`);
  const vector = new Array<number>(dimensions).fill(0);
  for (const word of embeddingWords(text)) {
    const digest = createHash('sha256').update(word).digest();
    const bucket = digest.readUInt32BE(0) % dimensions;
    const sign = (digest[4] ?? 0) & 1 ? -1 : 1;
    vector[bucket] = (vector[bucket] ?? 0) + sign;
  }
  let squares = 0;
  for (const value of vector) squares += value * value;
  const norm = Math.sqrt(squares);
  return norm === 0 ? vector : vector.map((value) => value / norm);
}
