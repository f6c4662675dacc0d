import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ActionSpace, defineAction } from '../../actions/index.js';
import type { Environment } from '../../environments/index.js';
import { InvalidRecordError, StepConflictError, StoreCorruptError, StoreVersionError } from '../../errors/index.js';
import { approveAll, Executor } from '../../execution/index.js';
import { fork, replay } from '../../replay/index.js';
import { DenseIndex, EMBEDDING_CACHE_NAMESPACE } from '../../retrieval/index.js';
import { startOpenAITestServer, type OpenAITestServer } from '../../testing/index.js';
import { hashJson } from '../content-hash.js';
import { diffRuns, exportRun, lineage, resolveRunId, resolveStep, runSteps } from '../queries.js';
import { stepIdOf, type GeneratedActionRecord, type SearchNodeRecord, type Store, type StepWrite } from '../store.js';
import { runRecord, stepWrite } from './step-fixtures.js';

/**
 * How the conformance suite reaches one kind of store. Everything else in the suite is the same for every
 * store: the same cases, run unchanged (like Hono's shared router cases).
 */
export interface StoreHarness {
  /** A location for a new, empty store; a different one on every call. */
  freshLocation(): Promise<string>;
  /** Opens the store at `location` (creating and migrating it when new), as `openStore` would. */
  open(location: string): Promise<Store>;
  /** Marks the (closed) store at `location` as written by a newer Arbor, at schema `version`. */
  markNewerSchema(location: string, version: number): Promise<void>;
  /** Puts another application's data where a store would go (a fresh location), to see it refused. */
  makeForeign(location: string): Promise<void>;
  /** A digest of everything stored at `location` (closed), to prove a refused store was left untouched. */
  fingerprint(location: string): Promise<string>;
}

const CHILD = fileURLToPath(new URL('../../../dist/provenance/conformance/fixtures/write-steps-child.js', import.meta.url));

/** A counter world whose `bump` draws recorded nondeterminism, and an irreversible `publish`. */
function counterEnvironment(spy?: (action: string) => void): Environment {
  let value = 0;
  const actions = new ActionSpace([
    defineAction({
      name: 'bump',
      description: 'Add to the counter, with a little recorded noise.',
      input: z.object({ by: z.number() }),
      effect: 'write',
      run: ({ by }, ctx) => {
        spy?.('bump');
        value += by;
        return { value, noise: Math.floor(ctx.random() * 1000), at: ctx.now() };
      },
    }),
    defineAction({
      name: 'publish',
      description: 'Publish the counter.',
      input: z.object({}),
      effect: 'irreversible',
      run: () => {
        spy?.('publish');
        return { published: value };
      },
    }),
  ]);
  return { name: 'test/counter', actions, observe: () => ({ value }) };
}

