import { hostname } from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EnvironmentRegistry } from '../environments/index.js';
import { ArborError, UsageError } from '../errors/index.js';
import { approveAll, denyIrreversible } from '../execution/index.js';
import type { JsonValue } from '../internal/json.js';
import type { Store } from '../provenance/index.js';
import { loopSolver } from './loop-solver.js';
import { plannerSolvers } from './planner-solver.js';
import { connectQueue, DEFAULT_QUEUE_NAME } from './queue-connection.js';
import { DEFAULT_STRATEGY } from './task-spec.js';
import { limitPolicy, RedisRateLimiter, type RateLimit } from './rate-limiter.js';
import type { PolicyFactory, SolveContext, TaskJob, TaskOutcome, TaskProgress, TaskSolver } from './solver.js';

/** What a worker can run: environments, policies and solvers by name. */
export interface WorkerRegistry {
  environments: EnvironmentRegistry;
  policies: ReadonlyMap<string, PolicyFactory>;
  solvers: ReadonlyMap<string, TaskSolver>;
  /** The policy of tasks that name none. */
  defaultPolicy?: string;
}

export type WorkerEvent =
  | { type: 'job-start'; job: TaskJob; attempt: number }
  | { type: 'job-end'; job: TaskJob; outcome: TaskOutcome }
  | { type: 'job-error'; job: TaskJob; error: ArborError; final: boolean };

export interface StartWorkerOptions {
  /** Redis URL of the queue. */
  queue: string;
  /** An open connection to it (from `connectQueue`), when the caller made one already; closed with the worker. */
  connection?: Redis;
  queueName?: string;
  store: Store;
  registry: WorkerRegistry;
  /** Jobs processed at once by this process. Default 4 (tasks mostly wait for the model). */
  concurrency?: number;
  /**
   * How long a job stays locked to this worker without a lock renewal. A worker that dies (SIGKILL, lost
   * machine) stops renewing; after this long its jobs are stalled and handed to another worker. Default 30 s.
   */
  lockDurationMs?: number;
  /** How often workers look for stalled jobs. Default 30 s (BullMQ's default); tests use less. */
  stalledIntervalMs?: number;
  /** Times a job may stall before it fails. Default 2. */
  maxStalledCount?: number;
  /** Per-endpoint limits shared by every worker through Redis. */
  rateLimit?: RateLimit;
  /** Identifies this process in run metadata. Default `host:pid`. */
  workerId?: string;
  onEvent?: (event: WorkerEvent) => void;
}

export interface ArborWorker {
  readonly id: string;
  readonly worker: Worker<TaskJob, TaskOutcome>;
  readonly limiters: ReadonlyMap<string, RedisRateLimiter>;
  /** Finishes the jobs in hand, takes no new ones, and disconnects. */
  close(): Promise<void>;
}

/** Errors that no retry can fix: the job fails at once, with the error recorded. */
const UNRECOVERABLE = new Set(['ARBOR_USAGE', 'ARBOR_STEP_IN_DOUBT', 'ARBOR_RESUME_IMPOSSIBLE', 'ARBOR_STEP_CONFLICT', 'ARBOR_INVALID_INPUT', 'ARBOR_NO_SUCH_ACTION']);
/** Progress reports are throttled: each one is a Redis write and an event for every listener. */
const PROGRESS_INTERVAL_MS = 500;

/**
 * Starts a BullMQ worker that solves tasks from the queue and records their runs in `store`. Jobs whose
 * worker died are handed to another worker by BullMQ's stalled-job check; the solver then continues the
 * job's run from its last committed step.
 */
