import { InvalidArgumentError, type Command } from 'commander';
import { UsageError } from '../../errors/index.js';
// Types only: the queue client (BullMQ, ioredis) is loaded when a queue command runs, not for every command.
import type { PolicyFactory, RateLimit, WorkerRegistry } from '../../scale/index.js';
import type { CliContext } from '../context.js';
import { formatDuration } from '../format.js';
import { addModelOptions, modelFromSettings, modelSettingsFromCli, type ModelFlags } from '../model-options.js';
import { numberOption } from './plan.js';

export interface WorkerCommandOptions extends ModelFlags {
  queue?: string;
  queueName?: string;
  concurrency: number;
  policy?: string;
  plugin: string[];
  rpm?: number;
  tpm?: number;
  rateWindowMs?: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  maxStalled?: number;
  accuracy?: string;
  noise?: string;
  decay?: string;
  simulatedLatencyMs?: string;
}

export function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('expected a positive integer');
  return number;
}

/**
 * Policies every worker knows by name: `simulated` (a SIMULATION, with the --accuracy, --noise, --decay and
 * --simulated-latency-ms settings), and `llm` when a model is configured (--model, ARBOR_MODEL): its
 * responses are cached in the store and each model request takes a grant from the shared rate limit.
 */
export async function builtinPolicies(cli: CliContext, options: WorkerCommandOptions): Promise<Map<string, PolicyFactory>> {
  const { simulatedPolicyFactory, limitModel } = await import('../../scale/index.js');
  const policies = new Map<string, PolicyFactory>();
  policies.set('simulated', simulatedPolicyFactory({
    ...(options.accuracy === undefined ? {} : { accuracy: numberOption('--accuracy', options.accuracy, 0, 1) }),
    ...(options.noise === undefined ? {} : { valueNoise: numberOption('--noise', options.noise, 0, 10) }),
    ...(options.decay === undefined ? {} : { decay: numberOption('--decay', options.decay, 0, 1) }),
    ...(options.simulatedLatencyMs === undefined ? {} : { latencyMs: numberOption('--simulated-latency-ms', options.simulatedLatencyMs, 0, 600_000) }),
  }));
  const settings = modelSettingsFromCli(cli, options);
  if (settings !== undefined) {
    const [{ llmPolicy }, { describeModelSettings }] = await Promise.all([import('../../policies/index.js'), import('../../models/index.js')]);
    const model = modelFromSettings(cli, settings);
    const endpoint = describeModelSettings(settings);
    policies.set('llm', {
      name: 'llm',
      description: `the LLM policy on ${endpoint}`,
      endpoint,
      appliesRateLimit: true,
      create: async ({ environment, limiter }) =>
        llmPolicy({ model: limiter === undefined ? model : limitModel(model, limiter), actions: environment.actions, store: await cli.store(), name: `llm(${endpoint})` }),
    });
  }
  return policies;
}

/** The registry a worker runs with: built-ins, then what plugins add. */
export async function workerRegistry(cli: CliContext, options: WorkerCommandOptions): Promise<WorkerRegistry & { close(): Promise<void> }> {
  const { builtinSolvers, loadWorkerPlugin } = await import('../../scale/index.js');
  const plugins = options.plugin;
  const policies = await builtinPolicies(cli, options);
  const defaultPolicy = options.policy ?? (policies.has('llm') ? 'llm' : 'simulated');
  const solvers = builtinSolvers();
  const closers: (() => void | Promise<void>)[] = [];
  for (const path of plugins) {
    const plugin = await loadWorkerPlugin(path);
    if (plugin.close !== undefined) closers.push(() => plugin.close?.());
    for (const environment of plugin.environments ?? []) cli.environments.register(environment);
    for (const policy of plugin.policies ?? []) policies.set(policy.name, policy);
    for (const solver of plugin.solvers ?? []) solvers.set(solver.name, solver);
  }
  if (!policies.has(defaultPolicy)) {
    throw new UsageError(`No policy named "${defaultPolicy}"`, `Known policies: ${[...policies.keys()].join(', ') || 'none (add some with --plugin)'}.`);
  }
  return {
    environments: cli.environments,
    policies,
    solvers,
    defaultPolicy,
    close: async () => {
      for (const close of closers) await close();
    },
  };
}

