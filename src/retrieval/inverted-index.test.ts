import { describe, expect, it } from 'vitest';
import { InvertedIndex } from './inverted-index.js';

/** A small deterministic generator, so the random corpora are the same on every run. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

type Fields = [string[], string[]];
const FIELDS = [
  { name: 'name', boost: 2, b: 0.75 },
  { name: 'body', boost: 1, b: 0.75 },
] as const;
const K1 = 1.2;

function randomFields(vocabulary: string[], random: () => number): Fields {
  // A Zipf-like vocabulary: a few very common words and a long tail, as in tool descriptions.
  const pick = () => vocabulary[Math.floor(vocabulary.length * random() ** 3)]!;
  return [Array.from({ length: 1 + Math.floor(random() * 4) }, pick), Array.from({ length: 3 + Math.floor(random() * 30) }, pick)];
}

function addDocument(index: InvertedIndex, documents: Map<string, Fields>, key: string, fields: Fields): void {
  index.add(key, fields);
  documents.delete(key);
  documents.set(key, fields);
}

function removeDocument(index: InvertedIndex, documents: Map<string, Fields>, key: string): void {
  index.remove(key);
  documents.delete(key);
}

function randomCorpus(size: number, seed: number): { index: InvertedIndex; vocabulary: string[]; random: () => number; documents: Map<string, Fields> } {
  const random = generator(seed);
  const vocabulary = Array.from({ length: 400 }, (_, i) => `w${i}`);
  const index = new InvertedIndex({ fields: FIELDS, k1: K1 });
  const documents = new Map<string, Fields>();
  for (let doc = 0; doc < size; doc++) addDocument(index, documents, `d${doc}`, randomFields(vocabulary, random));
  return { index, vocabulary, random, documents };
}

const counts = new WeakMap<Fields, Map<string, number>[]>();

/** Term frequencies per field of a document (memoised: the brute force is run hundreds of times). */
function termCounts(fields: Fields): Map<string, number>[] {
  let perField = counts.get(fields);
  if (perField === undefined) {
    perField = fields.map((tokens) => {
      const frequencies = new Map<string, number>();
      for (const token of tokens) frequencies.set(token, (frequencies.get(token) ?? 0) + 1);
      return frequencies;
    });
    counts.set(fields, perField);
  }
  return perField;
}

/**
 * BM25F computed document by document from the raw tokens, written independently of the index: per term,
 * the boosted, length-normalised frequencies of the fields are summed, saturated with k1 (the index stores
 * this impact as float32) and weighted by idf; contributions are summed on the 2^-32 grid the index uses.
 * Best first, ties by insertion order.
 */
function bruteForce(index: InvertedIndex, documents: Map<string, Fields>, terms: string[], k: number, filter?: (key: string) => boolean): { key: string; score: number }[] {
  const averages = index.normalisationLengths;
  const distinct = [...new Set(terms)];
  const counted = [...documents.values()].map(termCounts);
  const df = new Map(distinct.map((term) => [term, counted.filter((counts) => counts.some((field) => field.has(term))).length]));
  const scored: { key: string; score: number; order: number }[] = [];
  let order = 0;
  for (const [key, fields] of documents) {
    order++;
    let total = 0;
    let matched = false;
    for (const term of distinct) {
      let pseudo = 0;
      FIELDS.forEach((field, f) => {
        const frequency = termCounts(fields)[f]!.get(term) ?? 0;
        if (frequency > 0) pseudo += (field.boost * frequency) / (1 - field.b + (field.b * fields[f]!.length) / averages[f]!);
      });
      if (pseudo === 0) continue;
      matched = true;
      const impact = Math.fround((pseudo * (K1 + 1)) / (pseudo + K1));
      const frequencyOfDocs = df.get(term)!;
      const idf = Math.log(1 + (documents.size - frequencyOfDocs + 0.5) / (frequencyOfDocs + 0.5));
      total += Math.round(idf * 2 ** 32 * impact);
    }
    if (matched && (filter === undefined || filter(key))) scored.push({ key, score: total / 2 ** 32, order });
  }
  return scored
    .sort((a, b) => b.score - a.score || a.order - b.order)
    .slice(0, k)
    .map(({ key, score }) => ({ key, score }));
}

