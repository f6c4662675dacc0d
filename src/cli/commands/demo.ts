import type { Command } from 'commander';
import type { StepResult } from '../../execution/index.js';
import { createPlanner, plan, type PlanResult } from '../../planning/index.js';
import { createSimulatedPolicy } from '../../policies/simulated/index.js';
import type { CliContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { formatDuration, summarize } from '../format.js';
import { numberOption } from './plan.js';

export function registerDemoCommand(program: Command, cli: CliContext): void {
  program
    .command('demo')
    .description('Run the demo task (fulfil an order in a small simulated shop) with a planner, recorded in the store')
    .option('--strategy <name>', 'planning strategy', 'best-first')
    .option('--accuracy <p>', 'SIMULATED policy: chance its proposal is right (1 = always)', '1')
    .option('--noise <sigma>', 'SIMULATED policy: noise on its values', '0')
    .option('--branching <k>', 'proposals per expansion', '1')
    .option('--seed <n>', 'seed of the simulated policy', '1')
    .addHelpText(
      'after',
      '\nThe policy is a SIMULATION (no model is called): it knows the right next step and is right with the given\n' +
        'probability. With the defaults the search makes no mistakes and the run is a straight line of 9 steps;\n' +
        'lower --accuracy and raise --branching to watch it search (the run then branches, like the search tree).',
    )
    .action(async (options: { strategy: string; accuracy: string; noise: string; branching: string; seed: string }) => {
      const createEnvironment = () => cli.environments.create('demo/orders');
      const environment = await createEnvironment();
      const task = environment.tasks?.[0];
      if (task === undefined) throw new Error('the demo environment has no task');
      const store = await cli.store();
      const format = cli.format;
      const policy = createSimulatedPolicy({
        tasks: environment.tasks ?? [],
        accuracy: numberOption('--accuracy', options.accuracy, 0, 1),
        valueNoise: numberOption('--noise', options.noise, 0, 10),
        seed: numberOption('--seed', options.seed, 0, Number.MAX_SAFE_INTEGER),
      });
      const branching = numberOption('--branching', options.branching, 1, 50);
      const planner = createPlanner(options.strategy, { branching });
      const results: StepResult[] = [];
      if (!cli.options.json) {
        cli.err(`${format.style('bold', 'Task:')} ${task.instruction}`);
        cli.err(format.style('dim', `Environment demo/orders, planner ${planner.name}, policy ${policy.name} (a SIMULATION), store ${store.location}`));
      }
      const result: PlanResult = await plan({
        environment,
        createEnvironment,
        task,
        planner,
        policy,
        store,
        approval: cli.approval(),
        metadata: { driver: 'demo' },
        onStep: (step) => {
          results.push(step);
          if (cli.options.json) return;
          const { step: record } = step;
          const status = record.status === 'ok' ? format.style('green', 'ok') : format.style(record.status === 'blocked' ? 'yellow' : 'red', record.status);
          const detail = step.ok ? summarize(step.output, 70) : `${step.error?.code}: ${step.error?.message}`;
          cli.err(`  ${String(record.seq).padStart(2)}  ${record.action.padEnd(15)} ${status.padEnd(format.color ? 11 : 7)} ${formatDuration((record.durationUs ?? 0) / 1000).padStart(7)}  ${detail}`);
        },
      });
      const status = result.status === 'succeeded' ? 'succeeded' : result.status === 'awaiting-approval' ? 'blocked' : 'failed';
      const done = task.isDone(result.environment.observe());
      if (cli.options.json) {
        cli.json({ runId: result.runId, status, outcome: result.status, taskDone: done, spent: result.spent, tree: result.tree, simulatedPolicy: policy.name, steps: results.map((step) => step.step) });
      } else {
        const word = status === 'succeeded' ? format.style('green', status) : format.style(status === 'blocked' ? 'yellow' : 'red', status);
        cli.out(`Run ${result.runId} ${word}: ${results.length} steps recorded.`);
        cli.out(format.style('dim', `Search: ${result.tree.nodes} nodes, ${result.spent.expansions} expansions, ${result.spent.modelCalls} calls to the SIMULATED policy (${result.spent.tokens} simulated tokens).`));
        if (status === 'blocked') {
          cli.out(`It stopped at an irreversible action that was not approved (${result.pending?.action ?? 'unknown'}). Run "arbor demo --yes" to pre-approve, or answer the prompt on a terminal.`);
        }
        cli.out('Next:');
        cli.out(`  arbor show ${result.runId}                  the recorded steps`);
        cli.out(`  arbor replay ${result.runId} --mode verify  re-execute and check every step`);
        cli.out(`  arbor fork ${result.runId} --at 4 --then stop  branch off at a step`);
        cli.out('  arbor plan demo/orders fulfil-ord-1001 --strategy astar --accuracy 0.7 --noise 0.2   a real search');
      }
      process.exitCode = status === 'succeeded' ? ExitCode.ok : status === 'blocked' ? ExitCode.blocked : ExitCode.failure;
    });
}
