import type { Environment, EnvironmentTask } from '../environments/index.js';
import type { ApprovalPolicy } from '../execution/index.js';
import type { JsonObject, JsonValue } from '../internal/json.js';
import type { Policy } from '../planning/policy.js';
import type { Store } from '../provenance/index.js';
import type { RedisRateLimiter } from './rate-limiter.js';
import type { TaskSpec } from './task-spec.js';

/** What a worker receives: one task of a batch, with the run id it must record into. */
export interface TaskJob {
  batchId: string;
  /** Position of the task in its batch (0-based). */
  index: number;
  /**
   * The run this task records into, chosen when the batch was enqueued. A worker that takes over the job
   * after another one died finds the run and continues it instead of starting a second one.
   */
  runId: string;
  spec: TaskSpec;
}

export type TaskStatus = 'succeeded' | 'failed' | 'blocked' | 'budget-exhausted';

/** What solving one task came to; a job's return value. */
export interface TaskOutcome {
  status: TaskStatus;
  runId: string;
  /** Action steps recorded in the run. */
  steps: number;
  modelCalls: number;
  tokens: number;
  /** The seq the run continued from when this attempt took over a started run (0 for a fresh start). */
  resumedAtSeq: number;
  /** True when the run had already ended and only its outcome was read back (the job was retried after the run finished). */
  alreadyFinished?: boolean;
  reason?: string;
}

/** Progress of a running task, reported to the batch for its live view. */
export interface TaskProgress {
  steps: number;
  modelCalls: number;
  tokens: number;
}

/** World state capture, when an environment offers it (planning environments do). */
export interface SnapshotCapable {
  snapshot?(): JsonValue;
  restore?(snapshot: JsonValue): void;
  startTask?(taskId: string): void | Promise<void>;
}

/** Everything a solver needs for one task. */
export interface SolveContext {
  job: TaskJob;
  store: Store;
  /** A fresh environment for this attempt (a fresh world; a resumed run restores it from the record). */
  environment: Environment & SnapshotCapable;
  /** More fresh copies, for strategies that rebuild states by re-executing. */
  createEnvironment: () => Promise<Environment>;
  task: EnvironmentTask;
  /** The policy, already behind the shared rate limit. */
  policy: Policy;
  approval: ApprovalPolicy;
  signal: AbortSignal;
  /** Identifies the worker process (host:pid), recorded with the run. */
  workerId: string;
  progress(update: TaskProgress): void;
  /** Metadata every run of the job carries (batch id, task id...). */
  runMetadata: JsonObject;
}

/**
 * A way to solve a task: the greedy loop, or a planner. Solvers must make a job safe to run again: the
 * same job handed to another worker must continue the same run, never repeat a committed step, and never
 * execute an irreversible step whose outcome is in doubt.
 */
export interface TaskSolver {
  readonly name: string;
  readonly description: string;
  solve(context: SolveContext): Promise<TaskOutcome>;
}

/** Builds the policy a job asks for by name. */
export interface PolicyFactory {
  readonly name: string;
  readonly description: string;
  /** The endpoint whose rate limit the policy's calls count against. Default: the policy's name. */
  readonly endpoint?: string;
  /**
   * True when `create` applies the `limiter` itself (at the model request, say); otherwise the worker
   * limits each policy call.
   */
  readonly appliesRateLimit?: boolean;
  create(options: { environment: Environment; task: EnvironmentTask; job: TaskJob; limiter?: RedisRateLimiter }): Policy | Promise<Policy>;
}