export async function startWorker(options: StartWorkerOptions): Promise<ArborWorker> {
  const id = options.workerId ?? `${hostname()}:${process.pid}`;
  const connection = options.connection ?? (await connectQueue(options.queue));
  const limiters = new Map<string, RedisRateLimiter>();
  const limiterFor = (endpoint: string): RedisRateLimiter | undefined => {
    if (options.rateLimit === undefined) return undefined;
    let limiter = limiters.get(endpoint);
    if (limiter === undefined) {
      limiter = new RedisRateLimiter(connection, endpoint, options.rateLimit);
      limiters.set(endpoint, limiter);
    }
    return limiter;
  };

  const processor = async (job: Job<TaskJob, TaskOutcome>, _token?: string, signal?: AbortSignal): Promise<TaskOutcome> => {
    const data = job.data;
    const attempt = job.attemptsStarted;
    options.onEvent?.({ type: 'job-start', job: data, attempt });
    try {
      const outcome = await solveJob(options, data, id, signal ?? new AbortController().signal, limiterFor, throttledProgress(job));
      options.onEvent?.({ type: 'job-end', job: data, outcome });
      return outcome;
    } catch (caught) {
      const error = ArborError.from(caught, 'ARBOR_TASK_FAILED');
      const unrecoverable = UNRECOVERABLE.has(error.code);
      const final = unrecoverable || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      options.onEvent?.({ type: 'job-error', job: data, error, final });
      if (final) await recordFailure(options.store, data.runId, error);
      const message = `${error.code}: ${error.message}${error.hint ? ` (${error.hint})` : ''}`;
      throw unrecoverable ? new UnrecoverableError(message) : new Error(message);
    }
  };

  const worker = new Worker<TaskJob, TaskOutcome>(options.queueName ?? DEFAULT_QUEUE_NAME, processor, {
    connection,
    concurrency: options.concurrency ?? 4,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 2,
    autorun: true,
  });
  // Connection trouble is retried by ioredis; report it instead of crashing the process.
  worker.on('error', () => undefined);
  await worker.waitUntilReady();
  return {
    id,
    worker,
    limiters,
    close: async () => {
      await worker.close();
      connection.disconnect();
    },
  };
}

async function solveJob(
  options: StartWorkerOptions,
  job: TaskJob,
  workerId: string,
  signal: AbortSignal,
  limiterFor: (endpoint: string) => RedisRateLimiter | undefined,
  progress: (update: TaskProgress) => void,
): Promise<TaskOutcome> {
  const { registry, store } = options;
  const spec = job.spec;
  const solver = registry.solvers.get(spec.strategy ?? DEFAULT_STRATEGY);
  if (solver === undefined) {
    throw new UsageError(`No strategy named "${spec.strategy}"`, `Known strategies: ${[...registry.solvers.keys()].join(', ')}.`);
  }
  const policyName = spec.policy ?? registry.defaultPolicy;
  const factory = policyName === undefined ? undefined : registry.policies.get(policyName);
  if (factory === undefined) {
    throw new UsageError(
      policyName === undefined ? 'The task names no policy and the worker has no default' : `No policy named "${policyName}"`,
      `Known policies: ${[...registry.policies.keys()].join(', ') || 'none'}; name one in the task ("policy") or start the worker with --policy.`,
    );
  }
  const environment = await registry.environments.create(spec.environment);
  try {
    const task = environment.tasks?.find((candidate) => candidate.id === spec.task);
    if (task === undefined) {
      const known = (environment.tasks ?? []).map((candidate) => candidate.id);
      throw new UsageError(`Environment "${spec.environment}" has no task "${spec.task}"`, `Its tasks: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', ...' : ''}.`);
    }
    const limiter = limiterFor(factory.endpoint ?? factory.name);
    const policy = await factory.create({ environment, task, job, ...(limiter === undefined ? {} : { limiter }) });
    const context: SolveContext = {
      job,
      store,
      environment,
      createEnvironment: () => Promise.resolve(registry.environments.create(spec.environment)),
      task,
      policy: limiter === undefined || factory.appliesRateLimit === true ? policy : limitPolicy(policy, limiter),
      approval: spec.approve === true ? approveAll : denyIrreversible,
      signal,
      workerId,
      progress,
      runMetadata: { batchId: job.batchId, taskIndex: job.index, taskId: spec.id ?? String(job.index), ...(spec.metadata ?? {}) },
    };
    return await solver.solve(context);
  } finally {
    await environment.close?.();
  }
}

/** Marks the job's run failed with the error, when the job will not be tried again. */
async function recordFailure(store: Store, runId: string, error: ArborError): Promise<void> {
  try {
    const run = await store.getRun(runId);
    if (run === undefined || run.status !== 'running') return;
    await store.updateRun(runId, { status: 'failed', endedAt: Date.now(), metadata: { ...run.metadata, outcome: 'failed', error: JSON.parse(JSON.stringify(error.toJSON())) as JsonValue } });
  } catch {
    // The job's failure is recorded by the queue either way; the store may be what failed.
  }
}

function throttledProgress(job: Job<TaskJob, TaskOutcome>): (update: TaskProgress) => void {
  let last = 0;
  return (update) => {
    const now = Date.now();
    if (now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    job.updateProgress({ ...update }).catch(() => undefined);
  };
}

/** The solvers every worker has: the seven planners and the agent loop. */
export function builtinSolvers(): Map<string, TaskSolver> {
  return new Map([...plannerSolvers(), loopSolver].map((solver) => [solver.name, solver]));
}

