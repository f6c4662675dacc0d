import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { ulid } from 'ulid';
import { builtinFsmModel, createFsmEnvironment } from '../environments/index.js';
import { createTestDatabase, startPostgres, startRedis, type RunningService } from '../internal/services/index.js';
import { runBatch, type BatchReport } from '../scale/batch.js';
import type { TaskSpec } from '../scale/task-spec.js';
import type { Benchmark } from './benchmark.js';

const BIN = fileURLToPath(new URL('../cli/bin.js', import.meta.url));
const PLUGIN = fileURLToPath(new URL('./fixtures/logged-simulated-policy.js', import.meta.url));
/** The SIMULATED model latency: every policy call waits this long, as a pool waiting on a model would. */
const LATENCY_MS = 50;
const CONCURRENCY = 4;

interface Phase {
  workers: number;
  tasks: number;
  succeeded: number;
  elapsedMs: number;
  tasksPerMinute: number;
  modelCalls: number;
  modelCallsPerSecond: number;
}

/** The most values found in any window [t, t + windowMs) (values sorted). */
export function busiestWindow(sorted: readonly number[], windowMs: number): number {
  let most = 0;
  for (let start = 0, end = 0; start < sorted.length; start++) {
    while (end < sorted.length && (sorted[end] as number) < (sorted[start] as number) + windowMs) end++;
    most = Math.max(most, end - start);
  }
  return most;
}

/**
 * Tasks of the warehouse FSM domain for the agent loop (one policy call, then one step): the cheapest
 * strategy per call, so the figures measure the queue and the store rather than a planner's CPU.
 */
function benchTasks(count: number): TaskSpec[] {
  const tasks = createFsmEnvironment(builtinFsmModel('warehouse')).tasks;
  return Array.from({ length: count }, (_, index) => ({
    id: `t${index}`,
    environment: 'fsm/warehouse',
    task: tasks[index % tasks.length]?.id ?? '',
    strategy: 'loop',
    policy: 'simulated-logged',
    policyOptions: { latencyMs: LATENCY_MS, accuracy: 0.9, seed: 1 + Math.floor(index / tasks.length) },
    budget: { steps: 30 },
    approve: true,
  }));
}

async function startWorkers(count: number, options: { store: string; queue: string; queueName: string; callLogKey: string; extra?: string[] }): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from({ length: count }, () =>
      new Promise<ChildProcess>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [BIN, 'worker', '--store', options.store, '--queue', options.queue, '--queue-name', options.queueName, '--plugin', PLUGIN, '--concurrency', String(CONCURRENCY), ...(options.extra ?? [])],
          { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: '1', ARBOR_BENCH_CALL_LOG_URL: options.queue, ARBOR_BENCH_CALL_LOG_KEY: options.callLogKey } },
        );
        let stderr = '';
        child.stderr?.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes('Ctrl-C stops')) resolve(child);
        });
        child.on('exit', (code) => reject(new Error(`a worker exited (${code}) before it was ready: ${stderr}`)));
      }),
    ),
  );
}

async function stopWorkers(workers: ChildProcess[]): Promise<void> {
  await Promise.all(
    workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.exitCode !== null || worker.signalCode !== null) return resolve();
          worker.removeAllListeners('exit');
          worker.once('exit', () => resolve());
          worker.kill('SIGTERM');
        }),
    ),
  );
}

function summarize(workers: number, report: BatchReport): Phase {
  const { progress } = report;
  return {
    workers,
    tasks: progress.total,
    succeeded: progress.succeeded,
    elapsedMs: Math.round(progress.elapsedMs),
    tasksPerMinute: Math.round(progress.throughputPerMinute * 10) / 10,
    modelCalls: progress.modelCalls,
    modelCallsPerSecond: Math.round((progress.modelCalls / progress.elapsedMs) * 10_000) / 10,
  };
}

/**
 * Scale-out: one batch of agent-loop tasks (FSM warehouse, the SIMULATED policy with a SIMULATED 50 ms latency per
 * call) run by 1, 2 and 4 worker processes on a real Redis and PostgreSQL (started here), side by side;
 * then 4 workers under a shared limit of requests per minute, with every call's time logged independently
 * of the limiter, to show that no minute ever holds more calls than the limit.
 */
