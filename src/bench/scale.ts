import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { ulid } from 'ulid';
import { builtinFsmModel, createFsmEnvironment } from '../environments/index.js';
import { createTestDatabase, startPostgres, startRedis, type RunningService } from '../internal/services/index.js';
import { PostgresStore } from '../provenance/postgres/index.js';
import { runRecord, stepWrite } from '../provenance/conformance/step-fixtures.js';
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
  /** Redis commands (every client: workers, batch, limiter) per task, from INFO stats. */
  redisCommandsPerTask: number;
  /** PostgreSQL transactions committed per task, from pg_stat_database. */
  postgresCommitsPerTask: number;
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

function summarize(workers: number, report: BatchReport, counters: { redisCommands: number; postgresCommits: number }): Phase {
  const { progress } = report;
  return {
    workers,
    redisCommandsPerTask: Math.round((counters.redisCommands / progress.total) * 10) / 10,
    postgresCommitsPerTask: Math.round((counters.postgresCommits / progress.total) * 10) / 10,
    tasks: progress.total,
    succeeded: progress.succeeded,
    elapsedMs: Math.round(progress.elapsedMs),
    tasksPerMinute: Math.round(progress.throughputPerMinute * 10) / 10,
    modelCalls: progress.modelCalls,
    modelCallsPerSecond: Math.round((progress.modelCalls / progress.elapsedMs) * 10_000) / 10,
  };
}

async function redisCommands(redis: Redis): Promise<number> {
  return Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))?.[1] ?? 0);
}

async function postgresCommits(store: PostgresStore, database: string): Promise<number> {
  // Statistics of other sessions reach the shared counters when they go idle (about a second).
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const { rows } = await store.query<{ commits: number }>('SELECT xact_commit AS commits FROM pg_stat_database WHERE datname = $1', [database]);
  return rows[0]?.commits ?? 0;
}

/** Steps per second the store takes when `writers` connections record steps as fast as they can. */
async function storeCeiling(url: string, writers: number, durationMs: number): Promise<number> {
  const stores = await Promise.all(Array.from({ length: writers }, () => PostgresStore.open(url, { poolSize: 1 })));
  let steps = 0;
  const until = Date.now() + durationMs;
  const started = Date.now();
  await Promise.all(
    stores.map(async (store) => {
      const runId = ulid();
      await store.createRun(runRecord(runId));
      for (let seq = 0; Date.now() < until; seq++) {
        // What the agent loop writes per step: its decision, then the step.
        await store.putCached('bench.decision', `${runId}:${seq}`, JSON.stringify({ proposals: [{ action: 'move', input: { to: `b${seq}` }, probability: 0.9 }] }));
        await store.insertStep(stepWrite(runId, seq, { output: { ok: true, at: seq }, metadata: { checkpoint: { room: seq % 7, carrying: ['bolts'] } } }));
        steps++;
      }
    }),
  );
  const elapsed = Date.now() - started;
  await Promise.all(stores.map((store) => store.close()));
  return Math.round((steps / elapsed) * 1000);
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
      log('starting PostgreSQL (durable settings) and Redis, temporary, on loopback...');
      const [postgres, redis] = await Promise.all([startPostgres({ durable: true }), startRedis()]);
      services.push(postgres, redis);
      const database = await createTestDatabase(postgres.url, 'arbor_bench');
      const callLog = new Redis(redis.url);
      const admin = await PostgresStore.open(database.url);
      const phases: Phase[] = [];
      log(`${tasksPerPhase} tasks per phase (agent loop, simulated policy p=0.9); every policy call waits ${LATENCY_MS} ms (SIMULATED latency); ${CONCURRENCY} tasks at a time per worker`);
      for (const workers of [1, 2, 4]) {
        const queueName = `bench-${workers}-${ulid()}`;
        const started = await startWorkers(workers, { store: database.url, queue: redis.url, queueName, callLogKey: `calls:${queueName}` });
        children.push(...started);
        const before = { redisCommands: await redisCommands(callLog), postgresCommits: await postgresCommits(admin, database.name) };
        const report = await runBatch({ queue: redis.url, queueName, tasks: benchTasks(tasksPerPhase) });
        await stopWorkers(started);
        // The call log's own writes (one RPUSH per model call) are the benchmark's, not Arbor's.
        const after = { redisCommands: (await redisCommands(callLog)) - report.progress.modelCalls, postgresCommits: await postgresCommits(admin, database.name) };
        const phase = summarize(workers, report, { redisCommands: after.redisCommands - before.redisCommands, postgresCommits: after.postgresCommits - before.postgresCommits });
        phases.push(phase);
        log(`  ${workers} worker${workers === 1 ? ' ' : 's'}: ${phase.tasksPerMinute.toFixed(1).padStart(7)} tasks/min, ${phase.modelCallsPerSecond.toFixed(1).padStart(6)} model calls/s, ${phase.succeeded}/${phase.tasks} succeeded, ${(phase.elapsedMs / 1000).toFixed(1)} s; per task ${phase.redisCommandsPerTask} Redis commands, ${phase.postgresCommitsPerTask} PostgreSQL commits`);
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
      // Where the bottleneck moves: how many steps per second this PostgreSQL takes, against what one worker asks.
      const ceiling1 = await storeCeiling(database.url, 1, 3000);
      const ceiling8 = await storeCeiling(database.url, 8, 3000);
      const stepsPerWorkerSecond = (phases[0]?.modelCalls ?? 0) / ((phases[0]?.elapsedMs ?? 1) / 1000);
      log(`store ceiling (this machine, durable PostgreSQL): ${ceiling1} steps/s with 1 writer, ${ceiling8} with 8; one worker asks ~${Math.round(stepsPerWorkerSecond)} steps/s -> PostgreSQL saturates near ${Math.round(ceiling8 / Math.max(1, stepsPerWorkerSecond))} workers`);
      callLog.disconnect();
      await admin.close();
      await database.drop();
      return {
        simulatedPolicy: true,
        simulatedLatencyMsPerCall: LATENCY_MS,
        note: `SIMULATION: the policy is a seeded simulation and its ${LATENCY_MS} ms per call is a simulated latency (no model); Redis and PostgreSQL (durable settings) are real, on this machine.`,
        concurrencyPerWorker: CONCURRENCY,
        phases,
        scaling,
        storeCeilingStepsPerSecond: { writers1: ceiling1, writers8: ceiling8, stepsPerSecondPerWorker: Math.round(stepsPerWorkerSecond) },
        rateLimit: { requestsPerMinute: limitPerMinute, workers: 4, calls: times.length, spanMs, busiestMinute: busiest, holds: busiest <= limitPerMinute, callsPerMinuteFromFirst: perMinute },
      };
    } finally {
      await stopWorkers(children);
      for (const service of services) await service.stop();
    }
  },
};
