import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defaultEnvironments } from '../environments/index.js';
import { SqliteStore } from '../provenance/sqlite/sqlite-store.js';
import ledgerPlugin, { ledgerEnvironment } from '../scale/fixtures/ledger-plugin.js';
import { builtinSolvers, simulatedPolicyFactory, startWorker, type ArborWorker } from '../scale/index.js';

const bin = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));
const plugin = fileURLToPath(new URL('../../dist/scale/fixtures/ledger-plugin.js', import.meta.url));
let cwd: string;
let redisUrl: string;
let storePath: string;
let store: SqliteStore;
let worker: ArborWorker;
const queueName = `cli-${ulid()}`;

/** Runs the CLI; with `stop`, sends it `stop.signal` once its stderr matches `stop.when`. */
function arbor(args: string[], options: { env?: Record<string, string>; stop?: { when: RegExp; signal: NodeJS.Signals } } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', CI: '1', ...options.env } });
    let stdout = '';
    let stderr = '';
    let stopped = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (options.stop !== undefined && !stopped && options.stop.when.test(stderr)) {
        stopped = true;
        child.kill(options.stop.signal);
      }
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  if (!existsSync(bin)) throw new Error(`Build first (npm run build): ${bin} is missing`);
  cwd = mkdtempSync(join(tmpdir(), 'arbor-cli-scale-'));
  redisUrl = `${inject('redisUrl')}/5`;
  storePath = join(cwd, 'shared.db');
  store = SqliteStore.open(storePath);
  worker = await startWorker({
    queue: redisUrl,
    queueName,
    store,
    registry: {
      environments: defaultEnvironments().register(ledgerEnvironment),
      policies: new Map([...(ledgerPlugin.policies ?? []), simulatedPolicyFactory()].map((policy) => [policy.name, policy])),
      solvers: builtinSolvers(),
    },
  });
});
afterAll(async () => {
  await worker?.close();
  await store?.close();
  rmSync(cwd, { recursive: true, force: true });
});

describe('arbor batch and arbor worker', () => {
  it('batch enqueues a JSONL file, follows it to the end and writes one result per task', async () => {
    const tasks = [0, 1, 2].map((n) => JSON.stringify({ id: `inv-${n}`, task: `pay-${n}`, strategy: 'loop' })).join('\n');
    writeFileSync(join(cwd, 'tasks.jsonl'), `${tasks}\n`);
    const { code, stdout, stderr } = await arbor([
      'batch', 'tasks.jsonl', '--queue', redisUrl, '--queue-name', queueName, '--environment', 'test/ledger', '--policy', 'test/next-step', '--yes', '--store', storePath,
    ]);
    expect(stderr).toContain('Enqueuing 3 tasks');
    expect(code).toBe(0);
    expect(stdout).toMatch(/3 of 3 succeeded, 0 did not/);
    expect(stdout).toMatch(/model calls/);
    expect(stdout).toContain('every finished task has its run, ended as reported');
    const results = readFileSync(join(cwd, 'tasks.results.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { id: string; status: string; runId: string });
    expect(results.map((result) => result.id).sort()).toEqual(['inv-0', 'inv-1', 'inv-2']);
    expect(results.every((result) => result.status === 'succeeded')).toBe(true);
    for (const result of results) expect((await store.getRun(result.runId))?.status).toBe('succeeded');
  });

  it('batch refuses a bad line with its number and enqueues nothing', async () => {
    writeFileSync(join(cwd, 'bad.jsonl'), '{"environment":"test/ledger","task":"pay-1"}\n{"environment":"test/ledger"}\n');
    const badQueue = `bad-${ulid()}`;
    const { code, stderr } = await arbor(['batch', 'bad.jsonl', '--queue', redisUrl, '--queue-name', badQueue]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^ARBOR_BATCH_FILE: bad\.jsonl:2: invalid task: task: .*Nothing was enqueued/m);
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(badQueue, { connection });
    expect(await queue.count()).toBe(0);
    await queue.close();
    connection.disconnect();
  });

  it('says how to name the queue, and when it cannot reach it', async () => {
    writeFileSync(join(cwd, 'one.jsonl'), '{"environment":"test/ledger","task":"pay-1"}\n');
    const missing = await arbor(['batch', 'one.jsonl'], { env: { ARBOR_QUEUE: '' } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^ARBOR_USAGE: No work queue given \(Pass --queue redis:\/\/host:6379 or set ARBOR_QUEUE\.\)/m);
    const unreachable = await arbor(['worker', '--queue', 'redis://:secret@127.0.0.1:1']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/^ARBOR_QUEUE: The work queue at redis:\/\/:\*\*\*@127\.0\.0\.1:1 failed/m);
    expect(unreachable.stderr).not.toContain('secret');
  });

  it('worker says where it takes jobs from, and stops cleanly on SIGTERM (exit 0)', async () => {
    const { code, stderr } = await arbor(
      ['worker', '--queue', redisUrl, '--queue-name', `idle-${ulid()}`, '--plugin', plugin, '--store', join(cwd, 'w.db'), '--rpm', '600'],
      { stop: { when: /Ctrl-C stops/, signal: 'SIGTERM' } },
    );
    expect(stderr).toMatch(/Worker \S+ on redis:\/\/127\.0\.0\.1:\d+\/5 \(idle-\w+\), store .*w\.db, 4 at a time, limits 600 req \/ - tokens per minute per endpoint/);
    expect(stderr).toMatch(/stopped after/);
    expect(code).toBe(0);
  });

  it('bench planners --queue runs the searches on the worker pool and gets the in-process figures', async () => {
    const args = ['bench', 'planners', '--strategies', 'greedy,astar', '--domains', 'warehouse', '--tasks', '1', '--seeds', '1', '--calls', '60', '--json'];
    const local = await arbor([...args, '--out', join(cwd, 'local')]);
    const queued = await arbor([...args, '--out', join(cwd, 'queued'), '--queue', redisUrl, '--queue-name', queueName]);
    expect(local.code).toBe(0);
    expect(queued.code).toBe(0);
    type Row = { strategy: string; domain: string; runs: number; successes: number; meanModelCalls: number; meanTokens: number; meanExpansions: number };
    const pick = (stdout: string) => (JSON.parse(stdout) as { rows: Row[] }).rows.map(({ strategy, domain, runs, successes, meanModelCalls, meanTokens, meanExpansions }) => ({ strategy, domain, runs, successes, meanModelCalls, meanTokens, meanExpansions }));
    expect(pick(queued.stdout)).toEqual(pick(local.stdout));
    expect(pick(queued.stdout).map((row) => row.runs)).toEqual([1, 1, 1, 1]);
  });
});
