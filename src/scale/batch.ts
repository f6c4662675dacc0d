import { Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { ulid } from 'ulid';
import { UsageError } from '../errors/index.js';
import { connectQueue, DEFAULT_QUEUE_NAME } from './queue-connection.js';
import type { Spent } from '../planning/index.js';
import type { PlannerOutcome } from './planner-solver.js';
import type { TaskJob, TaskProgress, TaskStatus } from './solver.js';
import { DEFAULT_STRATEGY, type TaskSpec } from './task-spec.js';

export interface RunBatchOptions {
  /** Redis URL of the queue. */
  queue: string;
  queueName?: string;
  tasks: readonly TaskSpec[];
  /** Attempts per task before it fails for good (stalls handed over by BullMQ do not count). Default 3. */
  attempts?: number;
  /** Backoff before the first retry of a failed attempt, doubling each time. Default 1000 ms. */
  backoffMs?: number;
  /** Called at most every `progressIntervalMs` and once at the end. */
  onProgress?: (progress: BatchProgress) => void;
  progressIntervalMs?: number;
  /** Called once per task as soon as it is finished, in finishing order. */
  onResult?: (result: TaskResult) => void;
  /** Stops following the batch (its jobs stay queued and the workers go on). */
  signal?: AbortSignal;
}

export interface BatchProgress {
  batchId: string;
  total: number;
  /** Tasks finished (any outcome). */
  finished: number;
  succeeded: number;
  /** Tasks finished without success: failed jobs and failed, blocked or budget-exhausted outcomes. */
  failed: number;
  /** Tasks a worker is on right now. */
  running: number;
  elapsedMs: number;
  /** Finished tasks per minute since the batch was enqueued. */
  throughputPerMinute: number;
  /** Model (policy) calls so far, finished and running tasks together. */
  modelCalls: number;
  tokens: number;
  steps: number;
}

/** One line of the results JSONL. */
export interface TaskResult {
  batchId: string;
  index: number;
  id: string;
  environment: string;
  task: string;
  strategy: string;
  policy: string | null;
  /** `error`: the job failed (after its attempts, or at once for errors no retry fixes). */
  status: TaskStatus | 'error';
  runId: string;
  steps: number;
  modelCalls: number;
  tokens: number;
  /** Attempts started (a stalled job handed to another worker counts one more). */
  attempts: number;
  /** The seq the last attempt continued the run from (0 when it started it). */
  resumedAtSeq: number;
  /** From enqueue to finish. */
  durationMs: number;
  reason?: string;
  error?: string;
  /** What a planner's search spent, exactly (planner strategies only). */
  spent?: Spent;
  /** Runs of earlier attempts abandoned when their worker died mid-search (planner strategies only). */
  abandoned?: string[];
}

export interface BatchReport {
  batchId: string;
  results: TaskResult[];
  progress: BatchProgress;
  /** True when following stopped (signal) before every task finished. */
  interrupted: boolean;
}

const RECONCILE_INTERVAL_MS = 2000;
const RECONCILE_CHUNK = 200;

/**
 * Enqueues a batch of tasks on the BullMQ queue, one job per task (each with the run id it records into),
 * then follows it to the end through the queue's events, with live progress and one result per task.
 */
export async function runBatch(options: RunBatchOptions): Promise<BatchReport> {
  if (options.tasks.length === 0) throw new UsageError('The batch has no tasks');
  const attempts = options.attempts ?? 3;
  if (!Number.isInteger(attempts) || attempts < 1) throw new UsageError(`attempts must be an integer >= 1, got ${attempts}`);
  const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
  const connection = await connectQueue(options.queue);
  // QueueEvents blocks on its connection (XREAD): it gets one of its own.
  const eventsConnection = new Redis(options.queue, { maxRetriesPerRequest: null });
  eventsConnection.on('error', () => undefined);
  const queue = new Queue<TaskJob, PlannerOutcome>(queueName, { connection });
  const events = new QueueEvents(queueName, { connection: eventsConnection, autorun: true });
  events.on('error', () => undefined);
  const batchId = ulid();
  const startedAt = Date.now();
  const jobs: TaskJob[] = options.tasks.map((spec, index) => ({ batchId, index, runId: ulid(), spec: { ...spec, id: spec.id ?? String(index + 1) } }));
  const jobId = (index: number) => `${batchId}-${index}`;
  const pending = new Map<string, TaskJob>(jobs.map((job) => [jobId(job.index), job]));
  const running = new Map<string, TaskProgress>();
  const results: TaskResult[] = [];
  const totals = { succeeded: 0, failed: 0, modelCalls: 0, tokens: 0, steps: 0 };

  const progress = (): BatchProgress => {
    const elapsedMs = Date.now() - startedAt;
    const live = [...running.values()];
    return {
      batchId,
      total: jobs.length,
      finished: results.length,
      succeeded: totals.succeeded,
      failed: totals.failed,
      running: running.size,
      elapsedMs,
      throughputPerMinute: elapsedMs === 0 ? 0 : (results.length / elapsedMs) * 60_000,
      modelCalls: totals.modelCalls + live.reduce((sum, entry) => sum + entry.modelCalls, 0),
      tokens: totals.tokens + live.reduce((sum, entry) => sum + entry.tokens, 0),
      steps: totals.steps + live.reduce((sum, entry) => sum + entry.steps, 0),
    };
  };

  let settle: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    settle = resolve;
  });

  const finalize = async (id: string): Promise<void> => {
    const job = pending.get(id);
    if (job === undefined) return;
    // The state first: once it is final, the job's hash (return value, failure) is final too.
    const state = await queue.getJobState(id);
    if (state !== 'completed' && state !== 'failed') return;
    const record = await Job.fromId<TaskJob, PlannerOutcome>(queue, id);
    if (record === undefined) return;
    if (!pending.delete(id)) return;
    running.delete(id);
    const outcome = state === 'completed' ? record.returnvalue : undefined;
    const result: TaskResult = {
      batchId,
      index: job.index,
      id: job.spec.id ?? String(job.index + 1),
      environment: job.spec.environment,
      task: job.spec.task,
      strategy: job.spec.strategy ?? DEFAULT_STRATEGY,
      policy: job.spec.policy ?? null,
      status: outcome?.status ?? 'error',
      runId: job.runId,
      steps: outcome?.steps ?? 0,
      modelCalls: outcome?.modelCalls ?? 0,
      tokens: outcome?.tokens ?? 0,
      attempts: record.attemptsStarted,
      resumedAtSeq: outcome?.resumedAtSeq ?? 0,
      durationMs: (record.finishedOn ?? Date.now()) - record.timestamp,
      ...(outcome?.reason === undefined ? {} : { reason: outcome.reason }),
      ...(state === 'failed' ? { error: record.failedReason } : {}),
      ...(outcome?.spent === undefined ? {} : { spent: outcome.spent }),
      ...(outcome?.abandoned === undefined ? {} : { abandoned: outcome.abandoned }),
    };
    results.push(result);
    if (result.status === 'succeeded') totals.succeeded++;
    else totals.failed++;
    totals.modelCalls += result.modelCalls;
    totals.tokens += result.tokens;
    totals.steps += result.steps;
    options.onResult?.(result);
    if (pending.size === 0) settle();
  };
  const safely = (work: Promise<void>) => work.catch(() => undefined);

  events.on('active', ({ jobId: id }) => {
    if (pending.has(id) && !running.has(id)) running.set(id, { steps: 0, modelCalls: 0, tokens: 0 });
  });
  events.on('progress', ({ jobId: id, data }) => {
    if (pending.has(id) && typeof data === 'object' && data !== null) running.set(id, data as unknown as TaskProgress);
  });
  events.on('stalled', ({ jobId: id }) => {
    running.delete(id);
  });
  events.on('completed', ({ jobId: id }) => void safely(finalize(id)));
  // Also fired for attempts that will be retried: finalize checks the job really is in the failed set.
  events.on('failed', ({ jobId: id }) => {
    running.delete(id);
    void safely(finalize(id));
  });

  let reconcileTimer: NodeJS.Timeout | undefined;
  let progressTimer: NodeJS.Timeout | undefined;
  const onAbort = () => settle();
  try {
    await events.waitUntilReady();
    for (let start = 0; start < jobs.length; start += 500) {
      await queue.addBulk(
        jobs.slice(start, start + 500).map((job) => ({
          name: job.spec.id ?? String(job.index + 1),
          data: job,
          opts: {
            jobId: jobId(job.index),
            attempts,
            backoff: { type: 'exponential', delay: options.backoffMs ?? 1000 },
            // Finished jobs stay a week for inspection, then Redis forgets them (the store keeps the runs).
            removeOnComplete: { age: 7 * 24 * 3600 },
            removeOnFail: { age: 7 * 24 * 3600 },
          },
        })),
      );
    }
    // Events can be missed (a reconnect): look at a slice of the unfinished jobs now and then.
    let cursor = 0;
    reconcileTimer = setInterval(() => {
      const ids = [...pending.keys()];
      if (ids.length === 0) return;
      cursor = cursor % ids.length;
      const slice = ids.slice(cursor, cursor + RECONCILE_CHUNK);
      cursor += RECONCILE_CHUNK;
      void safely(Promise.all(slice.map((id) => finalize(id))).then(() => undefined));
    }, RECONCILE_INTERVAL_MS);
    if (options.onProgress !== undefined) {
      const report = options.onProgress;
      progressTimer = setInterval(() => report(progress()), options.progressIntervalMs ?? 1000);
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) settle();
    await done;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (reconcileTimer !== undefined) clearInterval(reconcileTimer);
    if (progressTimer !== undefined) clearInterval(progressTimer);
    await events.close().catch(() => undefined);
    await queue.close().catch(() => undefined);
    connection.disconnect();
    eventsConnection.disconnect();
  }
  const final = progress();
  options.onProgress?.(final);
  return { batchId, results: [...results].sort((a, b) => a.index - b.index), progress: final, interrupted: pending.size > 0 };
}
