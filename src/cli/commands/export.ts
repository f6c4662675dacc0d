import { createWriteStream } from 'node:fs';
import { Option, type Command } from 'commander';
import { exportRun, resolveRunId } from '../../provenance/index.js';
import type { CliContext } from '../context.js';

export function registerExportCommand(program: Command, cli: CliContext): void {
  program
    .command('export')
    .description('Export a run with all its steps (inputs and outputs inlined) for audit or archiving')
    .argument('<run>', 'run id (or a unique prefix)')
    .addOption(new Option('--format <format>', 'json: one document; jsonl: the run, then one step per line').choices(['json', 'jsonl']).default('json'))
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (ref: string, options: { format: 'json' | 'jsonl'; output?: string }) => {
      const store = await cli.store();
      const document = await exportRun(store, await resolveRunId(store, ref));
      const text =
        options.format === 'json'
          ? `${JSON.stringify(document, null, 2)}\n`
          : [JSON.stringify({ format: document.format, version: document.version, run: document.run }), ...document.steps.map((step) => JSON.stringify(step))].join('\n') + '\n';
      if (options.output === undefined) {
        cli.io.stdout.write(text);
        return;
      }
      await new Promise<void>((resolve, reject) => {
        const stream = createWriteStream(options.output as string);
        stream.on('error', reject);
        stream.end(text, resolve);
      });
      cli.err(`Wrote ${document.steps.length} steps of run ${document.run.id} to ${options.output}`);
    });
}
