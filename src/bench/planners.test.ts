import { describe, expect, it } from 'vitest';
import { runPlannersBenchmark } from './planners.js';

describe('the planners benchmark', () => {
  it('measures only the measured searches: the warm-up changes no result, only what is timed', async () => {
    const settings = { strategies: ['greedy', 'astar'], domains: ['maze'], tasks: 2, seeds: 2 };
    let progressed = 0;
    const warm = await runPlannersBenchmark({ ...settings, warmup: 3, onProgress: () => void progressed++ });
    const cold = await runPlannersBenchmark({ ...settings, warmup: 0 });
    expect(progressed).toBe(2 * 2 * 2);
    expect(warm.settings.warmup).toBe(3);
    const deterministic = (report: typeof warm) => report.rows.map((row) => [row.strategy, row.domain, row.runs, row.successes, row.meanModelCalls, row.meanTokens, row.meanExpansions]);
    expect(deterministic(warm)).toEqual(deterministic(cold));
    for (const row of warm.rows) expect(row.runs).toBe(2 * 2);
  });
});
