import type { Command } from 'commander';
import { diffRuns, resolveRunId } from '../../provenance/index.js';
import type { CliContext } from '../context.js';
import { renderTable, summarize } from '../format.js';

export function registerDiffCommand(program: Command, cli: CliContext): void {
  program
    .command('diff')
    .description('Compare two runs step by step (action, input, output, status)')
    .argument('<left>', 'run id (or prefix)')
    .argument('<right>', 'run id (or prefix)')
    .action(async (leftRef: string, rightRef: string) => {
      const store = await cli.store();
      const diff = await diffRuns(store, await resolveRunId(store, leftRef), await resolveRunId(store, rightRef));
      if (cli.options.json) return cli.json(diff);
      cli.out(`${diff.left.id} vs ${diff.right.id}: ${diff.firstDivergence === null ? 'identical step for step' : `first difference at step ${diff.firstDivergence}`}`);
      cli.out(
        renderTable(
          diff.entries,
          [
            { header: 'SEQ', value: (entry) => String(entry.seq), align: 'right' },
            { header: 'STATE', value: (entry) => (entry.shared ? 'shared' : entry.kind === 'changed' ? `changed (${entry.changes.join(', ')})` : entry.kind) },
            { header: 'LEFT', value: (entry) => (entry.left ? `${entry.left.action} ${summarize(entry.left.output ?? entry.left.error?.code, 30)}` : ''), max: 50 },
            { header: 'RIGHT', value: (entry) => (entry.right ? `${entry.right.action} ${summarize(entry.right.output ?? entry.right.error?.code, 30)}` : ''), max: 50 },
          ],
          cli.format,
        ),
      );
    });
}
