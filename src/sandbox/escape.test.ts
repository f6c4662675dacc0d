import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAction } from '../actions/index.js';
import { createOrdersEnvironment, type Environment } from '../environments/index.js';
import { Executor, type StepResult } from '../execution/index.js';
import { openStore, type StepRecord, type Store } from '../provenance/index.js';
import { createRunCodeAction } from './run-code-action.js';
import { Sandbox } from './sandbox.js';

/*
 * Agent code trying to get out of the sandbox or take the host down. Every attempt must end in a typed
 * error, recorded on the code step, while the host process stays healthy: its event loop keeps turning
 * during the attempt, its heap does not balloon, its prototypes and globals are untouched, and the
 * sandbox still runs ordinary code afterwards.
 */

interface Attempt {
  name: string;
  code: string;
  /** The error code the code step must fail with. */
  expect: string;
  /** Which code action runs it. Default `run_code` (tight limits, read and write tools). */
  action?: 'run_code' | 'run_code_long' | 'run_code_irreversible';
  check?: (result: StepResult, children: StepRecord[]) => void;
}

const ORDER = "{ orderId: 'ord-1001' }";

const attempts: Attempt[] = [
  { name: 'reaching process', code: 'process.exit(1);', expect: 'ARBOR_CODE_RUNTIME', check: (r) => expect(r.error?.hint).toMatch(/no Node\.js/) },
  { name: 'calling require', code: "const fs = require('fs');\nreturn fs.readFileSync('/etc/passwd', 'utf8');", expect: 'ARBOR_CODE_RUNTIME' },
  { name: 'awaiting import()', code: "const cp = await import('node:child_process');\nreturn cp.execSync('id').toString();", expect: 'ARBOR_SANDBOX_FORBIDDEN' },
  { name: 'an import() whose failure is swallowed', code: "import('fs').catch(() => {});\nreturn 'escaped';", expect: 'ARBOR_SANDBOX_FORBIDDEN' },
  { name: 'a static import', code: "import fs from 'fs';\nreturn fs;", expect: 'ARBOR_CODE_SYNTAX' },
  { name: 'the Function constructor', code: "return (function () {}).constructor('return process')().pid;", expect: 'ARBOR_CODE_RUNTIME' },
  { name: "a tool function's constructor", code: "return tools.get_order.constructor('return require')()('fs');", expect: 'ARBOR_CODE_RUNTIME' },
  { name: 'eval of host globals', code: "return eval('globalThis.process.env.HOME');", expect: 'ARBOR_CODE_RUNTIME' },
  {
    name: 'hunting globalThis for the host bridge',
    code: [
      'const found = Object.getOwnPropertyNames(globalThis).map((name) => globalThis[name])',
      "  .find((value) => value && typeof value === 'object' && typeof value.call === 'function' && typeof value.sync === 'function');",
      "return found.call('charge_payment', '{}', '');",
    ].join('\n'),
    expect: 'ARBOR_CODE_RUNTIME',
    // The only object that looks like a bridge is `tools`, whose every property is a gated tool call.
    check: (r) => expect(r.error?.data).toMatchObject({ errorName: 'ToolError', line: 3, tool: { name: 'call', code: 'ARBOR_NO_SUCH_ACTION' } }),
  },
  { name: 'reaching a host object by its likely name', code: "return globalThis.host.print('x') ?? globalThis.__arbor.call('x');", expect: 'ARBOR_CODE_RUNTIME' },
  {
    name: 'polluting Object.prototype through a tool input',
    code: "await tools.echo_strict(JSON.parse('{\"text\":\"hi\",\"__proto__\":{\"polluted\":true}}'));",
    expect: 'ARBOR_CODE_RUNTIME',
    check: (r, children) => {
      expect(r.error?.data).toMatchObject({ tool: { name: 'echo_strict', code: 'ARBOR_INVALID_INPUT' } });
      expect(children.map((step) => step.status)).toEqual(['failed']);
    },
  },
  {
    name: 'subverting the guest intrinsics the tool bridge uses',
    code: [
      "Object.prototype.toJSON = function () { return { smuggled: true }; };",
      "JSON.stringify = () => '{\"__proto__\":{\"polluted\":1}}';",
      'Array.prototype.map = null;',
      "await tools.echo_strict({ text: 'x' });",
    ].join('\n'),
    expect: 'ARBOR_CODE_RUNTIME',
    check: (r) => expect(r.error?.data).toMatchObject({ tool: { code: 'ARBOR_INVALID_INPUT' }, line: 4 }),
  },
  {
    name: 'polluting prototypes through a tool output, then paying',
    code: `const order = await tools.get_order(${ORDER});\norder.__proto__.isAdmin = true;\nObject.prototype.approved = true;\nawait callTool('charge_payment', { orderId: 'ord-1001', amountCents: 14700 });`,
    expect: 'ARBOR_CODE_RUNTIME',
    check: (r, children) => {
      expect(r.error?.data).toMatchObject({ tool: { name: 'charge_payment', code: 'ARBOR_SANDBOX_FORBIDDEN' }, line: 4 });
      expect(children.map((step) => step.action)).toEqual(['get_order']);
    },
  },
  { name: 'an endless loop', code: 'for (;;) {}', expect: 'ARBOR_SANDBOX_CPU' },
  { name: 'an endless loop that catches its interruption', code: 'for (;;) { try { for (;;) {} } catch (error) { /* keep going */ } }', expect: 'ARBOR_SANDBOX_CPU' },
  { name: 'an endless microtask loop', code: 'for (;;) await null;', expect: 'ARBOR_SANDBOX_CPU' },
  { name: 'an endless timer chain', code: '(function tick() { setTimeout(tick, 0); })();\nawait new Promise(() => {});', expect: 'ARBOR_SANDBOX_CPU' },
  {
    name: "climbing a tool error's constructor chain",
    code: "try {\n  await tools.get_order({ orderId: 'nope' });\n} catch (error) {\n  return error.constructor.constructor('return process')().pid;\n}",
    expect: 'ARBOR_CODE_RUNTIME',
    check: (r) => expect(r.error?.data).toMatchObject({ errorName: 'ReferenceError', line: 4 }),
  },
  { name: 'reading past a buffer through a typed array view', code: 'return new Uint8Array(new ArrayBuffer(8), 0, 1e9)[5e8];', expect: 'ARBOR_CODE_RUNTIME' },
  { name: 'outlasting the wall clock', code: 'while (true) {}', action: 'run_code_long', expect: 'ARBOR_SANDBOX_TIMEOUT' },
  {
    name: 'a long native call the engine cannot interrupt',
    code: 'let o = {}, c = o;\nfor (let i = 0; i < 100000; i++) { c.n = {}; c = c.n; }\nreturn JSON.stringify(o).length;',
    action: 'run_code_long',
    expect: 'ARBOR_SANDBOX_TIMEOUT',
  },
  { name: 'catastrophic regex backtracking', code: "return /(a+)+$/.test('a'.repeat(40) + 'b');", action: 'run_code_long', expect: 'ARBOR_SANDBOX_TIMEOUT' },
  { name: 'a string memory bomb', code: "let s = 'x';\nfor (;;) s += s;", expect: 'ARBOR_SANDBOX_MEMORY' },
  { name: 'an object graph memory bomb', code: "const keep = [];\nfor (let i = 0; ; i++) keep.push({ i, list: [i, i + 1, i + 2], text: 'item ' + i });", expect: 'ARBOR_SANDBOX_MEMORY' },
  { name: 'a typed array memory bomb', code: 'const keep = [];\nfor (;;) keep.push(new Float64Array(1 << 17));', expect: 'ARBOR_SANDBOX_MEMORY' },
  { name: 'a huge ArrayBuffer', code: 'return new ArrayBuffer(1024 * 1024 * 1024).byteLength;', expect: 'ARBOR_SANDBOX_MEMORY' },
  { name: 'a tool input larger than the heap', code: "await tools.echo_strict({ text: 'x'.repeat(16 * 1024 * 1024) });", expect: 'ARBOR_SANDBOX_MEMORY' },
  { name: 'unbounded recursion', code: 'function down(n) { return down(n + 1) + 1; }\nreturn down(0);', expect: 'ARBOR_SANDBOX_STACK' },
  { name: 'flooding the output', code: "for (;;) console.log('spam'.repeat(100));", expect: 'ARBOR_SANDBOX_OUTPUT' },
  { name: 'a huge return value', code: "return 'x'.repeat(1024 * 1024);", expect: 'ARBOR_SANDBOX_OUTPUT' },
  {
    name: 'flooding tool calls',
    code: `for (;;) tools.get_order(${ORDER});`,
    expect: 'ARBOR_SANDBOX_TOOL_CALLS',
    check: (_, children) => expect(children.length).toBeLessThanOrEqual(20),
  },
  {
    name: 'calling an irreversible tool from code bounded to write',
    code: "await callTool('send_email', { to: 'ada@example.com', subject: 'hi', body: 'hello' });",
    expect: 'ARBOR_CODE_RUNTIME',
    check: (r, children) => {
      expect(r.error?.data).toMatchObject({ tool: { name: 'send_email', code: 'ARBOR_SANDBOX_FORBIDDEN' } });
      expect(children).toEqual([]);
    },
  },
  {
    name: 'calling an irreversible tool without its own approval',
    code: "await tools.send_email({ to: 'ada@example.com', subject: 'Your order', body: 'It is on its way.' });",
    action: 'run_code_irreversible',
    expect: 'ARBOR_CODE_RUNTIME',
    check: (r, children) => {
      expect(r.error?.data).toMatchObject({ tool: { name: 'send_email', code: 'ARBOR_APPROVAL_REQUIRED' } });
      expect(children.map((step) => [step.action, step.status, step.error?.code])).toEqual([['send_email', 'blocked', 'ARBOR_APPROVAL_REQUIRED']]);
    },
  },
  { name: 'calling the code action from inside itself', code: "await callTool('run_code', { code: 'return 1' });", expect: 'ARBOR_CODE_RUNTIME', check: (r) => expect(r.error?.data).toMatchObject({ tool: { code: 'ARBOR_SANDBOX_FORBIDDEN' } }) },
  { name: 'calling a tool that does not exist', code: "await callTool('rm_rf', { path: '/' });", expect: 'ARBOR_CODE_RUNTIME', check: (r) => expect(r.error?.data).toMatchObject({ tool: { code: 'ARBOR_NO_SUCH_ACTION' } }) },
  { name: 'replacing a tool to intercept calls', code: "'use strict';\ntools.get_order = () => ({ id: 'fake' });", expect: 'ARBOR_CODE_RUNTIME' },
  { name: 'blocking the engine thread with Atomics.wait', code: 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);', expect: 'ARBOR_CODE_RUNTIME' },
  { name: 'awaiting forever to hold the host', code: 'await new Promise(() => {});', expect: 'ARBOR_CODE_STALLED' },
];

