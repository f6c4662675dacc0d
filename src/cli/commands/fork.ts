import { Option, type Command } from 'commander';
import { UsageError } from '../../errors/index.js';
import { diffRuns, getRunOrThrow, resolveRunId } from '../../provenance/index.js';
import { fork } from '../../replay/index.js';
import type { CliContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { summarize } from '../format.js';

export function registerForkCommand(program: Command, cli: CliContext): void {
  program
    .command('fork')
    .description('Start a new run from a step of a recorded run, with a changed action or input')
    .argument('<run>', 'run id (or a unique prefix)')
    .requiredOption('--at <step>', 'the step to replace: its seq number or full step id')
    .option('--input <json>', 'call the step with this input (JSON)')
    .option('--action <name>', 'call this action instead of the recorded one')
    .addOption(new Option('--then <what>', 'after the changed step: continue with the original later calls, or stop').choices(['continue', 'stop']).default('continue'))
    .action(async (ref: string, options: { at: string; input?: string; action?: string; then: 'continue' | 'stop' }) => {
      let input: unknown;
      if (options.input !== undefined) {
        try {
          input = JSON.parse(options.input);
        } catch (error) {
          throw new UsageError(`--input is not valid JSON: ${(error as Error).message}`, `Quote it for the shell, for example --input '{"orderId":"ord-1002"}'.`);
        }
      }
      const store = await cli.store();
      const runId = await resolveRunId(store, ref);
      const original = await getRunOrThrow(store, runId);
      if (original.environment === null) throw new UsageError(`Run ${runId} did not record its environment, so it cannot be forked`);
      const environment = await cli.environments.create(original.environment);
      const result = await fork(store, runId, {
        at: options.at,
        change: { ...(options.action ? { action: options.action } : {}), ...(input !== undefined ? { input } : {}) },
        environment,
        approval: cli.approval(),
        then: options.then,
      });
      await environment.close?.();
      const diff = await diffRuns(store, runId, result.run.id);
      if (cli.options.json) {
        cli.json({ run: result.run, restored: result.restored, skippedIrreversible: result.skippedIrreversible, firstDivergence: diff.firstDivergence, steps: result.results.map((r) => r.step) });
      } else {
        cli.out(`Forked ${runId} at step ${result.run.forkSeq} into run ${result.run.id} (${result.run.status}).`);
        cli.out(`  shares steps 0-${(result.run.forkSeq ?? 1) - 1}; rebuilt the state by re-executing ${result.restored} of them without recording.`);
        if (result.skippedIrreversible.length > 0) {
          cli.out(`  not re-executed (irreversible): ${result.skippedIrreversible.map((step) => `${step.seq} ${step.action}`).join(', ')}; their effects are absent from the fork's state.`);
        }
        for (const step of result.results) {
          cli.out(`  ${String(step.step.seq).padStart(3)} ${step.step.action} ${step.status} ${step.ok ? summarize(step.output, 60) : `${step.error?.code}: ${step.error?.message}`}`);
        }
        cli.out(`Compare: arbor diff ${runId} ${result.run.id}`);
      }
      process.exitCode = result.run.status === 'succeeded' ? ExitCode.ok : result.run.status === 'blocked' ? ExitCode.blocked : ExitCode.failure;
    });
}
