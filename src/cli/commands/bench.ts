import type { Command } from 'commander';
import { renderPlannersTable, runPlannersBenchmark, writePlannersReport, BENCH_DOMAINS } from '../../bench/planners.js';
import { STRATEGY_NAMES } from '../../planning/index.js';
import { UsageError } from '../../errors/index.js';
import type { CliContext } from '../context.js';
import { numberOption } from './plan.js';

interface BenchPlannersOptions {
  full?: boolean;
  tasks?: string;
  seeds?: string;
  accuracy?: string;
  noise?: string;
  strategies?: string;
  domains?: string;
  calls: string;
  warmup: string;
  out: string;
  queue?: string;
  queueName: string;
}

const list = (flag: string, raw: string | undefined, known: readonly string[]): string[] | undefined => {
  if (raw === undefined) return undefined;
  const names = raw.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new UsageError(`${flag}: unknown ${unknown.join(', ')}`, `Known: ${known.join(', ')}.`);
  return names;
};

export function registerBenchCommand(program: Command, cli: CliContext): void {
  const bench = program.command('bench').description('Benchmarks');
  bench
    .command('planners')
    .description('Run every planning strategy on the FSM suite with the SIMULATED policy: success (95% interval), model calls, tokens, expansions, time, planner overhead')
    .option('--full', 'the full grid: 20 tasks per domain, 3 seeds, p in {0.5, 0.7, 0.9} x sigma in {0.1, 0.2, 0.4}')
    .option('--tasks <n>', 'tasks per domain (default 4, full 20)')
    .option('--seeds <n>', 'policy seeds per task (default 2, full 3)')
    .option('--accuracy <list>', 'p values, comma-separated (default 0.7)')
    .option('--noise <list>', 'sigma values, comma-separated (default 0.2)')
    .option('--strategies <list>', `strategies, comma-separated (default all: ${STRATEGY_NAMES.join(', ')})`)
    .option('--domains <list>', `domains, comma-separated (default all: ${BENCH_DOMAINS.join(', ')})`)
    .option('--calls <n>', 'model-call budget of every search', '300')
    .option('--warmup <n>', 'unmeasured searches per strategy and domain first, on held-out tasks, so overhead is timed on compiled code (in-process runs)', '5')
    .option('--out <dir>', 'where to write planners.json and planners.svg', 'bench-results')
    .option('--queue <url>', 'run every search as a job for `arbor worker` processes on this Redis queue (the batch path) instead of in this process')
    .option('--queue-name <name>', 'BullMQ queue name (with --queue)', 'arbor-tasks')
    .action(async (options: BenchPlannersOptions) => {
      const numbers = (flag: string, raw: string | undefined, fallback: number[], min: number, max: number) => (raw === undefined ? fallback : raw.split(',').map((part) => numberOption(flag, part, min, max)));
      const accuracies = numbers('--accuracy', options.accuracy, options.full === true ? [0.5, 0.7, 0.9] : [0.7], 0, 1);
      const noises = numbers('--noise', options.noise, options.full === true ? [0.1, 0.2, 0.4] : [0.2], 0, 10);
      const strategies = list('--strategies', options.strategies, STRATEGY_NAMES);
      const domains = list('--domains', options.domains, BENCH_DOMAINS);
      const settings = {
        tasks: options.tasks === undefined ? (options.full === true ? 20 : 4) : numberOption('--tasks', options.tasks, 1, 1000),
        seeds: options.seeds === undefined ? (options.full === true ? 3 : 2) : numberOption('--seeds', options.seeds, 1, 1000),
        grid: accuracies.flatMap((accuracy) => noises.map((valueNoise) => ({ accuracy, valueNoise }))),
        budget: { modelCalls: numberOption('--calls', options.calls, 1, 1e9) },
        warmup: numberOption('--warmup', options.warmup, 0, 1000),
        ...(strategies === undefined ? {} : { strategies }),
        ...(domains === undefined ? {} : { domains }),
      };
      const queue = options.queue;
      const report =
        queue === undefined
          ? await cli.progress('Benchmarking planners (SIMULATED policy)', (progress) =>
              runPlannersBenchmark({ ...settings, onProgress: (done, total, label) => progress(`${done}/${total} ${label}`) }),
            )
          : await cli.progress(`Benchmarking planners on the worker pool (SIMULATED policy)`, async (progress) => {
              const [{ runPlannersBenchmarkOnQueue }, { checkQueueUrl }, { describeProgress }] = await Promise.all([
                import('../../bench/planners-queue.js'),
                import('../../scale/index.js'),
                import('./batch.js'),
              ]);
              return runPlannersBenchmarkOnQueue({ ...settings, queue: checkQueueUrl(queue), queueName: options.queueName, onProgress: (update) => progress(describeProgress(update)) });
            });
      const files = writePlannersReport(report, options.out);
      if (cli.options.json) {
        cli.json(report);
        return;
      }
      cli.out('SIMULATION: the policy is a seeded simulation, not a model. All domains:');
      cli.out(renderPlannersTable(report));
      if (report.settings.domains.includes('saas-admin')) {
        cli.out('\nOn the 1,000-action domain (saas-admin):');
        cli.out(renderPlannersTable(report, 'saas-admin'));
      }
      cli.out(`\nWrote ${files.json} and ${files.svg}.`);
    });
}
