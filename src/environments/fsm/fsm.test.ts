import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArborError } from '../../errors/index.js';
import { openStore } from '../../provenance/index.js';
import { Executor } from '../../execution/index.js';
import { MINI_DOMAIN } from '../../planning/test-support.js';
import { builtinFsmDomains, builtinFsmModel, createBuiltinFsmEnvironment } from './builtin.js';
import { createFsmEnvironment } from './fsm-environment.js';
import { loadFsmDomain, parseFsmDomain } from './load.js';

function fileError(text: string, file = 'broken.yaml'): ArborError {
  try {
    parseFsmDomain(text, file);
  } catch (error) {
    if (ArborError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected the file to be refused');
}

describe('FSM domain files', () => {
  it('refuses a YAML syntax error with the file, line and column', () => {
    const error = fileError('name: x\ndescription: [unclosed\nvariables: {}\n');
    expect(error.code).toBe('ARBOR_ENVIRONMENT_FILE');
    expect(error.data).toMatchObject({ file: 'broken.yaml', line: expect.any(Number) as number });
    expect(error.message).toMatch(/^broken\.yaml:\d+:\d+: /);
  });

  it('names the line and field of a misspelt field', () => {
    const text = MINI_DOMAIN.replace('    effect: irreversible\n', '    efect: irreversible\n');
    const error = fileError(text, 'mini.yaml');
    expect(error.data.field).toBe('actions.3.efect');
    expect(error.message).toMatch(/unknown field "efect"/);
    const line = text.split('\n').findIndex((content) => content.includes('efect:')) + 1;
    expect(error.data.line).toBe(line);
  });

  it('names the line and field of an expression that reads an unknown name', () => {
    const text = MINI_DOMAIN.replace("check: 'paid_at == \"nowhere\"'", "check: 'paid_where == \"nowhere\"'");
    const error = fileError(text, 'mini.yaml');
    expect(error.data.field).toBe('actions.3.when.check');
    expect(error.message).toMatch(/Unknown name "paid_where"/);
    expect(error.data.line).toBe(text.split('\n').findIndex((content) => content.includes('paid_where')) + 1);
  });

  it('refuses a reference solution that does not reach the goal, naming the step', () => {
    const text = MINI_DOMAIN.replace("    goal: 'at == \"gate\"'\n", "    goal: 'at == \"gate\"'\n    solution: ['walk to=hall', 'walk to=gate']\n");
    const error = fileError(text, 'mini.yaml');
    expect(error.data.field).toBe('tasks.1.solution.1');
    expect(error.message).toMatch(/blocked/);
  });

  it('refuses wrong types and unknown sets with the field concerned', () => {
    expect(fileError(MINI_DOMAIN.replace('initial: start', 'initial: roof')).data.field).toBe('variables.at.initial');
    expect(fileError(MINI_DOMAIN.replace('values: rooms, initial', 'values: chambers, initial')).data.field).toBe('variables.at.values');
    expect(fileError(MINI_DOMAIN.replace('cost: 5', 'cost: -5')).data.field).toBe('actions.1.cost');
  });

  it('reads the same domain written as JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arbor-fsm-'));
    const file = join(dir, 'tiny.json');
    writeFileSync(file, JSON.stringify({ name: 'tiny', description: 'One switch.', variables: { on: { type: 'boolean', initial: false } }, actions: [{ name: 'flip', description: 'Flip it.', effect: 'write', set: { on: '!on' } }], tasks: [{ id: 'on', instruction: 'Turn it on.', goal: 'on', solution: ['flip'] }] }, null, 2));
    const model = loadFsmDomain(file);
    expect(model.tasks[0]?.id).toBe('on');
    writeFileSync(file, '{\n  "name": "tiny",\n  "description": 3\n}');
    try {
      loadFsmDomain(file);
      expect.unreachable();
    } catch (error) {
      expect((error as ArborError).data).toMatchObject({ file, line: 3, field: 'description' });
    }
  });
});

