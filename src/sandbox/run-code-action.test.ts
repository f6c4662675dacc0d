import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ActionSpace, defineAction } from '../actions/index.js';
import { createOrdersEnvironment, type Environment } from '../environments/index.js';
import { Executor } from '../execution/index.js';
import { openStore, runSteps, type Store } from '../provenance/index.js';
import { replay } from '../replay/index.js';
import { createRunCodeAction } from './run-code-action.js';
import { Sandbox } from './sandbox.js';

let dir: string;
let store: Store;
const sandbox = new Sandbox({ maxWorkers: 2 });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'arbor-run-code-'));
  store = await openStore({ location: join(dir, 'arbor.db') });
});

afterAll(async () => {
  await store.close();
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The orders shop with run_code added, as a fresh world (replay builds another one the same way). */
function shopWithCode(): Environment {
  const environment = createOrdersEnvironment();
  environment.actions.add(createRunCodeAction({ actions: environment.actions, sandbox }));
  return environment;
}

const THREE_TOOLS_IN_A_LOOP = `
const orders = await tools.list_orders({});
const report = [];
for (const order of orders) {
  const full = await tools.get_order({ orderId: order.id });
  const { stock } = await tools.check_stock({ sku: full.lines[0].sku });
  const { quotes } = await tools.quote_shipping({ orderId: order.id });
  const cheapest = quotes.reduce((best, quote) => (quote.priceCents < best.priceCents ? quote : best));
  console.log(full.id, full.totalCents, full.lines[0].sku, stock, cheapest.carrier);
  report.push({ id: full.id, totalCents: full.totalCents, inStock: stock >= full.lines[0].quantity, carrier: cheapest.carrier });
}
return { report, at: Date.now(), when: new Date().toISOString(), pick: Math.random() };
`;

describe('run_code', () => {
  it('composes three tools in a loop, each call a recorded child step of the code step', async () => {
    const environment = shopWithCode();
    const executor = new Executor({ store, actions: environment.actions, observe: () => environment.observe() });
    const run = await executor.startRun({ task: 'report shipping', environment: 'demo/orders+code' });
    const result = await run.execute('run_code', { code: THREE_TOOLS_IN_A_LOOP });
    await run.end();

    expect(result.error).toBeNull();
    expect(result.ok).toBe(true);
    const output = result.output as { stdout: string; result: { report: { id: string }[]; at: number }; toolCalls: { tool: string; line: number }[] };
    expect(output.result.report.map((entry) => entry.id)).toEqual(['ord-1001', 'ord-1002']);
    expect(output.stdout.split('\n')).toHaveLength(2);
    expect(output.stdout).toMatch(/^ord-1001 14700 kb-01 5 \w+\nord-1002 24900 mn-03 0 \w+$/);
    expect(output.toolCalls.map((call) => `${call.tool}@${call.line}`)).toEqual([
      'list_orders@2',
      'get_order@5',
      'check_stock@6',
      'quote_shipping@7',
      'get_order@5',
      'check_stock@6',
      'quote_shipping@7',
    ]);

    const steps = await runSteps(store, run.id);
    const [codeStep, ...children] = steps;
    expect(codeStep?.action).toBe('run_code');
    expect(codeStep?.input).toEqual({ code: THREE_TOOLS_IN_A_LOOP });
    expect(children.map((step) => step.action)).toEqual(['list_orders', 'get_order', 'check_stock', 'quote_shipping', 'get_order', 'check_stock', 'quote_shipping']);
    for (const child of children) {
      expect(child.parentStepId).toBe(codeStep?.id);
      expect(child.depth).toBe(1);
      expect(child.status).toBe('ok');
    }
    // The code's clock and randomness were drawn through the step's recorded context.
    expect(codeStep?.nondeterminism.map((value) => value.kind)).toEqual(['now', 'now', 'random']);
    expect(output.result.at).toBe(codeStep?.nondeterminism[0]?.value);
    expect(output.result.report).toMatchObject([
      { id: 'ord-1001', totalCents: 14700, inStock: true },
      { id: 'ord-1002', totalCents: 24900, inStock: false },
    ]);
    // The carriers' surcharge inside quote_shipping is recorded on that child step, not on the code step.
    expect(children[3]?.nondeterminism.map((value) => value.kind)).toEqual(['record']);
  });

  it('is reproduced byte for byte by a verify replay in a fresh world', async () => {
    const environment = shopWithCode();
    const executor = new Executor({ store, actions: environment.actions, observe: () => environment.observe() });
    const run = await executor.startRun({ task: 'report shipping', environment: 'demo/orders+code' });
    await run.execute('run_code', { code: THREE_TOOLS_IN_A_LOOP });
    await run.execute('get_order', { orderId: 'ord-1002' });
    await run.end();

    const report = await replay(store, run.id, { mode: 'verify', environment: shopWithCode() });
    expect(report.divergence).toBeNull();
    expect(report.matched).toBe(report.total);
    expect(report.total).toBe(9);

    const original = await runSteps(store, run.id);
    const replayed = await runSteps(store, report.replayRunId as string);
    const fingerprint = (steps: typeof original) => steps.map((step) => [step.seq, step.action, step.depth, step.inputHash, step.outputHash, step.status]);
    expect(fingerprint(replayed)).toEqual(fingerprint(original));
    expect(replayed[0]?.output).toEqual(original[0]?.output);
  });

  it('fails a verify replay when the recorded code no longer reproduces', async () => {
    let variant = 0;
    const world = (): Environment => {
      const actions = new ActionSpace([
        defineAction({ name: 'double', description: 'Doubles a number.', input: z.object({ n: z.number() }), effect: 'read', run: ({ n }) => n * 2 + variant }),
      ]);
      actions.add(createRunCodeAction({ actions, sandbox }));
      return { name: 'doubling', actions, observe: () => null };
    };
    const environment = world();
    const run = await new Executor({ store, actions: environment.actions }).startRun({ environment: 'doubling' });
    await run.execute('run_code', { code: 'let n = 1; for (let i = 0; i < 3; i++) n = await tools.double({ n }); return n;' });
    await run.end();
    variant = 1;
    const report = await replay(store, run.id, { mode: 'verify', environment: world() });
    expect(report.divergence?.action).toBe('double');
    expect(report.divergence?.reason).toBe('the output differs');
  });

  it('returns syntax and runtime errors with the line and column in the agent code, and what it printed', async () => {
    const environment = shopWithCode();
    const run = await new Executor({ store, actions: environment.actions }).startRun();

    const syntax = await run.execute('run_code', { code: 'const a = 1;\nconst b = a +* 2;\nreturn b;' });
    expect(syntax.status).toBe('failed');
    expect(syntax.error?.code).toBe('ARBOR_CODE_SYNTAX');
    expect(syntax.error?.data).toMatchObject({ line: 2, column: 14 });
    expect(syntax.error?.message).toBe("SyntaxError at line 2, column 14: unexpected token in expression: '*'");

    const runtime = await run.execute('run_code', {
      code: 'console.log("checking");\nconst order = await tools.get_order({ orderId: "ord-1001" });\nreturn order.customer.name.toUpperCase();',
    });
    expect(runtime.error?.code).toBe('ARBOR_CODE_RUNTIME');
    expect(runtime.error?.data).toMatchObject({ errorName: 'TypeError', line: 3, column: 22, stdout: 'checking' });
    expect(runtime.error?.message).toMatch(/^TypeError at line 3, column 22: cannot read property 'name' of undefined$/);

    const toolFailure = await run.execute('run_code', { code: '\n\n  await tools.get_order({ orderId: "nope" });' });
    expect(toolFailure.error?.code).toBe('ARBOR_CODE_RUNTIME');
    expect(toolFailure.error?.data).toMatchObject({ errorName: 'ToolError', line: 3, tool: { name: 'get_order', code: 'ARBOR_INVALID_INPUT' } });

    // The failures are recorded on the steps, with the same line and column.
    const recorded = await store.listSteps(run.id);
    expect(recorded.find((step) => step.id === syntax.step.id)?.error).toMatchObject({ code: 'ARBOR_CODE_SYNTAX', data: { line: 2, column: 14 } });
    expect(recorded.find((step) => step.id === runtime.step.id)?.error).toMatchObject({ data: { line: 3, column: 22 } });
    // The failing tool call is a recorded child step too.
    expect(recorded.filter((step) => step.parentStepId === toolFailure.step.id).map((step) => [step.action, step.status])).toEqual([['get_order', 'failed']]);
  });

  it('is an ordinary action a planner can list, describe and choose', () => {
    const environment = shopWithCode();
    const descriptor = environment.actions.describe('run_code');
    expect(descriptor.effect).toBe('write');
    expect(descriptor.tags).toContain('code');
    expect(descriptor.inputSchema).toMatchObject({ type: 'object', required: ['code'], properties: { code: { type: 'string' } } });
    expect(environment.actions.list({ effect: ['read', 'write'] }).map((action) => action.name)).toContain('run_code');
  });
});
