import { createWriteStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import type { BatchProgress, TaskBudget, TaskResult } from '../../scale/index.js';
import type { CliContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { formatDuration } from '../format.js';
import { positiveInteger } from './worker.js';

interface BatchCommandOptions {
  queue?: string;
  queueName: string;
  results?: string;
  attempts: number;
  environment?: string;
  strategy?: string;
  policy?: string;
  budgetSteps?: number;
  budgetModelCalls?: number;
  budgetTokens?: number;
  budgetWallTimeMs?: number;
}

export function describeProgress(progress: BatchProgress): string {
  return [
    `${progress.finished}/${progress.total} done`,
    `${progress.failed} failed`,
    `${progress.running} running`,
    `${progress.throughputPerMinute.toFixed(1)} tasks/min`,
    `${progress.modelCalls} model calls`,
    formatDuration(progress.elapsedMs),
  ].join(' · ');
}

export function registerBatchCommand(program: Command, cli: CliContext): void {
  program
    .command('batch')
    .description('Enqueue a batch of tasks (JSONL) for `arbor worker` processes, follow it live, and write one result per task')
    .argument('<tasks>', 'JSONL file: one {"environment", "task", "strategy"?, "policy"?, "budget"?, "approve"?} per line')
    .option('--queue <url>', 'Redis URL of the work queue (default ARBOR_QUEUE)')
    .option('--queue-name <name>', 'BullMQ queue name', 'arbor-tasks')
    .option('--results <file>', 'where to write the results JSONL (default: <tasks>.results.jsonl)')
    .option('--attempts <n>', 'attempts per task before it fails for good', positiveInteger, 3)
    .option('--environment <name>', 'environment of lines that name none')
    .option('--strategy <name>', 'strategy of lines that name none (default greedy)')
    .option('--policy <name>', 'policy of lines that name none (default: the worker\'s)')
    .option('--budget-steps <n>', 'step budget of lines that set none', positiveInteger)
    .option('--budget-model-calls <n>', 'model-call budget of lines that set none', positiveInteger)
    .option('--budget-tokens <n>', 'token budget of lines that set none', positiveInteger)
    .option('--budget-wall-time-ms <ms>', 'time budget of lines that set none', positiveInteger)
    .action(async (path: string, options: BatchCommandOptions) => {
      const { checkQueueUrl, readTasksFile, redactRedisUrl, runBatch } = await import('../../scale/index.js');
      const queue = checkQueueUrl(options.queue ?? cli.io.env.ARBOR_QUEUE);
      const budget: TaskBudget = {
        ...(options.budgetSteps === undefined ? {} : { steps: options.budgetSteps }),
        ...(options.budgetModelCalls === undefined ? {} : { modelCalls: options.budgetModelCalls }),
        ...(options.budgetTokens === undefined ? {} : { tokens: options.budgetTokens }),
        ...(options.budgetWallTimeMs === undefined ? {} : { wallTimeMs: options.budgetWallTimeMs }),
      };
      const tasks = await readTasksFile(path, {
        ...(options.environment === undefined ? {} : { environment: options.environment }),
        ...(options.strategy === undefined ? {} : { strategy: options.strategy }),
        ...(options.policy === undefined ? {} : { policy: options.policy }),
        ...(Object.keys(budget).length === 0 ? {} : { budget }),
        ...(cli.options.yes ? { approve: true } : {}),
      });
      const resultsPath = options.results ?? join(dirname(path), `${basename(path).replace(/\.jsonl?$/i, '')}.results.jsonl`);
      const out = createWriteStream(resultsPath, { flags: 'w' });
      const opened = new Promise<void>((resolve, reject) => {
        out.once('open', () => resolve());
        out.once('error', reject);
      });
      await opened;
      const write = (result: TaskResult) => out.write(`${JSON.stringify(result)}\n`);
      if (!cli.options.json) cli.err(`Enqueuing ${tasks.length} tasks on ${redactRedisUrl(queue)} (${options.queueName}); results go to ${resultsPath}.`);
      const controller = new AbortController();
      const interrupt = () => controller.abort();
      process.once('SIGINT', interrupt);
      let report;
      try {
        report = await cli.progress(`Batch of ${tasks.length} tasks`, (show) =>
          runBatch({
            queue,
            queueName: options.queueName,
            tasks,
            attempts: options.attempts,
            onResult: write,
            onProgress: (progress) => show(describeProgress(progress)),
            signal: controller.signal,
          }),
        );
      } finally {
        process.off('SIGINT', interrupt);
        await new Promise<void>((resolve) => out.end(resolve));
      }
      const { progress } = report;
      const crossCheck = cli.options.store !== undefined || cli.io.env.ARBOR_STORE !== undefined ? await checkRuns(cli, report.results) : undefined;
      if (cli.options.json) {
        cli.json({ batchId: report.batchId, resultsPath, interrupted: report.interrupted, progress, ...(crossCheck === undefined ? {} : { store: crossCheck }) });
      } else {
        cli.out(`Batch ${report.batchId}: ${progress.succeeded} of ${progress.total} succeeded, ${progress.failed} did not, in ${formatDuration(progress.elapsedMs)} (${progress.throughputPerMinute.toFixed(1)} tasks/min, ${progress.modelCalls} model calls).`);
        if (report.interrupted) cli.out(`Stopped following with ${progress.total - progress.finished} tasks unfinished: they stay queued for the workers.`);
        if (crossCheck !== undefined) {
          cli.out(crossCheck.mismatches.length === 0
            ? `Store ${crossCheck.location}: every finished task has its run, ended as reported.`
            : `Store ${crossCheck.location}: ${crossCheck.mismatches.length} task(s) do not match their run: ${crossCheck.mismatches.slice(0, 5).join('; ')}`);
        }
        cli.out(`Results: ${resultsPath}`);
      }
      process.exitCode = report.interrupted || progress.succeeded < progress.total || (crossCheck?.mismatches.length ?? 0) > 0 ? ExitCode.failure : ExitCode.ok;
    });
}

/** Reads each finished task's run back from the store the workers share, to confirm what they reported. */
async function checkRuns(cli: CliContext, results: readonly TaskResult[]): Promise<{ location: string; mismatches: string[] }> {
  const store = await cli.store();
  const mismatches: string[] = [];
  for (const result of results) {
    const run = await store.getRun(result.runId);
    if (run === undefined) {
      if (result.status !== 'error') mismatches.push(`task ${result.id}: run ${result.runId} is not in the store`);
      continue;
    }
    if (run.status === 'running') mismatches.push(`task ${result.id}: run ${result.runId} is still running`);
    else if (result.status === 'succeeded' && run.status !== 'succeeded') mismatches.push(`task ${result.id}: run ${result.runId} ended ${run.status}`);
  }
  return { location: store.location, mismatches };
}