describe('InvertedIndex', () => {
  it('returns exactly the top k of a brute-force BM25F scorer, for random queries of any length, k and filter', () => {
    const { index, vocabulary, random, documents } = randomCorpus(3_000, 7);
    // Churn: removals, replacements and new documents, so tombstones and re-normalisation are exercised too.
    for (let doc = 0; doc < 3_000; doc += 7) removeDocument(index, documents, `d${doc}`);
    for (let doc = 0; doc < 300; doc++) addDocument(index, documents, doc % 2 === 0 ? `n${doc}` : `d${doc * 5 + 1}`, randomFields(vocabulary, random));
    for (let query = 0; query < 150; query++) {
      // Up to 40 terms: long queries take the same pruned path as short ones.
      const length = 1 + Math.floor(random() ** 2 * 40);
      const terms = Array.from({ length }, () => (random() < 0.05 ? `unknown${query}` : vocabulary[Math.floor(vocabulary.length * random() ** 2)]!));
      const k = 1 + Math.floor(random() * 25);
      const filter = query % 4 === 0 ? (key: string) => !key.endsWith('3') : undefined;
      const expected = bruteForce(index, documents, terms, k, filter);
      expect(index.search(terms, k, filter === undefined ? {} : { filter })).toEqual(expected);
      expect(index.search(terms, k, { exhaustive: true, ...(filter === undefined ? {} : { filter }) })).toEqual(expected);
    }
  });

  it('skips most documents of common terms once the top k is settled', () => {
    const { index } = randomCorpus(3_000, 5);
    const pruned = { candidates: 0 };
    const exhaustive = { candidates: 0 };
    // w0..w2 are the most common words, w150 a rare one.
    index.search(['w0', 'w1', 'w2', 'w150'], 5, { stats: pruned, exhaustive: false });
    index.search(['w0', 'w1', 'w2', 'w150'], 5, { stats: exhaustive, exhaustive: true });
    expect(exhaustive.candidates).toBeGreaterThan(1_000);
    expect(pruned.candidates).toBeLessThan(exhaustive.candidates / 2);
  });

  it('stays exact after removals and re-additions (tombstones, compaction, re-normalisation)', () => {
    const { index, vocabulary, random } = randomCorpus(1_000, 11);
    for (let doc = 0; doc < 1_000; doc += 3) index.remove(`d${doc}`);
    for (let doc = 0; doc < 200; doc++) index.add(`n${doc}`, [[vocabulary[doc % 50]!], [vocabulary[(doc * 7) % 400]!, 'w1']]);
    expect(index.size).toBe(1_000 - 334 + 200);
    for (let query = 0; query < 100; query++) {
      const terms = [vocabulary[Math.floor(400 * random() ** 2)]!, vocabulary[Math.floor(400 * random())]!];
      const pruned = index.search(terms, 10);
      const exhaustive = index.search(terms, 10, { exhaustive: true });
      expect(pruned.map((hit) => hit.key)).toEqual(exhaustive.map((hit) => hit.key));
      expect(pruned.some((hit) => /^d\d+$/.test(hit.key) && Number(hit.key.slice(1)) % 3 === 0)).toBe(false);
    }
  });

  it('ranks a document whose boosted field holds the term above one that only mentions it in the body', () => {
    const index = new InvertedIndex({ fields: [{ name: 'name', boost: 3 }, { name: 'body', boost: 1 }] });
    index.add('mentions', [['other'], ['invoice', 'and', 'more', 'words', 'here']]);
    index.add('named', [['invoice'], ['create', 'a', 'bill', 'for', 'customer']]);
    expect(index.search(['invoice'], 2).map((hit) => hit.key)).toEqual(['named', 'mentions']);
    expect(index.explain('named', ['invoice'])).toEqual([{ field: 'name', score: expect.any(Number) as number, terms: ['invoice'] }]);
  });

  it('returns nothing for unknown terms, no terms or k = 0', () => {
    const index = new InvertedIndex({ fields: [{ name: 'body', boost: 1 }] });
    index.add('a', [['alpha']]);
    expect(index.search(['zeta'], 5)).toEqual([]);
    expect(index.search([], 5)).toEqual([]);
    expect(index.search(['alpha'], 0)).toEqual([]);
  });

  it('breaks ties by insertion order, so equal documents rank the same on every run', () => {
    const index = new InvertedIndex({ fields: [{ name: 'body', boost: 1 }] });
    for (const key of ['c', 'a', 'b']) index.add(key, [['same', 'words']]);
    expect(index.search(['same'], 3).map((hit) => hit.key)).toEqual(['c', 'a', 'b']);
    expect(index.search(['same'], 3, { exhaustive: true }).map((hit) => hit.key)).toEqual(['c', 'a', 'b']);
  });
});
