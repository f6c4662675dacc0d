import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ulid } from 'ulid';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { defaultEnvironments } from '../environments/index.js';
import { createTempStore } from '../internal/temp-store.js';
import { runRecord, stepWrite } from '../provenance/conformance/step-fixtures.js';
import { runBatch } from './batch.js';
import ledgerPlugin, { ledgerEnvironment, localReceipts } from './fixtures/ledger-plugin.js';
import { simulatedPolicyFactory } from './policies.js';
import type { PolicyFactory } from './solver.js';
import { builtinSolvers, startWorker, type ArborWorker, type WorkerEvent } from './worker.js';

let redisUrl: string;
let redis: Redis;
beforeAll(async () => {
  // A Redis database of its own (db 3), so other test files' queues never meet these.
  redisUrl = `${inject('redisUrl')}/3`;
  redis = new Redis(redisUrl);
  await redis.flushdb();
});
afterAll(() => {
  redis?.disconnect();
});

let temp: ReturnType<typeof createTempStore>;
let worker: ArborWorker | undefined;
let queueName: string;
const events: WorkerEvent[] = [];
beforeEach(async () => {
  temp = createTempStore();
  localReceipts.clear();
  events.length = 0;
  queueName = `q-${ulid()}`;
  worker = await startWorker({
    queue: redisUrl,
    queueName,
    store: temp.store,
    registry: {
      environments: defaultEnvironments().register(ledgerEnvironment),
      policies: new Map([...(ledgerPlugin.policies ?? []), simulatedPolicyFactory()].map((policy: PolicyFactory) => [policy.name, policy])),
      solvers: builtinSolvers(),
      defaultPolicy: 'test/next-step',
    },
    concurrency: 2,
    onEvent: (event) => events.push(event),
  });
});
afterEach(async () => {
  await worker?.close();
  await temp.cleanup();
});

describe('startWorker', () => {
  it('solves the tasks of a batch and reports each once, with live progress', async () => {
    const progress: number[] = [];
    const report = await runBatch({
      queue: redisUrl,
      queueName,
      tasks: [0, 1, 2].map((n) => ({ environment: 'test/ledger', task: `pay-${n}`, strategy: 'loop', approve: true })),
      progressIntervalMs: 50,
      onProgress: (update) => progress.push(update.finished),
    });
    expect(report.results.map((result) => [result.id, result.status, result.steps, result.attempts])).toEqual([
      ['1', 'succeeded', 4, 1], ['2', 'succeeded', 5, 1], ['3', 'succeeded', 6, 1],
    ]);
    expect(report.progress).toMatchObject({ total: 3, finished: 3, succeeded: 3, failed: 0, running: 0, modelCalls: 15, steps: 15 });
    expect(progress.at(-1)).toBe(3);
    for (const result of report.results) expect(await temp.store.getRun(result.runId)).toMatchObject({ status: 'succeeded', metadata: { batchId: report.batchId } });
  });

  it('fails a task that keeps failing after its attempts, with the error recorded in the queue and the run', async () => {
    const report = await runBatch({ queue: redisUrl, queueName, tasks: [{ environment: 'test/ledger', task: 'explode-1', strategy: 'loop' }], attempts: 2, backoffMs: 10 });
    const [result] = report.results;
    expect(result).toMatchObject({ status: 'error', attempts: 2 });
    expect(result?.error).toMatch(/^ARBOR_ACTION_FAILED|^ARBOR_TASK_FAILED/);
    expect(result?.error).toMatch(/simulated model endpoint is down/);
    expect(events.filter((event) => event.type === 'job-error').map((event) => event.type === 'job-error' && event.final)).toEqual([false, true]);
    expect(await temp.store.getRun(result?.runId ?? '')).toMatchObject({ status: 'failed', metadata: { outcome: 'failed', error: { message: expect.stringMatching(/endpoint is down/) } } });
  });

  it('fails at once, without retrying, a task whose run has an irreversible step in doubt', async () => {
    // A run some worker started: the receipt's intent was written, then that worker died.
    const runId = ulid();
    await temp.store.createRun(runRecord(runId));
    await temp.store.insertStep(stepWrite(runId, 0, { action: 'send_receipt', effect: 'irreversible', status: 'running', output: undefined, endedAt: null, durationUs: null, input: { invoice: 7 } }));
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(queueName, { connection });
    const job = await queue.add('t', { batchId: 'B', index: 0, runId, spec: { environment: 'test/ledger', task: 'pay-7', strategy: 'loop', approve: true } }, { attempts: 3 });
    const failedReason = await new Promise<string>((resolve) => {
      const poll = setInterval(() => {
        void queue.getJob(job.id ?? '').then((current) => {
          if (current?.failedReason) {
            clearInterval(poll);
            resolve(current.failedReason);
          }
        });
      }, 50);
    });
    expect(failedReason).toMatch(/^ARBOR_STEP_IN_DOUBT/);
    expect((await queue.getJob(job.id ?? ''))?.attemptsMade).toBe(1);
    expect(localReceipts.get(7)).toBeUndefined();
    expect(await temp.store.getRun(runId)).toMatchObject({ status: 'failed', metadata: { error: { code: 'ARBOR_STEP_IN_DOUBT' } } });
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
  });

  it('runs planner jobs (A* and MCTS with the simulated policy) on FSM environments, returning what each search spent', async () => {
    const report = await runBatch({
      queue: redisUrl,
      queueName,
      tasks: [
        { environment: 'fsm/warehouse', task: 'ship-bolts-nuts-gears', strategy: 'astar', policy: 'simulated', policyOptions: { accuracy: 0.9, seed: 1 }, approve: true },
        { environment: 'fsm/warehouse', task: 'ship-bolts-nuts-gears', strategy: 'mcts', policy: 'simulated', policyOptions: { accuracy: 0.9, seed: 1 }, approve: true, budget: { modelCalls: 200 } },
      ],
    });
    expect(report.results.map((result) => [result.strategy, result.status])).toEqual([['astar', 'succeeded'], ['mcts', 'succeeded']]);
    for (const result of report.results) {
      expect(result.modelCalls).toBeGreaterThan(0);
      expect(await temp.store.getRun(result.runId)).toMatchObject({ status: 'succeeded', metadata: { kind: 'search', strategy: result.strategy, batchId: report.batchId } });
    }
  });

  it('fails at once a task naming an environment or task the worker does not have', async () => {
    const report = await runBatch({
      queue: redisUrl,
      queueName,
      tasks: [{ environment: 'nowhere', task: 'x' }, { environment: 'test/ledger', task: 'no-such-task' }],
      attempts: 3,
    });
    expect(report.results.map((result) => [result.status, result.attempts])).toEqual([['error', 1], ['error', 1]]);
    expect(report.results[0]?.error).toMatch(/^ARBOR_USAGE: No environment named "nowhere"/);
    expect(report.results[1]?.error).toMatch(/^ARBOR_USAGE: Environment "test\/ledger" has no task "no-such-task"/);
  });
});
