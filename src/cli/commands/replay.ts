import { Option, type Command } from 'commander';
import type { Environment } from '../../environments/index.js';
import { UsageError } from '../../errors/index.js';
import { getRunOrThrow, resolveRunId } from '../../provenance/index.js';
import { replay, type ReplayMode } from '../../replay/index.js';
import type { CliContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { formatDuration, shortHash } from '../format.js';

export function registerReplayCommand(program: Command, cli: CliContext): void {
  program
    .command('replay')
    .description('Replay a recorded run: verify re-executes and checks every step; reuse returns the recorded outputs')
    .argument('<run>', 'run id (or a unique prefix)')
    .addOption(new Option('--mode <mode>', 'verify or reuse').choices(['verify', 'reuse']).default('verify'))
    .option('--allow-irreversible', 're-execute irreversible steps too (asks for approval; --yes approves)')
    .option('--no-record', 'do not record the verify replay as a run of its own')
    .action(async (ref: string, options: { mode: ReplayMode; allowIrreversible?: boolean; record: boolean }) => {
      const store = await cli.store();
      const runId = await resolveRunId(store, ref);
      const run = await getRunOrThrow(store, runId);
      let environment: Environment | undefined;
      if (options.mode === 'verify') {
        if (run.environment === null) {
          throw new UsageError(`Run ${runId} did not record its environment, so it cannot be re-executed`, 'Use --mode reuse to read its recorded outputs.');
        }
        environment = await cli.environments.create(run.environment);
      }
      const report = await cli.progress(`Replaying ${runId} (${options.mode})`, (progress) =>
        replay(store, runId, {
          mode: options.mode,
          ...(environment ? { environment } : {}),
          allowIrreversible: options.allowIrreversible ?? false,
          approval: cli.approval(),
          record: options.record,
          onProgress: (done, total) => progress(`step ${done} of ${total}`),
        }),
      );
      await environment?.close?.();
      if (cli.options.json) {
        cli.json({ ...report, steps: options.mode === 'reuse' ? report.steps : undefined });
      } else if (options.mode === 'reuse') {
        cli.out(`Read ${report.reused} recorded steps of ${runId} in ${formatDuration(report.durationMs)}; no action was called.`);
      } else {
        const skipped = report.skipped.length > 0 ? `, ${report.skipped.length} irreversible step(s) not re-executed (${report.skipped.map((step) => `${step.seq} ${step.action}`).join(', ')})` : '';
        if (report.divergence === null) {
          cli.out(`Verified ${report.matched} of ${report.total} steps of ${runId}: no divergence${skipped}. (${formatDuration(report.durationMs)})`);
        } else {
          const d = report.divergence;
          cli.out(`Diverged at step ${d.seq} (${d.action}): ${d.reason}.`);
          cli.out(`  expected output ${shortHash(d.expectedHash)} (${d.expectedStatus}), got ${shortHash(d.actualHash)} (${d.actualStatus ?? 'no step'})`);
          cli.out(`  ${report.matched} step(s) matched before it${skipped}.`);
        }
        if (report.replayRunId) cli.out(`Recorded as run ${report.replayRunId}.`);
      }
      if (report.divergence !== null) process.exitCode = ExitCode.diverged;
    });
}
