import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../internal/services/index.js';
import { PostgresStore } from '../provenance/postgres/index.js';
import { runBatch, type TaskResult } from './batch.js';
import { expectedSteps } from './fixtures/ledger-plugin.js';
import type { TaskSpec } from './task-spec.js';

const BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));
const PLUGIN = fileURLToPath(new URL('../../dist/scale/fixtures/ledger-plugin.js', import.meta.url));

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let redisUrl: string;
let effects: Redis;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  if (!existsSync(BIN) || !existsSync(PLUGIN)) throw new Error('Build first (npm run build): the worker runs from dist');
  database = await createTestDatabase(inject('postgresUrl'));
  // A Redis database of its own (db 2): its queue and the receipts counted by the fixture.
  redisUrl = `${inject('redisUrl')}/2`;
  effects = new Redis(redisUrl);
  await effects.flushdb();
});
afterAll(async () => {
  for (const worker of workers) if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  effects?.disconnect();
  await database?.drop();
});

interface WorkerHandle {
  process: ChildProcess;
  /** Jobs started and not (yet) ended, by run id, from the worker's --json events. */
  inFlight: Set<string>;
  ended: number;
}

function startWorkerProcess(queueName: string): WorkerHandle {
  const child = spawn(
    process.execPath,
    [
      BIN, 'worker', '--json', '--store', database.url, '--queue', redisUrl, '--queue-name', queueName, '--plugin', PLUGIN,
      '--concurrency', '4', '--lock-duration-ms', '1500', '--stalled-interval-ms', '500',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ARBOR_LEDGER_EFFECTS_URL: redisUrl, ARBOR_LEDGER_POLICY_LATENCY_MS: '5' } },
  );
  workers.push(child);
  const handle: WorkerHandle = { process: child, inFlight: new Set(), ended: 0 };
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      const event = JSON.parse(line) as { type: string; runId: string };
      if (event.type === 'job-start') handle.inFlight.add(event.runId);
      else {
        handle.inFlight.delete(event.runId);
        handle.ended++;
      }
    }
  });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  child.on('exit', (code, signal) => {
    if (signal !== 'SIGKILL' && signal !== 'SIGTERM' && code !== 0) console.error(`worker exited with ${code}: ${errors}`);
  });
  return handle;
}

