import type { Command } from 'commander';
import { Executor, type StepResult } from '../../execution/index.js';
import { fulfilOrderScript } from '../../environments/index.js';
import type { CliContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { formatDuration, summarize } from '../format.js';

export function registerDemoCommand(program: Command, cli: CliContext): void {
  program
    .command('demo')
    .description('Run the demo task (fulfil an order in a small simulated shop) end to end, recorded in the store')
    .action(async () => {
      const environment = await cli.environments.create('demo/orders');
      const task = environment.tasks?.[0];
      if (task === undefined) throw new Error('the demo environment has no task');
      const store = await cli.store();
      const format = cli.format;
      const results: StepResult[] = [];
      const executor = new Executor({
        store,
        actions: environment.actions,
        observe: () => environment.observe(),
        approval: cli.approval(),
        onEvent: (event) => {
          if (event.type !== 'step-end') return;
          results.push(event.result);
          if (cli.options.json) return;
          const { step } = event.result;
          const status = step.status === 'ok' ? format.style('green', 'ok') : format.style(step.status === 'blocked' ? 'yellow' : 'red', step.status);
          const detail = event.result.ok ? summarize(event.result.output, 70) : `${event.result.error?.code}: ${event.result.error?.message}`;
          cli.err(`  ${String(step.seq).padStart(2)}  ${step.action.padEnd(15)} ${status.padEnd(format.color ? 11 : 7)} ${formatDuration((step.durationUs ?? 0) / 1000).padStart(7)}  ${detail}`);
        },
      });
      if (!cli.options.json) {
        cli.err(`${format.style('bold', 'Task:')} ${task.instruction}`);
        cli.err(`${format.style('dim', `Environment demo/orders, store ${store.location}`)}`);
      }
      const run = await executor.startRun({ task: task.instruction, environment: environment.name, metadata: { taskId: task.id, driver: 'script' } });
      const outcome = await fulfilOrderScript(run);
      const done = task.isDone(environment.observe());
      const record = await run.end(outcome === 'succeeded' && !done ? 'failed' : outcome);
      if (cli.options.json) {
        cli.json({ runId: record.id, status: record.status, taskDone: done, steps: results.map((result) => result.step) });
      } else {
        cli.out(`Run ${record.id} ${record.status === 'succeeded' ? format.style('green', 'succeeded') : format.style(record.status === 'blocked' ? 'yellow' : 'red', record.status)}: ${results.length} steps recorded.`);
        if (record.status === 'blocked') {
          cli.out('It stopped at an irreversible action that was not approved. Run "arbor demo --yes" to pre-approve, or answer the prompt on a terminal.');
        }
        cli.out('Next:');
        cli.out(`  arbor show ${record.id}                  the recorded steps`);
        cli.out(`  arbor replay ${record.id} --mode verify  re-execute and check every step`);
        cli.out(`  arbor fork ${record.id} --at 4 --then stop  branch off at a step`);
      }
      process.exitCode = record.status === 'succeeded' ? ExitCode.ok : record.status === 'blocked' ? ExitCode.blocked : ExitCode.failure;
    });
}