/** The store conformance suite: every case any `Store` implementation must pass. */
export function describeStoreConformance(name: string, getHarness: () => StoreHarness): void {
  describe(`Store conformance: ${name}`, () => {
    let harness: StoreHarness;
    let location: string;
    let store: Store;
    const opened: Store[] = [];
    const open = async (at: string) => {
      const handle = await harness.open(at);
      opened.push(handle);
      return handle;
    };

    beforeEach(async () => {
      harness = getHarness();
      location = await harness.freshLocation();
      store = await open(location);
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((handle) => handle.close()));
    });

    describe('runs', () => {
      it('round-trips a run and patches its status, end and metadata', async () => {
        const run = runRecord('R1', { task: 'Ship order ord-1', environment: 'demo/orders', metadata: { who: 'ci', nested: { n: [1, 2] } } });
        await store.createRun(run);
        expect(await store.getRun('R1')).toEqual(run);
        await store.updateRun('R1', { status: 'succeeded', endedAt: run.createdAt + 5, metadata: { who: 'ci', done: true } });
        expect(await store.getRun('R1')).toEqual({ ...run, status: 'succeeded', endedAt: run.createdAt + 5, metadata: { who: 'ci', done: true } });
        await store.updateRun('R1', {});
        expect(await store.getRun('missing')).toBeUndefined();
      });

      it('refuses a second run with the same id', async () => {
        await store.createRun(runRecord('R1'));
        await expect(store.createRun(runRecord('R1'))).rejects.toMatchObject({ code: 'ARBOR_STORE' });
      });

      it('lists runs newest first, filtered by status, text and time, in pages, with their step counts', async () => {
        const base = 1_800_000_000_000;
        await store.createRun(runRecord('01A', { createdAt: base, status: 'succeeded', task: 'Refund 50%_off order' }));
        await store.createRun(runRecord('01B', { createdAt: base + 1, status: 'failed', environment: 'demo/orders' }));
        await store.createRun(runRecord('01C', { createdAt: base + 2, status: 'running', task: 'write REPORT' }));
        for (let seq = 0; seq < 3; seq++) await store.insertStep(stepWrite('01B', seq));
        const all = await store.listRuns();
        expect(all.map((run) => run.id)).toEqual(['01C', '01B', '01A']);
        expect(all.map((run) => run.stepCount)).toEqual([0, 3, 0]);
        expect((await store.listRuns({ status: 'failed' })).map((run) => run.id)).toEqual(['01B']);
        expect((await store.listRuns({ status: ['succeeded', 'running'] })).map((run) => run.id)).toEqual(['01C', '01A']);
        expect((await store.listRuns({ text: 'report' })).map((run) => run.id)).toEqual(['01C']);
        expect((await store.listRuns({ text: 'DEMO/' })).map((run) => run.id)).toEqual(['01B']);
        expect((await store.listRuns({ text: '50%_' })).map((run) => run.id)).toEqual(['01A']);
        expect((await store.listRuns({ text: '%' })).map((run) => run.id)).toEqual(['01A']);
        expect((await store.listRuns({ text: '01b' })).map((run) => run.id)).toEqual(['01B']);
        expect((await store.listRuns({ since: base + 1, until: base + 2 })).map((run) => run.id)).toEqual(['01B']);
        expect((await store.listRuns({ limit: 1, offset: 1 })).map((run) => run.id)).toEqual(['01B']);
      });

      it('resolves unique id prefixes and refuses ambiguous or unknown ones', async () => {
        for (const id of ['01HAAA1', '01HAAB2', '01HBCC3']) await store.createRun(runRecord(id));
        expect(await store.findRunIds('01HA')).toEqual(['01HAAA1', '01HAAB2']);
        expect(await store.findRunIds('01HA', 1)).toEqual(['01HAAA1']);
        expect(await resolveRunId(store, '01hb')).toBe('01HBCC3');
        expect(await resolveRunId(store, '01HAAB2')).toBe('01HAAB2');
        await expect(resolveRunId(store, '01HA')).rejects.toMatchObject({ code: 'ARBOR_USAGE' });
        await expect(resolveRunId(store, 'ZZ')).rejects.toMatchObject({ code: 'ARBOR_NOT_FOUND' });
      });
    });

    describe('steps', () => {
      it('round-trips every field of a step, with errors, nondeterminism and unicode', async () => {
        await store.createRun(runRecord('R1'));
        const error = { name: 'ActionFailedError', code: 'ARBOR_ACTION_FAILED', message: 'boom — ünïcode ✓', hint: 'try again' };
        const write = stepWrite('R1', 0, {
          input: { text: 'naïve café 🌳', list: [1, 2.5, null, true], nested: { deep: 'x' } },
          output: undefined,
          status: 'failed',
          error,
          depth: 0,
          kind: 'action',
          action: 'send_email',
          effect: 'irreversible',
          parentStepId: null,
          attempt: 2,
          durationUs: 123_456_789_012,
          nondeterminism: [{ kind: 'now', value: 1_700_000_000_123 }, { kind: 'random', value: 0.25 }, { kind: 'record', key: 'quote', value: { cents: 450 } }],
          metadata: { approval: { approved: true, by: 'cli' } },
        });
        await store.insertStep(write);
        const { inputJson, outputJson: _outputJson, ...rest } = write;
        const expected = { ...rest, input: JSON.parse(inputJson) as unknown, output: undefined };
        expect(await store.getStep('R1:0')).toEqual(expected);
        expect(await store.listSteps('R1')).toEqual([expected]);
        expect(await store.getStep('R1:1')).toBeUndefined();
        expect(await store.getStep('not-a-step-id')).toBeUndefined();
        expect(await store.getStep('R1:x')).toBeUndefined();
      });

      it('treats rewriting an identical step as a no-op and a different one as a conflict', async () => {
        await store.createRun(runRecord('R1'));
        await store.insertStep(stepWrite('R1', 0));
        await store.insertStep(stepWrite('R1', 0));
        await expect(store.insertStep(stepWrite('R1', 0, { output: { other: 1 } }))).rejects.toBeInstanceOf(StepConflictError);
        await expect(store.insertStep(stepWrite('R1', 0, { status: 'failed' }))).rejects.toMatchObject({ code: 'ARBOR_STEP_CONFLICT' });
        expect(await store.listSteps('R1')).toHaveLength(1);
        expect(await store.nextSeq('R1')).toBe(1);
      });

      it('refuses a step of a run that does not exist with a typed store error', async () => {
        await expect(store.insertStep(stepWrite('nope', 0))).rejects.toMatchObject({ code: 'ARBOR_STORE' });
      });

      it('counts the next seq after the highest one recorded, or from a fork point', async () => {
        await store.createRun(runRecord('R1'));
        expect(await store.nextSeq('R1')).toBe(0);
        expect(await store.nextSeq('R1', 7)).toBe(7);
        for (const seq of [0, 1, 4]) await store.insertStep(stepWrite('R1', seq));
        expect(await store.nextSeq('R1')).toBe(5);
        expect(await store.nextSeq('R1', 9)).toBe(9);
        expect((await store.listSteps('R1')).map((step) => step.seq)).toEqual([0, 1, 4]);
      });

      it('completes an in-doubt intent row once; completing any other step is a conflict', async () => {
        await store.createRun(runRecord('R1'));
        const intent = stepWrite('R1', 0, { effect: 'irreversible', status: 'running', output: undefined, endedAt: null, durationUs: null });
        await store.insertStep(intent);
        expect(await store.getStep('R1:0')).toMatchObject({ status: 'running', output: undefined, endedAt: null });
        const big = { receipt: 'r'.repeat(20_000) };
        const done = stepWrite('R1', 0, { effect: 'irreversible', output: big, metadata: { approval: { approved: true, by: 'test' } } });
        await store.completeStep(done);
        expect(await store.getStep('R1:0')).toMatchObject({ status: 'ok', output: big, outputHash: done.outputHash, metadata: { approval: { approved: true, by: 'test' } } });
        await expect(store.completeStep(done)).rejects.toBeInstanceOf(StepConflictError);
        await expect(store.completeStep(stepWrite('R1', 5))).rejects.toBeInstanceOf(StepConflictError);
      });

      it('stores large payloads once, by content hash, and returns them with their steps', async () => {
        await store.createRun(runRecord('R1'));
        const big = { text: 'x'.repeat(100_000), unicode: '🌳'.repeat(2000) };
        const bigInput = { prompt: 'y'.repeat(10_000) };
        for (let seq = 0; seq < 5; seq++) await store.insertStep(stepWrite('R1', seq, { output: big, input: bigInput }));
        const steps = await store.listSteps('R1');
        expect(steps.map((step) => step.output)).toEqual(Array(5).fill(big));
        expect(steps.map((step) => step.input)).toEqual(Array(5).fill(bigInput));
        expect(await store.getBlob(hashJson(big).hash)).toBe(hashJson(big).json);
        expect(await store.getBlob(hashJson(bigInput).hash)).toBe(hashJson(bigInput).json);
      });

      it('keeps blobs content-addressed and idempotent', async () => {
        const json = JSON.stringify({ a: 1, text: 'ü'.repeat(10) });
        const hash = await store.putBlob(json);
        expect(hash).toBe(hashJson({ a: 1, text: 'ü'.repeat(10) }).hash);
        expect(await store.putBlob(json)).toBe(hash);
        expect(await store.getBlob(hash)).toBe(json);
        expect(await store.getBlob('0'.repeat(64))).toBeUndefined();
      });

      it('keeps every committed step when several processes write at once', async () => {
        if (!existsSync(CHILD)) throw new Error(`Build first (npm run build): ${CHILD} is missing`);
        await store.createRun(runRecord('SHARED'));
        const writers = 3;
        const own = 150;
        const shared = 60;
        const outputs = await Promise.all(
          Array.from({ length: writers }, (_, index) => runChild([location, `W${index}`, String(own), 'SHARED', String(shared)])),
        );
        expect(outputs.map((output) => output.code)).toEqual(Array(writers).fill(0));
        for (let index = 0; index < writers; index++) {
          expect((await store.listSteps(`W${index}`)).map((step) => step.seq)).toEqual(Array.from({ length: own }, (_, seq) => seq));
        }
        // Every writer wrote the same shared steps: each exists once, as written.
        const sharedSteps = await store.listSteps('SHARED');
        expect(sharedSteps.map((step) => step.seq)).toEqual(Array.from({ length: shared }, (_, seq) => seq));
        expect(sharedSteps.every((step) => step.outputHash === stepWrite('SHARED', step.seq).outputHash)).toBe(true);
      });
    });

    describe('cache and search nodes', () => {
      it('caches values by namespace and key, replacing on rewrite', async () => {
        expect(await store.getCached('model', 'k1')).toBeUndefined();
        await store.putCached('model', 'k1', '{"text":"one"}');
        await store.putCached('embedding', 'k1', '[0.5,0.25]');
        expect(await store.getCached('model', 'k1')).toBe('{"text":"one"}');
        await store.putCached('model', 'k1', '{"text":"two"}');
        expect(await store.getCached('model', 'k1')).toBe('{"text":"two"}');
        expect(await store.getCached('embedding', 'k1')).toBe('[0.5,0.25]');
      });

      it('replaces search nodes and lists them by parent, in pages', async () => {
        await store.createRun(runRecord('R1'));
        const node = (nodeId: number, parentId: number | null, extra: Partial<SearchNodeRecord> = {}): SearchNodeRecord => ({
          runId: 'R1', nodeId, parentId, depth: parentId === null ? 0 : 1, action: parentId === null ? null : 'bump', input: parentId === null ? null : { by: nodeId },
          status: 'open', stepId: null, g: nodeId, h: 0.5, value: null, visits: 0, data: { note: `n${nodeId}` }, ...extra,
        });
        await store.putSearchNodes([node(0, null), node(1, 0), node(2, 0), node(3, 1)]);
        await store.putSearchNodes([node(1, 0, { status: 'expanded', visits: 3, value: 0.75, stepId: 'R1:0' }), node(2, 0, { status: 'pruned' }), node(2, 0, { status: 'terminal' })]);
        await store.putSearchNodes([]);
        const all = await store.listSearchNodes('R1');
        expect(all.map((n) => [n.nodeId, n.status])).toEqual([[0, 'open'], [1, 'expanded'], [2, 'terminal'], [3, 'open']]);
        expect(all[1]).toEqual(node(1, 0, { status: 'expanded', visits: 3, value: 0.75, stepId: 'R1:0' }));
        expect((await store.listSearchNodes('R1', { parentId: null })).map((n) => n.nodeId)).toEqual([0]);
        expect((await store.listSearchNodes('R1', { parentId: 0 })).map((n) => n.nodeId)).toEqual([1, 2]);
        expect((await store.listSearchNodes('R1', { limit: 2, offset: 1 })).map((n) => n.nodeId)).toEqual([1, 2]);
      });
    });

    describe('record checks', () => {
      const invalid = { code: 'ARBOR_INVALID_RECORD' };

      it('refuses malformed steps with a typed error and writes nothing of them', async () => {
        await store.createRun(runRecord('R1'));
        const bad: Array<Partial<Record<keyof StepWrite, unknown>>> = [
          { id: 'R1:7' },
          { effect: 'dangerous' },
          { status: 'done' },
          { inputJson: '{not json' },
          { inputHash: '' },
          { attempt: 0 },
          { startedAt: Number.NaN },
          { nondeterminism: [{ kind: 'clock', value: 1 }] },
          { metadata: { at: new Map([['a', 1]]) } },
          { error: { message: 'no code' } },
        ];
        for (const overrides of bad) {
          await expect(store.insertStep({ ...stepWrite('R1', 0), ...overrides } as StepWrite), JSON.stringify(Object.keys(overrides))).rejects.toBeInstanceOf(InvalidRecordError);
        }
        expect(await store.listSteps('R1')).toEqual([]);
        await store.insertStep(stepWrite('R1', 0, { output: undefined, status: 'running', endedAt: null, durationUs: null, effect: 'irreversible' }));
        await expect(store.completeStep({ ...stepWrite('R1', 0, { effect: 'irreversible' }), status: 'finished' } as unknown as StepWrite)).rejects.toMatchObject(invalid);
        expect((await store.getStep('R1:0'))?.status).toBe('running');
      });

      it('refuses malformed runs, run updates, search nodes, blobs and cache entries, leaving what was stored', async () => {
        await expect(store.createRun({ ...runRecord('R1'), status: 'paused' } as never)).rejects.toMatchObject(invalid);
        await expect(store.createRun({ ...runRecord('R2'), metadata: { f: () => 1 } } as never)).rejects.toMatchObject(invalid);
        expect(await store.listRuns()).toEqual([]);
        await store.createRun(runRecord('R3', { metadata: { kept: true } }));
        await expect(store.updateRun('R3', { status: 'paused' } as never)).rejects.toMatchObject(invalid);
        await expect(store.updateRun('R3', { metadata: [1] } as never)).rejects.toMatchObject(invalid);
        expect(await store.getRun('R3')).toMatchObject({ status: 'running', metadata: { kept: true } });
        const node: SearchNodeRecord = { runId: 'R3', nodeId: 0, parentId: null, depth: 0, action: null, input: null, status: 'open', stepId: null, g: 0, h: null, value: null, visits: 0, data: {} };
        await expect(store.putSearchNodes([node, { ...node, nodeId: 1, g: Number.NaN }])).rejects.toMatchObject(invalid);
        expect(await store.listSearchNodes('R3')).toEqual([]);
        await expect(store.putBlob(42 as never)).rejects.toMatchObject(invalid);
        await expect(store.putCached('ns', 'k', { not: 'text' } as never)).rejects.toMatchObject(invalid);
        expect(await store.getCached('ns', 'k')).toBeUndefined();
      });

      it('keeps the values the checks admit exactly: large safe integers, fractional times, infinite costs', async () => {
        const run = runRecord('R1', { createdAt: 1_700_000_000_000.5, forkSeq: null });
        await store.createRun(run);
        expect(await store.getRun('R1')).toEqual(run);
        const big = 2 ** 40 + 3;
        const step = stepWrite('R1', big, { parentStepId: null, depth: big, attempt: big, startedAt: 1_700_000_000_000.25, endedAt: 1_700_000_000_001.75, durationUs: 1500.5 });
        await store.insertStep(step);
        expect(await store.getStep(stepIdOf('R1', big))).toMatchObject({ seq: big, depth: big, attempt: big, startedAt: 1_700_000_000_000.25, endedAt: 1_700_000_000_001.75, durationUs: 1500.5 });
        expect(await store.nextSeq('R1')).toBe(big + 1);
        await store.putSearchNodes([{ runId: 'R1', nodeId: big, parentId: null, depth: 0, action: null, input: null, status: 'dead-end', stepId: null, g: Number.POSITIVE_INFINITY, h: -0.125, value: null, visits: big, data: {} }]);
        expect(await store.listSearchNodes('R1')).toMatchObject([{ nodeId: big, g: Number.POSITIVE_INFINITY, h: -0.125, visits: big }]);
      });
    });

    describe('generated actions (the action library)', () => {
      const draft = (name: string, code: string, extra: Partial<GeneratedActionRecord> = {}): Omit<GeneratedActionRecord, 'version'> => ({
        name, description: `does ${name}`, code, codeHash: hashJson(code).hash, inputSchema: { type: 'object', properties: { q: { type: 'string' } } }, outputSchema: null,
        effect: 'read', tags: ['generated', 'ünïcode'], originRunId: null, originStepId: null, createdBy: 'agent', createdAt: 1_700_000_000_000, metadata: { note: 1 }, ...extra,
      });

      it('numbers versions per name, keeps every field, and lists the latest of each name', async () => {
        await store.createRun(runRecord('R1'));
        expect(await store.listGeneratedActions()).toEqual([]);
        const first = await store.addGeneratedAction(draft('b.search', 'v1', { originRunId: 'R1', originStepId: 'R1:3', createdBy: 'user', outputSchema: { type: 'array' } }));
        expect(first).toEqual({ ...draft('b.search', 'v1', { originRunId: 'R1', originStepId: 'R1:3', createdBy: 'user', outputSchema: { type: 'array' } }), version: 1 });
        expect((await store.addGeneratedAction(draft('b.search', 'v22'))).version).toBe(2);
        expect((await store.addGeneratedAction(draft('a.fetch', 'v1', { effect: 'write' }))).version).toBe(1);
        expect((await store.listGeneratedActions()).map((record) => `${record.name}@${record.version}`)).toEqual(['a.fetch@1', 'b.search@2']);
        expect((await store.listGeneratedActions({ name: 'b.search' })).map((record) => record.code)).toEqual(['v1', 'v22']);
        expect(await store.getGeneratedAction('b.search')).toMatchObject({ version: 2, code: 'v22' });
        expect(await store.getGeneratedAction('b.search', 1)).toEqual(first);
        expect(await store.getGeneratedAction('b.search', 3)).toBeUndefined();
        expect(await store.getGeneratedAction('missing')).toBeUndefined();
        expect(await store.listGeneratedActions({ name: 'missing' })).toEqual([]);
      });

      it('gives concurrent saves of one name distinct versions, from two handles', async () => {
        const other = await open(location);
        const saved = await Promise.all(Array.from({ length: 8 }, (_, index) => (index % 2 === 0 ? store : other).addGeneratedAction(draft('shared', `v${index}`))));
        expect(saved.map((record) => record.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        expect((await other.listGeneratedActions({ name: 'shared' })).map((record) => record.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      });
    });

    describe('embedding cache', () => {
      let server: OpenAITestServer;
      beforeAll(async () => {
        server = await startOpenAITestServer();
      });
      afterAll(async () => {
        await server.close();
      });

      it('keeps vectors a real embedding model returned, so a second handle embeds nothing again', async () => {
        const model = createOpenAICompatible({ name: 'loopback', baseURL: server.baseURL, apiKey: 'test' }).embeddingModel('test-embed');
        const first = new DenseIndex({ model, store });
        first.set('weather', 'Weather forecast: rain and wind');
        first.set('invoice', 'Send an invoice to a customer');
        await first.sync();
        const [query] = await first.embed(['rain tomorrow']);
        expect(first.embedded).toBe(3);

        const second = new DenseIndex({ model, store: await open(location) });
        second.set('weather', 'Weather forecast: rain and wind');
        second.set('invoice', 'Send an invoice to a customer');
        second.set('maps', 'Driving route between two places');
        await second.sync();
        const [again] = await second.embed(['rain tomorrow']);
        // Only the new text went to the model: the other two vectors and the query came from the store.
        expect(second.embedded).toBe(1);
        expect(server.requestsTo('embeddings').flatMap((request) => (request.body as { input: string[] }).input).slice(-1)).toEqual(['Driving route between two places']);
        expect(again).toEqual(query);
        const others = (name: string) => name !== 'maps';
        expect(second.nearest(again!, 2, others)).toEqual(first.nearest(query!, 2));
      });

      it('reads an entry written under the embedding namespace by another handle', async () => {
        const other = await open(location);
        await other.putCached(EMBEDDING_CACHE_NAMESPACE, 'm:h', JSON.stringify({ dimensions: 2, vector: 'AACAPwAAAAA=' }));
        expect(await store.getCached(EMBEDDING_CACHE_NAMESPACE, 'm:h')).toBe('{"dimensions":2,"vector":"AACAPwAAAAA="}');
      });
    });

    describe('runs recorded by the executor', () => {
      async function recordCounterRun(steps: number, withPublish = false): Promise<string> {
        const environment = counterEnvironment();
        const executor = new Executor({ store, actions: environment.actions, observe: environment.observe, approval: approveAll });
        const run = await executor.startRun({ task: 'count', environment: environment.name });
        for (let i = 0; i < steps; i++) await run.execute('bump', { by: i });
        if (withPublish) await run.execute('publish', {});
        await run.end();
        return run.id;
      }

      it('replays a run (verify and reuse) without re-executing its irreversible step', async () => {
        const runId = await recordCounterRun(8, true);
        const calls: string[] = [];
        const verified = await replay(store, runId, { mode: 'verify', environment: counterEnvironment((action) => calls.push(action)) });
        expect(verified.divergence).toBeNull();
        expect(verified.matched).toBe(8);
        expect(verified.skipped.map((step) => step.action)).toEqual(['publish']);
        expect(calls).toEqual(Array(8).fill('bump'));
        expect(await store.getRun(verified.replayRunId ?? '')).toMatchObject({ status: 'succeeded', metadata: { replayOf: runId } });
        const reused = await replay(store, runId, { mode: 'reuse' });
        expect(reused.steps.map((step) => (step.output as { value?: number }).value)).toEqual([0, 1, 3, 6, 10, 15, 21, 28, undefined]);
      });

      it('forks a run sharing its prefix, and follows lineage and diffs across the fork', async () => {
        const runId = await recordCounterRun(6);
        const forked = await fork(store, runId, { at: 3, change: { input: { by: 100 } }, environment: counterEnvironment() });
        expect((await store.listSteps(forked.run.id)).map((step) => step.seq)).toEqual([3, 4, 5]);
        const steps = await runSteps(store, forked.run.id);
        expect(steps.map((step) => step.runId)).toEqual([runId, runId, runId, forked.run.id, forked.run.id, forked.run.id]);
        expect((await lineage(store, stepIdOf(forked.run.id, 4))).map((step) => step.id)).toEqual([
          stepIdOf(runId, 0), stepIdOf(runId, 1), stepIdOf(runId, 2), stepIdOf(forked.run.id, 3), stepIdOf(forked.run.id, 4),
        ]);
        const diff = await diffRuns(store, runId, forked.run.id);
        expect(diff.firstDivergence).toBe(3);
        expect(diff.entries.map((entry) => entry.kind)).toEqual(['same', 'same', 'same', 'changed', 'changed', 'changed']);
        expect(diff.entries.slice(0, 3).every((entry) => entry.shared)).toBe(true);
        expect((await resolveStep(store, forked.run.id, 1)).id).toBe(stepIdOf(runId, 1));
        const exported = await exportRun(store, forked.run.id);
        expect(exported.steps).toHaveLength(6);
        expect(exported.run.parentRunId).toBe(runId);
      });

      it('resumes a run from its last committed step and leaves an in-doubt irreversible step alone', async () => {
        const environment = counterEnvironment();
        const executor = new Executor({ store, actions: environment.actions, observe: environment.observe, approval: approveAll });
        const run = await executor.startRun({ task: 'count', environment: environment.name });
        for (let i = 0; i < 3; i++) await run.execute('bump', { by: 1 });
        // The process died while `publish` ran: only its write-ahead intent is recorded.
        await store.insertStep(stepWrite(run.id, 3, { action: 'publish', effect: 'irreversible', status: 'running', output: undefined, endedAt: null, durationUs: null, input: {} }));

        const calls: string[] = [];
        const other = await open(location);
        const elsewhere = counterEnvironment((action) => calls.push(action));
        const resumed = await new Executor({ store: other, actions: elsewhere.actions, observe: elsewhere.observe, approval: approveAll }).resumeRun(run.id);
        expect(resumed.nextSeq).toBe(4);
        expect(resumed.head).toBe(stepIdOf(run.id, 2));
        const next = await resumed.execute('bump', { by: 10 });
        expect(next.step.id).toBe(stepIdOf(run.id, 4));
        await resumed.end('succeeded');
        expect(calls).toEqual(['bump']);
        const steps = await store.listSteps(run.id);
        expect(steps.map((step) => [step.seq, step.action, step.status])).toEqual([
          [0, 'bump', 'ok'], [1, 'bump', 'ok'], [2, 'bump', 'ok'], [3, 'publish', 'running'], [4, 'bump', 'ok'],
        ]);
        await expect(new Executor({ store, actions: environment.actions }).resumeRun(run.id)).rejects.toMatchObject({ code: 'ARBOR_RUN_CLOSED' });
      });
    });

    describe('opening', () => {
      it('migrates once when several handles open a new store at the same time', async () => {
        const at = await harness.freshLocation();
        const handles = await Promise.all(Array.from({ length: 4 }, () => open(at)));
        await handles[0]?.createRun(runRecord('R1'));
        await handles[3]?.insertStep(stepWrite('R1', 0));
        expect(await handles[1]?.listSteps('R1')).toHaveLength(1);
        const reopened = await open(at);
        expect(await reopened.getRun('R1')).toMatchObject({ id: 'R1' });
      });

      it('refuses a store of a newer schema version, with a typed error, and leaves it untouched', async () => {
        await store.createRun(runRecord('R1'));
        await store.insertStep(stepWrite('R1', 0));
        await store.close();
        await harness.markNewerSchema(location, 99);
        const before = await harness.fingerprint(location);
        const error = await harness.open(location).then(
          async (unexpected) => (await unexpected.close(), undefined),
          (caught: unknown) => caught,
        );
        expect(error).toBeInstanceOf(StoreVersionError);
        expect((error as StoreVersionError).found).toBe(99);
        expect((error as StoreVersionError).hint).toMatch(/untouched/);
        expect(await harness.fingerprint(location)).toBe(before);
      });

      it('refuses the data of another application, with a typed error, and leaves it untouched', async () => {
        const at = await harness.freshLocation();
        await harness.makeForeign(at);
        const before = await harness.fingerprint(at);
        await expect(harness.open(at)).rejects.toBeInstanceOf(StoreCorruptError);
        await expect(harness.open(at)).rejects.toThrow(/another application/);
        expect(await harness.fingerprint(at)).toBe(before);
      });
    });
  });
}

function runChild(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => {
      if (code !== 0) console.error(output);
      resolve({ code, output });
    });
  });
}