export const scaleBenchmark: Benchmark = {
  name: 'scale',
  description: `batch throughput with 1, 2, 4 worker processes (simulated policy, SIMULATED ${LATENCY_MS} ms latency per call) and the shared rate limit holding`,
  async run({ full, log }) {
    const tasksPerPhase = full ? 360 : 120;
    const limitPerMinute = 600;
    const services: RunningService[] = [];
    const children: ChildProcess[] = [];
    try {
      log('starting PostgreSQL and Redis (temporary, loopback)...');
      const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
      services.push(postgres, redis);
      const database = await createTestDatabase(postgres.url, 'arbor_bench');
      const callLog = new Redis(redis.url);
      const phases: Phase[] = [];
      log(`${tasksPerPhase} tasks per phase (agent loop, simulated policy p=0.9); every policy call waits ${LATENCY_MS} ms (SIMULATED latency); ${CONCURRENCY} tasks at a time per worker`);
      for (const workers of [1, 2, 4]) {
        const queueName = `bench-${workers}-${ulid()}`;
        const started = await startWorkers(workers, { store: database.url, queue: redis.url, queueName, callLogKey: `calls:${queueName}` });
        children.push(...started);
        const report = await runBatch({ queue: redis.url, queueName, tasks: benchTasks(tasksPerPhase) });
        await stopWorkers(started);
        const phase = summarize(workers, report);
        phases.push(phase);
        log(`  ${workers} worker${workers === 1 ? ' ' : 's'}: ${phase.tasksPerMinute.toFixed(1).padStart(7)} tasks/min, ${phase.modelCallsPerSecond.toFixed(1).padStart(6)} model calls/s, ${phase.succeeded}/${phase.tasks} succeeded, ${(phase.elapsedMs / 1000).toFixed(1)} s`);
      }
      const base = phases[0]?.tasksPerMinute ?? 0;
      const scaling = Object.fromEntries(phases.map((phase) => [phase.workers, Math.round((phase.tasksPerMinute / base) * 100) / 100]));
      log(`  scaling: x${scaling[2]} with 2 workers, x${scaling[4]} with 4 (ideal x2, x4: the work is waiting on the simulated model)`);

      // The rate limit: about 1.3 minutes' worth of calls at the limit, so windows slide past the first minute.
      const callsPerTask = Math.max(1, (phases[0]?.modelCalls ?? tasksPerPhase) / tasksPerPhase);
      const rateTasks = Math.ceil(((full ? 2.5 : 1.3) * limitPerMinute) / callsPerTask);
      const queueName = `bench-rate-${ulid()}`;
      const key = `calls:${queueName}`;
      log(`shared limit: ${limitPerMinute} requests per minute for the simulated endpoint, 4 workers (they could make ~${Math.round((4 * CONCURRENCY * 60_000) / LATENCY_MS)} per minute)`);
      const limited = await startWorkers(4, { store: database.url, queue: redis.url, queueName, callLogKey: key, extra: ['--rpm', String(limitPerMinute)] });
      children.push(...limited);
      const rateReport = await runBatch({ queue: redis.url, queueName, tasks: benchTasks(rateTasks) });
      await stopWorkers(limited);
      const times = (await callLog.lrange(key, 0, -1)).map(Number).sort((a, b) => a - b);
      const first = times[0] ?? 0;
      const spanMs = (times[times.length - 1] ?? first) - first;
      const busiest = busiestWindow(times, 60_000);
      const perMinute = [0, 1, 2].map((minute) => times.filter((time) => time >= first + minute * 60_000 && time < first + (minute + 1) * 60_000).length);
      log(`  ${times.length} calls over ${(spanMs / 1000).toFixed(1)} s; most in any 60 s window: ${busiest} (limit ${limitPerMinute}) -> ${busiest <= limitPerMinute ? 'HOLDS' : 'EXCEEDED'}`);
      log(`  calls per minute from the first call: ${perMinute.join(', ')}; ${rateReport.progress.succeeded}/${rateReport.progress.total} tasks succeeded`);
      callLog.disconnect();
      await database.drop();
      return {
        simulatedPolicy: true,
        simulatedLatencyMsPerCall: LATENCY_MS,
        note: `SIMULATION: the policy is a seeded simulation and its ${LATENCY_MS} ms per call is a simulated latency (no model); Redis and PostgreSQL are real, on this machine.`,
        concurrencyPerWorker: CONCURRENCY,
        phases,
        scaling,
        rateLimit: { requestsPerMinute: limitPerMinute, workers: 4, calls: times.length, spanMs, busiestMinute: busiest, holds: busiest <= limitPerMinute, callsPerMinuteFromFirst: perMinute },
      };
    } finally {
      await stopWorkers(children);
      for (const service of services) await service.stop();
    }
  },
};
