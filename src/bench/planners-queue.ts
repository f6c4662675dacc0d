import { createBuiltinFsmEnvironment } from '../environments/index.js';
import { runBatch, type BatchProgress } from '../scale/batch.js';
import type { TaskSpec } from '../scale/task-spec.js';
import { BENCH_DOMAINS, plannersReport, plannerSeed, type PlannerSample, type PlannersBenchmarkOptions, type PlannersReport } from './planners.js';
import { STRATEGY_NAMES } from '../planning/index.js';

export interface QueuedPlannersOptions extends Omit<PlannersBenchmarkOptions, 'onProgress'> {
  /** Redis URL of the queue `arbor worker` processes take jobs from. */
  queue: string;
  queueName?: string;
  onProgress?: (progress: BatchProgress) => void;
}

/**
 * The planners benchmark through the queue: every (strategy, task, seed, grid cell) is one job for the
 * `arbor worker` pool (simulated policy, same seeds as in-process), and the results come back from the jobs.
 */
export async function runPlannersBenchmarkOnQueue(options: QueuedPlannersOptions): Promise<PlannersReport> {
  const strategies = [...(options.strategies ?? STRATEGY_NAMES)];
  const domains = [...(options.domains ?? BENCH_DOMAINS)];
  const tasks = options.tasks ?? 4;
  const seeds = options.seeds ?? 2;
  const grid = [...(options.grid ?? [{ accuracy: 0.7, valueNoise: 0.2 }])];
  const budget = options.budget ?? { modelCalls: 300 };
  const specs: TaskSpec[] = [];
  const labels: { strategy: string; domain: string; cell: { accuracy: number; valueNoise: number } }[] = [];
  for (const cell of grid) {
    for (const domain of domains) {
      const environment = createBuiltinFsmEnvironment(domain);
      for (let taskIndex = 0; taskIndex < tasks; taskIndex++) {
        const task = environment.tasks[taskIndex];
        if (task === undefined) continue;
        for (let seed = 1; seed <= seeds; seed++) {
          for (const strategy of strategies) {
            specs.push({
              id: `${strategy}/${domain}/${task.id}/p${cell.accuracy}/s${cell.valueNoise}/seed${seed}`,
              environment: `fsm/${domain}`,
              task: task.id,
              strategy,
              policy: 'simulated',
              policyOptions: { accuracy: cell.accuracy, valueNoise: cell.valueNoise, seed: plannerSeed(seed, taskIndex) },
              budget: { ...budget },
              approve: true,
            });
            labels.push({ strategy, domain, cell });
          }
        }
      }
    }
  }
  const report = await runBatch({ queue: options.queue, ...(options.queueName === undefined ? {} : { queueName: options.queueName }), tasks: specs, ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }) });
  const samples: PlannerSample[] = report.results.flatMap((result) => {
    const label = labels[result.index];
    const spent = result.spent;
    if (label === undefined) return [];
    return [{
      strategy: label.strategy,
      accuracy: label.cell.accuracy,
      valueNoise: label.cell.valueNoise,
      domain: label.domain,
      success: result.status === 'succeeded',
      modelCalls: result.modelCalls,
      tokens: result.tokens,
      expansions: spent?.expansions ?? 0,
      steps: spent?.steps ?? result.steps,
      wallMs: spent?.wallTimeMs ?? 0,
      policyMs: spent?.policyTimeMs ?? 0,
      executeMs: spent?.executeTimeMs ?? 0,
      recordMs: spent?.recordTimeMs ?? 0,
      cpuMs: spent?.cpuTimeMs ?? 0,
    }];
  });
  return plannersReport({ strategies, domains, tasks, seeds, grid, budget }, samples);
}