let dir: string;
let store: Store;
let environment: Environment;
let executor: Executor;
const sandbox = new Sandbox({ maxIdleWorkers: 2, killGraceMs: 300 });
const hostGlobals = Object.getOwnPropertyNames(globalThis).sort();
const hostObjectPrototype = Object.getOwnPropertyNames(Object.prototype).sort();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'arbor-escape-'));
  store = await openStore({ location: join(dir, 'arbor.db') });
  environment = createOrdersEnvironment();
  const { actions } = environment;
  actions.add(
    defineAction({
      name: 'echo_strict',
      description: 'Echoes a text; refuses any other key.',
      input: z.strictObject({ text: z.string() }),
      effect: 'read',
      run: ({ text }) => ({ text }),
    }),
  );
  const tight = { timeMs: 5000, cpuTicks: 500, memoryBytes: 8 * 1024 * 1024, outputBytes: 16 * 1024, toolCalls: 20 };
  actions.add(createRunCodeAction({ actions, sandbox, limits: tight }));
  actions.add(createRunCodeAction({ actions, sandbox, name: 'run_code_long', limits: { ...tight, timeMs: 800, cpuTicks: 10_000_000 } }));
  actions.add(createRunCodeAction({ actions, sandbox, name: 'run_code_irreversible', effect: 'irreversible', limits: tight }));
  executor = new Executor({
    store,
    actions,
    observe: () => environment.observe(),
    // The user approved running this code, not each irreversible call it makes.
    approval: ({ action }) => ({ approved: action === 'run_code_irreversible', by: 'test' }),
  });
});

