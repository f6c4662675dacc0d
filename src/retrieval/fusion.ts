/** A ranked list of names with the weight its ranks carry in fusion. */
export interface RankedList {
  weight: number;
  names: readonly string[];
}

/** The RRF constant of Cormack et al. (2009): it damps the head of each list so that no list dominates. */
export const DEFAULT_RRF_K = 60;

/**
 * Weighted reciprocal rank fusion: each name scores Σ weight / (k + rank) over the lists that contain it
 * (rank counted from 1). Ties keep the order of first appearance.
 */
export function reciprocalRankFusion(lists: readonly RankedList[], k = DEFAULT_RRF_K): { name: string; score: number }[] {
  const scores = new Map<string, number>();
  for (const { weight, names } of lists) {
    names.forEach((name, index) => scores.set(name, (scores.get(name) ?? 0) + weight / (k + index + 1)));
  }
  return [...scores].map(([name, score]) => ({ name, score })).sort((a, b) => b.score - a.score);
}