describe('a pool of worker processes on BullMQ, recording into PostgreSQL', () => {
  it('finishes a 200-task batch exactly once although a worker is killed with SIGKILL mid-batch', async () => {
    const queueName = `pool-${Date.now()}`;
    const pool = [startWorkerProcess(queueName), startWorkerProcess(queueName), startWorkerProcess(queueName)];
    const victim = pool[0] as WorkerHandle;
    const tasks: TaskSpec[] = Array.from({ length: 200 }, (_, n) => ({ id: `invoice-${n}`, environment: 'test/ledger', task: `pay-${n}`, strategy: 'loop', policy: 'test/next-step', approve: true }));
    let killedWith: string[] = [];
    const seen: TaskResult[] = [];
    const report = await runBatch({
      queue: redisUrl,
      queueName,
      tasks,
      attempts: 3,
      onResult: (result) => {
        seen.push(result);
        // Mid-batch, while the victim has tasks in hand and has already finished some.
        if (killedWith.length === 0 && seen.length >= 50 && victim.ended > 0 && victim.inFlight.size >= 2) {
          killedWith = [...victim.inFlight];
          victim.process.kill('SIGKILL');
        }
      },
    });
    expect(victim.process.signalCode ?? (await new Promise((resolve) => victim.process.once('exit', (_code, signal) => resolve(signal))))).toBe('SIGKILL');
    expect(killedWith.length).toBeGreaterThanOrEqual(2);

    // Every task has exactly one result, and the queue completed each job exactly once.
    expect(report.interrupted).toBe(false);
    expect(seen.map((result) => result.index).sort((a, b) => a - b)).toEqual(tasks.map((_, index) => index));
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(queueName, { connection });
    const counts = await queue.getJobCounts('completed', 'failed', 'active', 'wait', 'delayed');
    await queue.close();
    connection.disconnect();
    const inDoubt = report.results.filter((result) => result.status === 'error');
    // A kill can land inside an irreversible step (its intent written, its outcome not): such a task fails
    // for review, never executed again. Everything else must succeed.
    expect(inDoubt.every((result) => result.error?.startsWith('ARBOR_STEP_IN_DOUBT'))).toBe(true);
    expect(inDoubt.length).toBeLessThanOrEqual(killedWith.length);
    expect(counts).toMatchObject({ completed: tasks.length - inDoubt.length, failed: inDoubt.length, active: 0, wait: 0, delayed: 0 });

    // The jobs the killed worker held were taken over and continued their runs, not restarted.
    const takenOver = report.results.filter((result) => killedWith.includes(result.runId));
    expect(takenOver.length).toBe(killedWith.length);
    // A job the victim finished just before the signal landed (its end event still in the pipe) keeps its
    // one attempt; the others were taken over, and at least one went on from where its run had got to.
    const finishedBeforeTheKill = takenOver.filter((result) => result.attempts === 1);
    expect(finishedBeforeTheKill.every((result) => result.status === 'succeeded')).toBe(true);
    expect(finishedBeforeTheKill.length).toBeLessThan(takenOver.length);
    expect(takenOver.filter((result) => result.attempts >= 2).some((result) => result.resumedAtSeq > 0)).toBe(true);

    const store = await PostgresStore.open(database.url);
    try {
      const sql = async <R extends Record<string, unknown>>(text: string, params: unknown[] = []) => (await store.query<R>(text, params)).rows;
      const batch = [report.batchId];
      // One run per task: none lost, none duplicated, none left running.
      const runs = await sql<{ id: string; status: string; task: string; steps: number }>(
        `SELECT r.id, r.status, r.metadata::jsonb->>'taskId' AS task, count(s.seq)::int AS steps
         FROM runs r LEFT JOIN steps s ON s.run_id = r.id WHERE r.metadata::jsonb->>'batchId' = $1 GROUP BY r.id`,
        batch,
      );
      expect(runs).toHaveLength(tasks.length);
      expect(new Set(runs.map((run) => run.task)).size).toBe(tasks.length);
      expect(runs.filter((run) => run.status === 'running')).toEqual([]);
      // No lost and no duplicated step: each succeeded run has exactly the steps its invoice needs, at seqs 0..n-1.
      for (const run of runs.filter((candidate) => candidate.status === 'succeeded')) {
        expect(run.steps).toBe(expectedSteps(Number(run.task.slice('invoice-'.length))));
      }
      expect(await sql(`SELECT s.run_id FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.metadata::jsonb->>'batchId' = $1
        GROUP BY s.run_id HAVING max(s.seq) + 1 <> count(*)`, batch)).toEqual([]);
      expect(await sql(`SELECT s.run_id, s.metadata::jsonb->>'decision' AS decision FROM steps s JOIN runs r ON r.id = s.run_id
        WHERE r.metadata::jsonb->>'batchId' = $1 AND s.attempt = 1 GROUP BY 1, 2 HAVING count(*) > 1`, batch)).toEqual([]);
      expect(await sql(`SELECT s.run_id FROM steps s JOIN runs r ON r.id = s.run_id
        WHERE r.metadata::jsonb->>'batchId' = $1 AND s.action = 'send_receipt' GROUP BY s.run_id HAVING count(*) <> 1`, batch)).toEqual([]);
      const resumed = await sql<{ count: number }>(`SELECT count(*)::int AS count FROM runs WHERE metadata::jsonb->>'batchId' = $1 AND metadata::jsonb ? 'resumedBy'`, batch);
      expect(resumed[0]?.count).toBeGreaterThanOrEqual(1);
    } finally {
      await store.close();
    }

    // The irreversible effect happened exactly once for every task that succeeded, never twice for any.
    const receipts = await Promise.all(tasks.map((_, n) => effects.get(`ledger:receipts:${n}`)));
    const succeeded = new Set(report.results.filter((result) => result.status === 'succeeded').map((result) => result.index));
    receipts.forEach((count, n) => {
      if (succeeded.has(n)) expect(count).toBe('1');
      else expect(Number(count ?? 0)).toBeLessThanOrEqual(1);
    });

    for (const worker of pool.slice(1)) worker.process.kill('SIGTERM');
    await Promise.all(pool.slice(1).map((worker) => new Promise((resolve) => (worker.process.exitCode !== null ? resolve(null) : worker.process.once('exit', resolve)))));
  }, 60_000);
});
