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

function randomCorpus(size: number, seed: number): { index: InvertedIndex; vocabulary: string[]; random: () => number } {
  const random = generator(seed);
  // A Zipf-like vocabulary: a few very common words and a long tail, as in tool descriptions.
  const vocabulary = Array.from({ length: 400 }, (_, i) => `w${i}`);
  const pick = () => vocabulary[Math.floor(vocabulary.length * random() ** 3)]!;
  const index = new InvertedIndex({ fields: [{ name: 'name', boost: 2 }, { name: 'body', boost: 1 }] });
  for (let doc = 0; doc < size; doc++) {
    index.add(`d${doc}`, [Array.from({ length: 1 + Math.floor(random() * 4) }, pick), Array.from({ length: 3 + Math.floor(random() * 30) }, pick)]);
  }
  return { index, vocabulary, random };
}

describe('InvertedIndex', () => {
  it('returns with MaxScore pruning the same top k as exhaustive scoring', () => {
    const { index, vocabulary, random } = randomCorpus(3_000, 7);
    for (let query = 0; query < 200; query++) {
      const terms = Array.from({ length: 1 + Math.floor(random() * 6) }, () => vocabulary[Math.floor(vocabulary.length * random() ** 2)]!);
      const k = 1 + Math.floor(random() * 20);
      const pruned = index.search(terms, k, { exhaustive: false });
      const exhaustive = index.search(terms, k, { exhaustive: true });
      expect(pruned.map((hit) => hit.score).every((score, i) => Math.abs(score - exhaustive[i]!.score) < 1e-9)).toBe(true);
      expect(new Set(pruned.map((hit) => hit.key))).toEqual(new Set(exhaustive.map((hit) => hit.key)));
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
