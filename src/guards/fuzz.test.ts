import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ActionSpace, defineAction, validateWith } from '../actions/index.js';
import { parseConfig, loadConfig } from '../config/index.js';
import { parseFsmDomain } from '../environments/fsm/index.js';
import { ArborError } from '../errors/index.js';
import { approveAll, Executor, type Run } from '../execution/index.js';
import { createTempStore } from '../internal/temp-store.js';
import { hashJson, type RunRecord, type StepWrite } from '../provenance/index.js';
import type { SqliteStore } from '../provenance/sqlite/sqlite-store.js';
import { commandGrammar, createGuards, defineStages, definePolicy, guardsConfigSchema, guardsFromConfig, oneOf, parseCommandTemplates, pathUnder } from './index.js';
import { safeParse } from '../internal/safe-parse.js';

/*
 * Fuzzed bad input: fast-check generates malformed values for every entry point that takes input from
 * outside (validators, action and guard definitions, the executor, the FSM environment loader, the config
 * loader, the store). Each must answer with a typed ArborError (or accept the value), never crash, and
 * never leave a partially written step. FUZZ_RUNS scales the run counts (CI: 1); FUZZ_SEED replays a failure.
 */

const scale = Number(process.env.FUZZ_RUNS ?? '1');
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
let total = 0;
const runs = (count: number) => {
  const numRuns = Math.max(1, Math.round(count * scale));
  total += numRuns;
  return { numRuns, ...(seed === undefined ? {} : { seed }) };
};

/** Whether something thrown is one of Arbor's typed errors (a stable ARBOR_* code). */
function isTyped(error: unknown): boolean {
  return ArborError.isInstance(error) && /^ARBOR_[A-Z_]+$/.test(error.code) && error.message.length > 0;
}

function expectTypedOrValue(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!isTyped(error)) throw new Error(`untyped error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, { cause: error });
  }
}

async function expectTypedOrValueAsync(fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (error) {
    if (!isTyped(error)) throw new Error(`untyped error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, { cause: error });
    return false;
  }
}

/** Anything JavaScript can hold, the nasty parts included. */
const anything = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
  maxDepth: 4,
});

/** A valid value with one spot replaced by something random: the hard case for validators. */
function mutated<T>(valid: T, replacement: fc.Arbitrary<unknown> = anything): fc.Arbitrary<unknown> {
  const paths: (string | number)[][] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    paths.push(path);
    if (Array.isArray(value)) value.forEach((item, index) => walk(item, [...path, index]));
    else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) for (const [key, item] of Object.entries(value)) walk(item, [...path, key]);
  };
  walk(valid, []);
  return fc.tuple(fc.constantFrom(...paths), replacement, fc.boolean()).map(([path, value, remove]) => {
    if (path.length === 0) return value;
    // Copy only the containers on the path: the rest (functions, zod schemas) is shared as it is.
    const shallow = (container: unknown) => (Array.isArray(container) ? [...container] : { ...(container as object) }) as Record<string | number, unknown>;
    const copy = shallow(valid);
    let parent = copy;
    for (const key of path.slice(0, -1)) {
      parent[key] = shallow(parent[key]);
      parent = parent[key] as Record<string | number, unknown>;
    }
    const last = path.at(-1) as string | number;
    if (remove && !Array.isArray(parent)) delete parent[last];
    else parent[last] = value;
    return copy;
  });
}

let store: SqliteStore;
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(() => {
  ({ store, dir, cleanup } = createTempStore('arbor-fuzz-'));
});
afterAll(async () => {
  await cleanup();
  console.info(`fuzz: ${total} generated bad inputs, every one a typed error or accepted, no crash, no partial step`);
});

