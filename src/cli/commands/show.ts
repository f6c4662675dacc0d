import type { Command } from 'commander';
import { exportRun, resolveRunId } from '../../provenance/index.js';
import type { CliContext } from '../context.js';
import { formatDuration, formatTime, renderTable, shortHash, summarize } from '../format.js';

export function registerShowCommand(program: Command, cli: CliContext): void {
  program
    .command('show')
    .description('Show a run and its recorded steps')
    .argument('<run>', 'run id (or a unique prefix)')
    .option('--hashes', 'show input and output hashes')
    .action(async (ref: string, options: { hashes?: boolean }) => {
      const store = await cli.store();
      const runId = await resolveRunId(store, ref);
      const { run, steps } = await exportRun(store, runId);
      if (cli.options.json) return cli.json({ run, steps });
      const format = cli.format;
      cli.out(`${format.style('bold', 'Run')}         ${run.id}`);
      cli.out(`Status      ${run.status}`);
      if (run.task) cli.out(`Task        ${run.task}`);
      if (run.environment) cli.out(`Environment ${run.environment}`);
      cli.out(`Created     ${formatTime(run.createdAt)}${run.endedAt ? `, took ${formatDuration(run.endedAt - run.createdAt)}` : ''}`);
      if (run.parentRunId) cli.out(`Fork of     ${run.parentRunId} at step ${run.forkSeq} (steps 0-${(run.forkSeq ?? 1) - 1} are shared)`);
      const replayOf = run.metadata.replayOf;
      if (typeof replayOf === 'string') cli.out(`Replay of   ${replayOf}`);
      cli.out('');
      cli.out(
        renderTable(
          steps,
          [
            { header: 'SEQ', value: (step) => String(step.seq), align: 'right' },
            { header: 'ACTION', value: (step) => `${'  '.repeat(step.depth)}${step.action}` },
            { header: 'EFFECT', value: (step) => step.effect },
            { header: 'STATUS', value: (step) => step.status + (step.attempt > 1 ? ` (attempt ${step.attempt})` : '') + (step.runId !== run.id ? ' (shared)' : '') },
            { header: 'TIME', value: (step) => formatDuration(step.durationUs === null ? null : step.durationUs / 1000), align: 'right' },
            ...(options.hashes
              ? [
                  { header: 'INPUT', value: (step: (typeof steps)[number]) => shortHash(step.inputHash) },
                  { header: 'OUTPUT', value: (step: (typeof steps)[number]) => shortHash(step.outputHash) },
                ]
              : []),
            {
              header: 'RESULT',
              value: (step) => (step.error ? `${step.error.code}: ${step.error.message}` : summarize(step.output, 60)),
              max: 90,
            },
          ],
          format,
        ),
      );
    });
}