export function registerWorkerCommand(program: Command, cli: CliContext): void {
  const command = program
    .command('worker')
    .description('Solve tasks from a BullMQ queue on Redis, recording every run in the (shared) store, until stopped')
    .option('--queue <url>', 'Redis URL of the work queue (default ARBOR_QUEUE)')
    .option('--queue-name <name>', 'BullMQ queue name', 'arbor-tasks')
    .option('--concurrency <n>', 'tasks solved at once by this process', positiveInteger, 4)
    .option('--policy <name>', 'policy for tasks that name none (default: llm with a model, else simulated)')
    .option('--accuracy <p>', 'SIMULATED policy: chance a proposal is right (default 0.7)')
    .option('--noise <sigma>', 'SIMULATED policy: noise on its values (default 0.2)')
    .option('--decay <fraction>', 'SIMULATED policy: accuracy lost per doubling of candidates beyond 20 (default 0)')
    .option('--simulated-latency-ms <ms>', 'SIMULATED policy: wait this long in every call, like a model would (default 0)')
    .option('--plugin <file...>', 'ES module(s) adding environments, policies or strategies', [])
    .option('--rpm <n>', 'requests per minute allowed per model endpoint, shared by all workers', positiveInteger)
    .option('--tpm <n>', 'tokens per minute allowed per model endpoint, shared by all workers', positiveInteger)
    .option('--rate-window-ms <ms>', 'length of the rate-limit window (default 60000: per minute)', positiveInteger)
    .option('--lock-duration-ms <ms>', 'a job whose worker stops renewing its lock this long is handed to another worker', positiveInteger)
    .option('--stalled-interval-ms <ms>', 'how often to look for jobs of dead workers', positiveInteger)
    .option('--max-stalled <n>', 'times a job may be handed over before it fails', positiveInteger);
  addModelOptions(command);
  command.action(async (options: WorkerCommandOptions) => {
      const { checkQueueUrl, connectQueue, redactRedisUrl, startWorker } = await import('../../scale/index.js');
      const queue = checkQueueUrl(options.queue ?? cli.io.env.ARBOR_QUEUE);
      const registry = await workerRegistry(cli, options);
      // The queue first: a wrong URL fails before anything is opened or created.
      const connection = await connectQueue(queue);
      let store;
      try {
        store = await cli.store();
      } catch (error) {
        connection.disconnect();
        throw error;
      }
      const rateLimit: RateLimit | undefined =
        options.rpm === undefined && options.tpm === undefined
          ? undefined
          : {
              ...(options.rpm === undefined ? {} : { requestsPerWindow: options.rpm }),
              ...(options.tpm === undefined ? {} : { tokensPerWindow: options.tpm }),
              ...(options.rateWindowMs === undefined ? {} : { windowMs: options.rateWindowMs }),
            };
      const json = cli.options.json;
      // Listen first: a SIGTERM that arrives while the worker starts still stops it gracefully.
      const stopRequested = new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      const worker = await startWorker({
        queue,
        connection,
        queueName: options.queueName ?? 'arbor-tasks',
        store,
        registry,
        concurrency: options.concurrency,
        ...(options.lockDurationMs === undefined ? {} : { lockDurationMs: options.lockDurationMs }),
        ...(options.stalledIntervalMs === undefined ? {} : { stalledIntervalMs: options.stalledIntervalMs }),
        ...(options.maxStalled === undefined ? {} : { maxStalledCount: options.maxStalled }),
        ...(rateLimit === undefined ? {} : { rateLimit }),
        onEvent: (event) => {
          if (json) {
            const { job, ...rest } = event;
            cli.out(JSON.stringify({ ...rest, ...(event.type === 'job-error' ? { error: event.error.toJSON() } : {}), batchId: job.batchId, index: job.index, runId: job.runId, taskId: job.spec.id }));
            return;
          }
          if (event.type === 'job-start') {
            cli.err(`${event.job.runId} ${event.attempt > 1 ? `attempt ${event.attempt} ` : ''}start ${event.job.spec.environment} ${event.job.spec.task}`);
          } else if (event.type === 'job-end') {
            const outcome = event.outcome;
            cli.err(`${outcome.runId} ${outcome.status} ${outcome.steps} steps, ${outcome.modelCalls} model calls${outcome.resumedAtSeq > 0 ? `, resumed at step ${outcome.resumedAtSeq}` : ''}`);
          } else {
            cli.err(`${event.job.runId} ${event.final ? 'failed' : 'will retry'}: ${event.error.code}: ${event.error.message}`);
          }
        },
      });
      const started = Date.now();
      if (!json) {
        cli.err(`Worker ${worker.id} on ${redactRedisUrl(queue)} (${options.queueName ?? 'arbor-tasks'}), store ${store.location}, ${options.concurrency} at a time${rateLimit ? `, limits ${options.rpm ?? '-'} req / ${options.tpm ?? '-'} tokens per ${(rateLimit.windowMs ?? 60_000) === 60_000 ? 'minute' : `${rateLimit.windowMs} ms`} per endpoint` : ''}. Ctrl-C stops after the tasks in hand.`);
      }
      await stopRequested;
      if (!json) cli.err('Stopping: finishing the tasks in hand...');
      await worker.close();
      await registry.close();
      if (!json) cli.err(`Worker ${worker.id} stopped after ${formatDuration(Date.now() - started)}.`);
    });
}