describe('FSM environments', () => {
  it('executes actions through the executor: preconditions block, transitions move the state, snapshots restore it', async () => {
    const environment = createFsmEnvironment(parseFsmDomain(MINI_DOMAIN, 'mini.yaml'));
    environment.startTask('pay-at-gate');
    const store = await openStore({ location: ':memory:' });
    const run = await new Executor({ store, actions: environment.actions, observe: () => environment.observe() }).startRun({ stopOnBlocked: false });
    expect((await run.execute('walk', { to: 'gate' })).status).toBe('blocked');
    const before = environment.snapshot();
    expect((await run.execute('walk', { to: 'hall' })).ok).toBe(true);
    expect(environment.observe()).toMatchObject({ at: 'hall' });
    environment.restore(before);
    expect(environment.observe()).toMatchObject({ at: 'start' });
    expect((await run.execute('walk', { to: 'nowhere' })).status).toBe('failed');
    await store.close();
  });

  it('ships six domains of at least 20 tasks each, covering every kind of difficulty', () => {
    const domains = builtinFsmDomains();
    expect(domains.length).toBeGreaterThanOrEqual(6);
    const tags = new Set<string>();
    for (const domain of domains) {
      const model = builtinFsmModel(domain);
      expect(model.tasks.length).toBeGreaterThanOrEqual(20);
      for (const task of model.tasks) for (const tag of task.tags) tags.add(tag);
    }
    expect([...tags].sort()).toEqual(['argument-heavy', 'dead-ends', 'irreversible-traps', 'long-horizon', 'wide']);
    expect(createBuiltinFsmEnvironment('saas-admin').actions.size).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...builtinFsmModel('travel').actions.map((action) => action.args.length))).toBeGreaterThanOrEqual(6);
  });

  it('has long horizons (12+ steps) where it says so, and tasks the oracle can solve', () => {
    for (const domain of ['warehouse', 'lab']) {
      const environment = createBuiltinFsmEnvironment(domain);
      for (const task of environment.tasks.slice(0, 4)) expect(task.oracle.optimalCost).toBeGreaterThanOrEqual(12);
    }
    const maze = createBuiltinFsmEnvironment('maze');
    for (const task of maze.tasks.slice(0, 4)) expect(task.oracle.optimalCost).toBeGreaterThanOrEqual(10);
  });

  it('has dead ends that only backtracking escapes, and irreversible traps', () => {
    const maze = createBuiltinFsmEnvironment('maze');
    const task = maze.tasks[0];
    if (task === undefined) throw new Error('no task');
    maze.startTask(task.id);
    const start = maze.observe();
    // Jumping into the pit from the tower's balcony: reachable, but the goal is not reachable from there.
    const pit = { ...(start as Record<string, unknown>), at: 'pit' };
    expect(task.oracle.costToGo({ observation: pit as never, trajectory: [] })).toBe(Number.POSITIVE_INFINITY);
    const checkout = createBuiltinFsmEnvironment('checkout');
    const order = checkout.tasks[0];
    if (order === undefined) throw new Error('no task');
    checkout.startTask(order.id);
    const view = { observation: checkout.observe(), trajectory: [] };
    const subscribed = order.oracle.predict(view, 'subscribe_newsletter', {});
    expect(subscribed !== undefined && order.oracle.costToGo(subscribed)).toBe(Number.POSITIVE_INFINITY);
    expect(order.oracle.costToGo(view)).toBeLessThan(Number.POSITIVE_INFINITY);
  });

  it('tells the oracle\'s next actions: each is on a least-cost path', () => {
    const environment = createBuiltinFsmEnvironment('warehouse');
    const task = environment.tasks[0];
    if (task === undefined) throw new Error('no task');
    environment.startTask(task.id);
    let view = { observation: environment.observe(), trajectory: [] as never[] };
    let cost = task.oracle.costToGo(view);
    for (let step = 0; cost > 0 && step < 40; step++) {
      const [next] = task.oracle.nextActions(view);
      if (next === undefined) throw new Error('stuck');
      const predicted = task.oracle.predict(view, next.action, next.input);
      if (predicted === undefined) throw new Error('cannot predict');
      const after = task.oracle.costToGo(predicted);
      expect(after).toBeLessThan(cost);
      cost = after;
      view = predicted as never;
    }
    expect(cost).toBe(0);
    expect(task.isDone(view.observation)).toBe(true);
  });

  it('finds its domain files from the built package (dist), not only from the sources', () => {
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', "const m = await import('./dist/environments/index.js'); console.log(m.builtinFsmDomains().join(','), m.createBuiltinFsmEnvironment('maze').tasks.length)"], { encoding: 'utf8' });
    expect(output.trim()).toMatch(/checkout,lab,maze,saas-admin,travel,warehouse \d+/);
  });
});