afterAll(async () => {
  await store.close();
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sandbox escape and abuse attempts', () => {
  it('has at least 25 distinct attempts', () => {
    expect(new Set(attempts.map((attempt) => attempt.name)).size).toBeGreaterThanOrEqual(25);
  });

  for (const attempt of attempts) {
    it(`blocks ${attempt.name} with ${attempt.expect}`, async () => {
      const heapBefore = process.memoryUsage().heapUsed;
      const lag = monitorEventLoopDelay({ resolution: 10 });
      lag.enable();
      const run = await executor.startRun({ task: attempt.name });
      const result = await run.execute(attempt.action ?? 'run_code', { code: attempt.code });
      lag.disable();
      await run.end(result.ok ? 'succeeded' : 'failed');

      expect(result.ok).toBe(false);
      expect(result.error?.code).toBe(attempt.expect);
      const recorded = await store.getStep(result.step.id);
      expect(recorded?.status).toBe('failed');
      expect(recorded?.error?.code).toBe(attempt.expect);
      const children = (await store.listSteps(run.id)).filter((step) => step.parentStepId === result.step.id);
      attempt.check?.(result, children);

      // The host stayed healthy: its event loop kept turning while the guest misbehaved (a blocked loop
      // would show a delay as long as the attempt), its heap is not holding the guest's allocations, and
      // nothing leaked into its prototypes or globals.
      expect(lag.max / 1e6).toBeLessThan(1000);
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(hostObjectPrototype);
      expect(Object.getOwnPropertyNames(globalThis).sort()).toEqual(hostGlobals);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(environment.observe()).toMatchObject({ payments: [], outbox: [] });
    });
  }

  it('still runs ordinary code afterwards, on the same sandbox', async () => {
    const run = await executor.startRun({ task: 'after the attacks' });
    const result = await run.execute('run_code', { code: `const order = await tools.get_order(${ORDER});\nreturn order.totalCents;` });
    expect(result.error).toBeNull();
    expect(result.output).toMatchObject({ result: 14700 });
  });
});