describe('fuzz: validators and definitions', () => {
  const schemas = [
    z.object({ orderId: z.string().regex(/^ord-\d+$/), quantity: z.number().int().positive() }),
    z.object({ lines: z.array(z.object({ sku: z.string().min(1), quantity: z.number().int() })).min(1), note: z.string().max(10).optional() }),
    z.discriminatedUnion('kind', [z.object({ kind: z.literal('a'), a: z.number() }), z.object({ kind: z.literal('b'), b: z.boolean() })]),
    z.strictObject({ to: z.email(), when: z.iso.datetime().optional(), tags: z.record(z.string(), z.string()) }),
  ];

  it('validateWith never throws and reports issues with paths', () => {
    fc.assert(
      fc.property(fc.constantFrom(...schemas.keys()), anything, (index, value) => {
        const result = validateWith(schemas[index] as z.ZodType, value);
        if (!result.ok) {
          expect(result.issues.length).toBeGreaterThan(0);
          for (const issue of result.issues) expect(Array.isArray(issue.path) && typeof issue.message === 'string').toBe(true);
        }
      }),
      runs(2000),
    );
  });

  it('defineAction accepts a definition or refuses it with InvalidDefinitionError', () => {
    const valid = { name: 'ok_action', description: 'd', input: z.object({}), effect: 'write', cost: 1, tags: ['t'], stages: ['a'], retry: { maxAttempts: 2 }, run: () => null };
    fc.assert(
      fc.property(mutated(valid), (definition) => {
        expectTypedOrValue(() => defineAction(definition as Parameters<typeof defineAction>[0]));
      }),
      runs(1000),
    );
  });

  it('policies, stage machines and guard configs from data are accepted or refused with a typed error', () => {
    const policy = { mode: 'first-match', default: 'allow', rules: [{ id: 'r', decision: 'deny', action: ['fs.*'], effect: 'write', source: { kind: 'mcp', name: 'fs' }, args: { path: '/etc/**', n: { min: 1 }, x: { regex: 'a+' } } }] };
    const stages = { name: 's', initial: 'a', stages: { a: { allow: ['x*'] }, b: { deny: ['y'] } }, transitions: [{ from: 'a', on: 'x1', to: 'b' }, { from: ['*'], on: ['z'], to: 'a' }] };
    const masks = { 'fs.*': { path: { pathUnder: '/srv' }, cmd: { grammar: ['git status', 'ls [<d:path>]'] }, id: { valuesAt: 'orders[].id' }, sku: { pattern: '[a-z]+' } } };
    fc.assert(
      fc.property(fc.oneof(mutated(policy), anything), (definition) => expectTypedOrValue(() => definePolicy(definition as never))),
      runs(800),
    );
    fc.assert(
      fc.property(fc.oneof(mutated(stages), anything), (definition) => expectTypedOrValue(() => defineStages(definition as never))),
      runs(800),
    );
    fc.assert(
      fc.property(mutated({ stages, masks, policy }), (config) => {
        const parsed = safeParse(guardsConfigSchema, config);
        if (parsed.success) expectTypedOrValue(() => guardsFromConfig(parsed.data));
      }),
      runs(800),
    );
  });

  it('command grammars and path masks judge any value without throwing; bad templates are typed errors', () => {
    const grammar = commandGrammar(['git status', 'git log [--oneline] [-n <count:int>]', 'ls [-l] [<dir:path>]', 'cat <file:path>...', 'git (diff|show) [<rev:word>]'], { root: dir });
    const paths = pathUnder(dir);
    const shellish = fc.stringMatching(/^[a-z \-;&|$`'"()<>*./\\\n0-9]{0,40}$/);
    fc.assert(
      fc.property(fc.oneof(shellish, fc.string({ unit: 'binary' }), anything), (value) => {
        for (const mask of [grammar, paths]) {
          const verdict = mask.check(value as never, undefined);
          expect(typeof verdict.ok).toBe('boolean');
          if (!verdict.ok) expect(verdict.reason.length).toBeGreaterThan(0);
        }
      }),
      runs(1500),
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.stringMatching(/^[a-z[\]()|<>:. ]{0,20}$/), anything), { maxLength: 4 }), (templates) => expectTypedOrValue(() => parseCommandTemplates(templates as string[]))),
      runs(500),
    );
  });
});

describe('fuzz: the executor', () => {
  it('answers every bad call with a typed error, records exactly one complete step per call, and never a partial one', async () => {
    const state = { orders: [{ id: 'ord-1' }, { id: 'ord-2' }] };
    const actions = new ActionSpace([
      defineAction({ name: 'get_order', description: 'g', input: z.object({ orderId: z.string().regex(/^ord-\d+$/) }), effect: 'read', masks: { orderId: oneOf((s) => (s as typeof state).orders.map((order) => order.id)) }, run: ({ orderId }) => ({ orderId }) }),
      defineAction({ name: 'add_lines', description: 'a', input: z.object({ lines: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive() })).max(5) }), effect: 'write', postconditions: [{ name: 'few', check: (input) => input.lines.length < 4 }], run: ({ lines }) => ({ count: lines.length }) }),
      defineAction({ name: 'echo', description: 'e', input: z.unknown(), effect: 'read', run: (input) => input }),
      defineAction({ name: 'pay', description: 'p', input: z.object({ amount: z.number().positive() }).loose(), effect: 'irreversible', run: ({ amount }) => ({ amount }) }),
    ]);
    const guards = createGuards({ policy: { rules: [{ decision: 'deny', action: 'pay', args: { amount: { min: 1000 } } }] } });
    const executor = new Executor({ store, actions, observe: () => state, guards: [...guards.guards], approval: approveAll });
    const run: Run = await executor.startRun({ task: 'fuzz', stopOnBlocked: false });
    let calls = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('get_order', 'add_lines', 'echo', 'pay'), fc.oneof(anything, fc.jsonValue()), async (name, input) => {
        calls++;
        const result = await run.execute(name, input);
        if (!result.ok) {
          expect(isTyped(result.error), String(result.error)).toBe(true);
          expect(['failed', 'blocked']).toContain(result.status);
        }
        expect(result.step.status).toBe(result.status);
      }),
      runs(1500),
    );
    // Unknown action names are refused before anything is recorded.
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 30 }).filter((name) => !actions.has(name)), anything, async (name, input) => {
        const before = await store.nextSeq(run.id);
        const recorded = await expectTypedOrValueAsync(() => run.execute(name, input));
        expect(recorded).toBe(false);
        expect(await store.nextSeq(run.id)).toBe(before);
      }),
      runs(300),
    );
    const steps = await store.listSteps(run.id);
    expect(steps).toHaveLength(calls);
    expect(steps.map((step) => step.seq)).toEqual(steps.map((_, index) => index));
    for (const step of steps) {
      expect(step.status).not.toBe('running');
      expect(step.endedAt).not.toBeNull();
      if (step.status !== 'ok') expect(step.error?.code).toMatch(/^ARBOR_[A-Z_]+$/);
    }
  });
});

describe('fuzz: the FSM environment loader', () => {
  // A small valid domain: a parse that succeeds checks every task's reference solution, so big domains are slow.
  const text = readFileSync(new URL('./fixtures/door-domain.yaml', import.meta.url), 'utf8');
  const domain = parseYaml(text) as Record<string, unknown>;

  it('refuses random text, damaged text and damaged structure with EnvironmentFileError naming a position', () => {
    const damagedText = fc.tuple(fc.nat({ max: text.length }), fc.nat({ max: 40 }), fc.string({ maxLength: 12 })).map(([at, cut, insert]) => text.slice(0, at) + insert + text.slice(at + cut));
    const damagedStructure = mutated(domain, fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 20 }), fc.constantFrom('key == ', '!(', 'count(', 'open &&', 'nothing.here', '1/0'))).map((value) => JSON.stringify(value) ?? 'null');
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), damagedText, damagedStructure), (candidate) => {
        try {
          parseFsmDomain(candidate, 'fuzz.yaml');
        } catch (error) {
          if (!isTyped(error)) throw error;
          expect((error as ArborError).code).toBe('ARBOR_ENVIRONMENT_FILE');
          expect((error as ArborError).message).toMatch(/^fuzz\.yaml:\d+:\d+: /);
        }
      }),
      runs(1000),
    );
  });
});

describe('fuzz: the config loader', () => {
  const valid = {
    name: 'fuzzed',
    mcpServers: { fs: { command: 'node', args: ['server.js'], tools: { write_file: { effect: 'irreversible' } } }, remote: { url: 'https://example.com/mcp' } },
    stages: { initial: 'a', stages: { a: { allow: ['fs.*'] }, b: {} }, transitions: [{ from: 'a', on: 'fs.write_file', to: 'b' }] },
    masks: { 'fs.*': { path: { pathUnder: '/srv' } } },
    policy: { rules: [{ id: 'x', decision: 'ask', effect: 'irreversible', args: { path: ['/etc/**'] } }] },
  };

  it('parseConfig accepts a configuration or refuses it with ConfigError naming the field', () => {
    fc.assert(
      fc.property(fc.oneof(mutated(valid), anything), (config) => {
        try {
          parseConfig(config, 'arbor.config.json');
        } catch (error) {
          if (!isTyped(error)) throw error;
          expect((error as ArborError).code).toBe('ARBOR_CONFIG_INVALID');
        }
      }),
      runs(1500),
    );
  });

  it('loadConfig refuses damaged files with a typed error', async () => {
    const json = JSON.stringify(valid, null, 2);
    const file = join(dir, 'arbor.config.json');
    await fc.assert(
      fc.asyncProperty(fc.tuple(fc.nat({ max: json.length }), fc.nat({ max: 20 }), fc.string({ maxLength: 8 })), async ([at, cut, insert]) => {
        writeFileSync(file, json.slice(0, at) + insert + json.slice(at + cut));
        await expectTypedOrValueAsync(() => loadConfig({ cwd: dir }));
      }),
      runs(300),
    );
  });
});

describe('fuzz: the store', () => {
  it('writes a step whole or not at all: bad records are typed errors and leave nothing behind', async () => {
    const runRecord: RunRecord = { id: 'fuzz-run', status: 'running', task: 't', environment: null, parentRunId: null, forkSeq: null, createdAt: 1, endedAt: null, metadata: {} };
    await store.createRun(runRecord);
    const input = hashJson({ a: 1, text: 'x'.repeat(5000) });
    const output = hashJson({ ok: true });
    let seq = 0;
    const validStep = (): StepWrite => {
      const next = seq++;
      return {
        id: `fuzz-run:${next}`, runId: 'fuzz-run', seq: next, parentStepId: null, depth: 0, kind: 'action', action: 'a', effect: 'write',
        inputJson: input.json, inputHash: input.hash, outputJson: output.json, outputHash: output.hash, status: 'ok', error: null,
        startedAt: 1, endedAt: 2, durationUs: 3, attempt: 1, nondeterminism: [{ kind: 'random', value: 0.5 }], metadata: { guards: { policy: { decision: 'allow' } } },
      };
    };
    const accepted = new Map<string, StepWrite>();
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated(validStep()), anything), async (candidate) => {
        // Keep a mutated step's identity unique so that its outcome is its own (not a conflict with an earlier one).
        if (candidate !== null && typeof candidate === 'object' && !Array.isArray(candidate) && (candidate as StepWrite).runId === 'fuzz-run' && (candidate as StepWrite).seq === 0) {
          const next = seq++;
          Object.assign(candidate, { seq: next, id: (candidate as StepWrite).id === 'fuzz-run:0' ? `fuzz-run:${next}` : (candidate as StepWrite).id });
        }
        const written = await expectTypedOrValueAsync(() => store.insertStep(candidate as StepWrite));
        const id = (candidate as Partial<StepWrite> | null)?.id;
        // A refused step left nothing under its id (unless an accepted one had it already).
        if (!written && typeof id === 'string' && !accepted.has(id)) expect(await store.getStep(id)).toBeUndefined();
        if (written) expect(await store.getStep((candidate as StepWrite).id)).toBeDefined();
        if (written) accepted.set((candidate as StepWrite).id, candidate as StepWrite);
      }),
      runs(1500),
    );
    // Whatever was accepted reads back whole, as written.
    const stored = await store.listSteps('fuzz-run');
    expect(stored).toHaveLength(accepted.size);
    for (const step of stored) {
      const written = accepted.get(step.id) as StepWrite;
      expect(step.input).toEqual(JSON.parse(written.inputJson));
      expect(step.output).toEqual(written.outputJson === null ? undefined : JSON.parse(written.outputJson));
      // As JSON reads them: dates become ISO text, non-finite numbers null (see record-checks.ts).
      expect([step.status, step.metadata, step.error]).toEqual(JSON.parse(JSON.stringify([written.status, written.metadata, written.error])));
    }
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated({ ...runRecord, id: 'r2' }), anything), async (candidate) => {
        const id = (candidate as RunRecord | null)?.id;
        const written = await expectTypedOrValueAsync(() => store.createRun(candidate as RunRecord));
        if (written && typeof id === 'string') expect(await store.getRun(id)).toBeDefined();
      }),
      runs(400),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(mutated({ runId: 'fuzz-run', nodeId: 1, parentId: null, depth: 0, action: 'a', input: { x: 1 }, status: 'open', stepId: null, g: 0, h: null, value: 0.5, visits: 0, data: {} }), anything), { maxLength: 3 }), async (nodes) => {
        const before = (await store.listSearchNodes('fuzz-run')).length;
        const written = await expectTypedOrValueAsync(() => store.putSearchNodes(nodes as never));
        if (!written) expect((await store.listSearchNodes('fuzz-run')).length).toBe(before);
      }),
      runs(400),
    );
  });

  it('ran at least 10,000 generated bad inputs', () => {
    expect(total).toBeGreaterThanOrEqual(10_000 * Math.min(1, scale));
  });
});
