import { Option, type Command } from 'commander';
import { UsageError } from '../../errors/index.js';
import { allActions, createPlanner, plan, type Budget, type CandidateProvider, type Policy } from '../../planning/index.js';
import { loadExperience, retrieveCandidates, ToolIndex, type RetrievalStrategy } from '../../retrieval/index.js';
import { createSimulatedPolicy } from '../../policies/simulated/index.js';
import type { CliContext } from '../context.js';
import { addModelOptions, llmPolicyFromCli, modelSettingsFromCli, type ModelFlags } from '../model-options.js';
import { ExitCode } from '../exit-codes.js';
import { formatDuration, summarize } from '../format.js';

/** Reads a numeric option, refusing anything outside [min, max] with a usage error. */
export function numberOption(flag: string, raw: string | undefined, min: number, max: number): number {
  const value = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`${flag} must be a number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

interface PlanCommandOptions extends ModelFlags {
  strategy: string;
  accuracy: string;
  noise: string;
  seed: string;
  decay: string;
  branching?: string;
  calls?: string;
  tokens?: string;
  expansions?: string;
  time?: string;
  maxDepth: string;
  retrieval?: Extract<RetrievalStrategy, 'lexical' | 'grouped'>;
  k: string;
}

export function registerPlanCommand(program: Command, cli: CliContext): void {
  const command = program
    .command('plan')
    .description('Search for a plan for one task of an environment and print the search tree\'s summary')
    .argument('<environment>', 'environment name (for example fsm/warehouse, demo/orders)')
    .argument('<task>', 'task id within the environment')
    .option('--strategy <name>', 'greedy, beam, astar, best-first, mcts, tree-planner or best-of-n', 'astar')
    .option('--accuracy <p>', 'SIMULATED policy: chance a proposal is right', '0.7')
    .option('--noise <sigma>', 'SIMULATED policy: standard deviation of the noise on its values', '0.2')
    .option('--decay <fraction>', 'SIMULATED policy: accuracy lost per doubling of candidates beyond 20', '0')
    .option('--seed <n>', 'seed of the simulated policy', '1')
    .option('--branching <k>', 'proposals per expansion (strategies that expand nodes)')
    .option('--calls <n>', 'budget: model calls')
    .option('--tokens <n>', 'budget: tokens')
    .option('--expansions <n>', 'budget: node expansions')
    .option('--time <ms>', 'budget: wall time in milliseconds')
    .option('--max-depth <n>', 'deepest node expanded', '40')
    .addOption(new Option('--retrieval <strategy>', 'show the policy only the top --k actions retrieved for each state (ToolIndex) instead of all').choices(['lexical', 'grouped']))
    .option('--k <n>', 'actions retrieved per state with --retrieval', '10')
    .addHelpText(
      'after',
      '\nWithout a model (--model, ARBOR_MODEL) the policy is a SIMULATION (no model is called): it knows each task\'s optimal\n' +
        'next actions and is right with probability --accuracy. With a model, the LLM policy plans and the --accuracy,\n' +
        '--noise, --decay and --seed options do not apply.',
    );
  addModelOptions(command);
  command.action(async (environmentName: string, taskId: string, options: PlanCommandOptions) => {
      const createEnvironment = () => cli.environments.create(environmentName);
      const environment = await createEnvironment();
      const budget: Budget = {
        ...(options.calls === undefined ? {} : { modelCalls: numberOption('--calls', options.calls, 0, 1e9) }),
        ...(options.tokens === undefined ? {} : { tokens: numberOption('--tokens', options.tokens, 0, 1e12) }),
        ...(options.expansions === undefined ? {} : { expansions: numberOption('--expansions', options.expansions, 0, 1e9) }),
        ...(options.time === undefined ? {} : { wallTimeMs: numberOption('--time', options.time, 0, 1e9) }),
      };
      const settings = modelSettingsFromCli(cli, options);
      const simulated = settings === undefined;
      const policy: Policy =
        settings === undefined
          ? createSimulatedPolicy({
              tasks: environment.tasks ?? [],
              accuracy: numberOption('--accuracy', options.accuracy, 0, 1),
              valueNoise: numberOption('--noise', options.noise, 0, 10),
              seed: numberOption('--seed', options.seed, 0, Number.MAX_SAFE_INTEGER),
              accuracyDecay: { perDoubling: numberOption('--decay', options.decay, 0, 1) },
            })
          : await llmPolicyFromCli(cli, settings, environment.actions);
      const planner = createPlanner(options.strategy, options.branching === undefined ? {} : { branching: numberOption('--branching', options.branching, 1, 100) });
      const store = await cli.store();
      const format = cli.format;
      // The config's stages, masks and policy rules: planners see only allowed actions, the executor enforces them.
      const config = await cli.config();
      const guards = config === undefined ? undefined : (await import('../../guards/index.js')).guardsFromConfig(config.config, { store, approval: cli.approval() });
      // Retrieval narrows what each state shows the policy; guards (if any) then filter what it retrieved.
      let shown: CandidateProvider = allActions;
      if (options.retrieval !== undefined) {
        const k = numberOption('--k', options.k, 1, 10_000);
        if (!Number.isInteger(k)) throw new UsageError(`--k must be a whole number, got ${options.k}`);
        const index = new ToolIndex({ actions: environment.actions, experience: await loadExperience(store) });
        const strategy = options.retrieval;
        shown = async (context) => (await retrieveCandidates(index, context.state, { k, strategy })).candidates;
      }
      const candidates = guards === undefined ? shown : guards.candidates(shown);
      const result = await cli.progress(`Searching with ${planner.name}`, (report) =>
        plan({
          environment,
          createEnvironment,
          task: taskId,
          planner,
          policy,
          store,
          budget,
          approval: cli.approval(),
          ...(guards === undefined ? {} : { guards: [...guards.guards] }),
          candidates,
          maxDepth: numberOption('--max-depth', options.maxDepth, 1, 1000),
          onEvent: (event) => {
            if (event.type === 'policy-call') report(`${event.modelCalls} ${simulated ? 'simulated ' : ''}model calls, ${event.tokens} tokens`);
          },
        }),
      );
      const { environment: _environment, policyLog: _log, ...summary } = result;
      if (cli.options.json) {
        cli.json({ ...summary, environment: environmentName, policy: policy.name, simulatedPolicy: simulated, retrieval: options.retrieval === undefined ? null : { strategy: options.retrieval, k: Number(options.k) } });
      } else {
        const color = result.status === 'succeeded' ? 'green' : result.status === 'awaiting-approval' ? 'yellow' : 'red';
        cli.out(`${format.style('bold', 'Task:')} ${taskId} in ${environmentName}; strategy ${planner.name}; policy ${policy.name}${simulated ? ' (a SIMULATION)' : ''}`);
        cli.out(`Candidates: ${options.retrieval === undefined ? `all ${environment.actions.size} actions at every state` : `the top ${options.k} of ${environment.actions.size} actions by ${options.retrieval} retrieval at each state`}`);
        cli.out(`Outcome: ${format.style(color, result.status)}${result.reason === undefined ? '' : ` (${result.reason})`}`);
        cli.out(`Plan (${result.plan.length} steps):`);
        for (const [index, step] of result.plan.entries()) cli.out(`  ${String(index + 1).padStart(2)}. ${step.action} ${summarize(step.input, 80)}${step.effect === 'irreversible' ? format.style('yellow', '  [irreversible, committed]') : ''}`);
        if (result.pending !== undefined) cli.out(`  -> waiting for approval: ${result.pending.action} ${summarize(result.pending.input, 80)}`);
        const byStatus = Object.entries(result.tree.byStatus).filter(([, count]) => count > 0).map(([status, count]) => `${count} ${status}`).join(', ');
        cli.out(`Tree: ${result.tree.nodes} nodes (${byStatus}), depth ${result.tree.maxDepth}`);
        cli.out(
          `Spent: ${result.spent.modelCalls} model calls, ${result.spent.tokens} tokens, ${result.spent.expansions} expansions, ${result.spent.steps} steps, ${formatDuration(result.spent.wallTimeMs)}`,
        );
        cli.out(`Run ${result.runId}: "arbor show ${result.runId}" lists every step the search executed.`);
      }
      process.exitCode = result.status === 'succeeded' ? ExitCode.ok : result.status === 'awaiting-approval' ? ExitCode.blocked : ExitCode.failure;
  });
}
