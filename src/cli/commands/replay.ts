import { Option, type Command } from 'commander';
import type { Environment } from '../../environments/index.js';
import { UsageError } from '../../errors/index.js';
import { denyIrreversible } from '../../execution/index.js';
import { isSearchRun, replaySearch } from '../../planning/index.js';
import { getRunOrThrow, resolveRunId, type RunRecord, type Store } from '../../provenance/index.js';
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
      // A search explores branches and backtracks, so its steps are not one sequence a plain replay can walk:
      // it is verified by searching again with the recorded policy answers.
      if (options.mode === 'verify' && isSearchRun(run)) {
        await verifySearch(cli, store, run, options);
        return;
      }
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

async function verifySearch(cli: CliContext, store: Store, run: RunRecord, options: { allowIrreversible?: boolean; record: boolean }): Promise<void> {
  const runId = run.id;
  if (!options.record) {
    throw new UsageError(`Run ${runId} is a recorded search; its replay is recorded to compare the trees`, 'Drop --no-record, or use --mode reuse to read its recorded outputs.');
  }
  const environmentName = run.environment;
  if (environmentName === null) {
    throw new UsageError(`Run ${runId} did not record its environment, so it cannot be re-executed`, 'Use --mode reuse to read its recorded outputs.');
  }
  const createEnvironment = () => cli.environments.create(environmentName);
  const environment = await createEnvironment();
  // The search ran under the config's guards (stages, masks, policy rules); the replay must too.
  const config = await cli.config();
  const guards = config === undefined ? undefined : (await import('../../guards/index.js')).guardsFromConfig(config.config, { store, approval: cli.approval() });
  const started = performance.now();
  let steps = 0;
  const report = await cli.progress(`Replaying search ${runId} (verify)`, (progress) =>
    replaySearch(store, runId, {
      environment,
      createEnvironment,
      approval: options.allowIrreversible === true ? cli.approval() : denyIrreversible,
      ...(guards === undefined ? {} : { guards: [...guards.guards], candidates: guards.candidates() }),
      onStep: () => progress(`step ${++steps}`),
    }),
  ).finally(() => environment.close?.());
  const durationMs = performance.now() - started;
  const strategy = String(run.metadata.strategy);
  if (cli.options.json) {
    const { result, ...rest } = report;
    cli.json({ kind: 'search', strategy, ...rest, outcome: result?.status ?? null, durationMs });
  } else {
    const unverified = report.stoppedAt === null ? '' : `; stopped at the commit ${report.stoppedAt.action}${report.stoppedAt.seq === null ? '' : ` (step ${report.stoppedAt.seq})`}, ${report.unverifiedSteps} later step(s) not re-executed (--allow-irreversible re-executes them)`;
    if (report.at === null) {
      cli.out(
        `Verified search ${runId} (${strategy}): the same choices, ${report.matchedSteps} of ${report.comparedSteps} steps reproduced, ` +
          `${report.policyCalls.replayed} policy call(s) answered from the recording${unverified}. (${formatDuration(durationMs)})`,
      );
    } else {
      const where = report.at.seq === undefined ? '' : ` at step ${report.at.seq}${report.at.action === undefined ? '' : ` (${report.at.action})`}`;
      cli.out(`Diverged${where}: ${report.at.message}.`);
      if (report.at.expected !== undefined) cli.out(`  expected output ${shortHash(report.at.expected.outputHash)} (${report.at.expected.status}), got ${shortHash(report.at.actual?.outputHash ?? null)} (${report.at.actual?.status ?? 'no step'})`);
      cli.out(`  ${report.matchedSteps} of ${report.comparedSteps} step(s) reproduced; ${report.policyCalls.replayed} of ${report.policyCalls.recorded} policy call(s) replayed${unverified}.`);
    }
    cli.out(`Recorded as run ${report.replayRunId}.`);
  }
  if (report.at !== null) process.exitCode = ExitCode.diverged;
}
