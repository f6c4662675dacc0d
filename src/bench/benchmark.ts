/** One benchmark: a named measurement printed side by side with its baseline, measured in the same run. */
export interface Benchmark {
  name: string;
  description: string;
  /** `full` asks for the long version (bigger grids, more repetitions); `flags` holds `--name=value` options. */
  run(options: { full: boolean; log: (line: string) => void; flags?: Readonly<Record<string, string>> }): Promise<Record<string, unknown>>;
}

/** Median and percentiles of a sample of numbers. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}
