import { Option, type Command } from 'commander';
import { UsageError } from '../../errors/index.js';
import type { RunStatus } from '../../provenance/index.js';
import type { CliContext } from '../context.js';
import { formatDuration, formatTime, renderTable } from '../format.js';

const STATUSES: RunStatus[] = ['running', 'succeeded', 'failed', 'blocked', 'cancelled'];

export function registerRunsCommand(program: Command, cli: CliContext): void {
  program
    .command('runs')
    .description('List recorded runs, newest first')
    .addOption(new Option('--status <status>', 'only runs in this status').choices(STATUSES))
    .option('--search <text>', 'only runs whose id, task or environment contains the text')
    .option('--since <date>', 'only runs created at or after this date (ISO 8601)')
    .option('--limit <n>', 'at most this many runs', '20')
    .action(async (options: { status?: RunStatus; search?: string; since?: string; limit: string }) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive integer, not "${options.limit}"`);
      const since = options.since === undefined ? undefined : Date.parse(options.since);
      if (since !== undefined && Number.isNaN(since)) throw new UsageError(`--since must be a date such as 2026-11-28, not "${options.since}"`);
      const store = await cli.store();
      const runs = await store.listRuns({
        ...(options.status ? { status: options.status } : {}),
        ...(options.search ? { text: options.search } : {}),
        ...(since === undefined ? {} : { since }),
        limit,
      });
      if (cli.options.json) return cli.json(runs);
      if (runs.length === 0) return cli.out('No runs recorded yet. Try "arbor demo".');
      cli.out(
        renderTable(
          runs,
          [
            { header: 'RUN', value: (run) => run.id },
            { header: 'STATUS', value: (run) => run.status },
            { header: 'STEPS', value: (run) => String(run.stepCount), align: 'right' },
            { header: 'DURATION', value: (run) => formatDuration(run.endedAt === null ? null : run.endedAt - run.createdAt), align: 'right' },
            { header: 'CREATED', value: (run) => formatTime(run.createdAt) },
            { header: 'ENVIRONMENT', value: (run) => run.environment ?? '-' },
            { header: 'TASK', value: (run) => (run.parentRunId ? `(fork of ${run.parentRunId}) ` : '') + (run.task ?? ''), max: 60 },
          ],
          cli.format,
        ),
      );
    });
}
