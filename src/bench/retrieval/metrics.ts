/** The cut-offs ToolLens reports. */
export const CUTOFFS = [1, 3, 5, 10] as const;
export type Cutoff = (typeof CUTOFFS)[number];

export interface RankingMetrics {
  queries: number;
  recall: Record<Cutoff, number>;
  ndcg: Record<Cutoff, number>;
  comp: Record<Cutoff, number>;
}

/**
 * Accumulates Recall@k, NDCG@k (binary gains) and COMP@k exactly as the ToolLens README defines them:
 * Recall@k = |R ∩ L[:k]| / |R|; DCG = Σ_{i<k} rel(L[i]) / log2(i+2), IDCG = Σ_{i<min(k,|R|)} 1 / log2(i+2);
 * COMP@k = 1 if R ⊆ L[:k]. Averaged over queries.
 */
export class MetricsAccumulator {
  #queries = 0;
  readonly #sums = { recall: zeros(), ndcg: zeros(), comp: zeros() };

  add(relevant: ReadonlySet<string>, ranked: readonly string[]): void {
    if (relevant.size === 0) return;
    this.#queries++;
    for (const k of CUTOFFS) {
      let hits = 0;
      let dcg = 0;
      for (let i = 0; i < k && i < ranked.length; i++) {
        if (relevant.has(ranked[i]!)) {
          hits++;
          dcg += 1 / Math.log2(i + 2);
        }
      }
      let idcg = 0;
      for (let i = 0; i < Math.min(k, relevant.size); i++) idcg += 1 / Math.log2(i + 2);
      this.#sums.recall[k] += hits / relevant.size;
      this.#sums.ndcg[k] += dcg / idcg;
      this.#sums.comp[k] += hits === relevant.size ? 1 : 0;
    }
  }

  result(): RankingMetrics {
    const n = Math.max(1, this.#queries);
    const average = (sums: Record<Cutoff, number>) => Object.fromEntries(CUTOFFS.map((k) => [k, sums[k] / n])) as Record<Cutoff, number>;
    return { queries: this.#queries, recall: average(this.#sums.recall), ndcg: average(this.#sums.ndcg), comp: average(this.#sums.comp) };
  }
}

function zeros(): Record<Cutoff, number> {
  return { 1: 0, 3: 0, 5: 0, 10: 0 };
}
