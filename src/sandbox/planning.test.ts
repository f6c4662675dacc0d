import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrdersEnvironment, type Environment, type EnvironmentTask } from '../environments/index.js';
import { createTempStore } from '../internal/temp-store.js';
import { runSteps } from '../provenance/index.js';
import { greedy, plan, type Policy, type PolicyState } from '../planning/index.js';
import { createRunCodeAction } from './run-code-action.js';
import { Sandbox } from './sandbox.js';

const sandbox = new Sandbox();
let temp: ReturnType<typeof createTempStore>;
beforeAll(() => {
  temp = createTempStore('arbor-code-planning-');
});
afterAll(async () => {
  await temp.cleanup();
  await sandbox.close();
});

function shop(): Environment {
  const environment = createOrdersEnvironment();
  environment.actions.add(createRunCodeAction({ actions: environment.actions, sandbox }));
  return environment;
}

const task: EnvironmentTask = {
  id: 'reserve-all-in-stock',
  instruction: 'Reserve stock for every new order whose items are all in stock.',
  isDone: (state) => (state as { orders: { id: string; status: string }[] }).orders.some((order) => order.id === 'ord-1001' && order.status === 'reserved'),
};

const BUGGY = `const orders = await tools.list_orders({ status: 'new' });
for (const order of orders) {
  const stock = await Promise.all(order.lines.map((line) => tools.check_stock({ sku: line.sku })));
  if (stock.every((item, i) => item.stock >= order.lines[i].quantity)) await tools.reserve_stock({ id: order.id });
}`;

/**
 * Stands in for a model that writes code (the LLM policy proposes it the same way): it proposes run_code,
 * and when the last step failed it reads the error's line and column from the trajectory and fixes that line.
 */
function codeWritingPolicy(seen: PolicyState[]): Policy {
  return {
    name: 'scripted-coder',
    async propose(state) {
      seen.push(state);
      const last = state.trajectory.at(-1);
      const line = last?.error?.data?.line;
      const code = typeof line === 'number' ? BUGGY.split('\n').map((text, index) => (index + 1 === line ? text.replace('{ id: order.id }', '{ orderId: order.id }') : text)).join('\n') : BUGGY;
      return { value: [{ action: 'run_code', input: { code }, probability: 1 }], usage: { modelCalls: 1, inputTokens: 0, outputTokens: 0 } };
    },
    async evaluate(_state, children) {
      return { value: children.map(() => 0.5), usage: { modelCalls: 1, inputTokens: 0, outputTokens: 0 } };
    },
  };
}

describe('run_code in a planner', () => {
  it('is a candidate like any other, and a failed try comes back to the policy with its line and column', async () => {
    const seen: PolicyState[] = [];
    const result = await plan({ environment: shop(), createEnvironment: shop, task, planner: greedy(), policy: codeWritingPolicy(seen), store: temp.store, budget: { modelCalls: 5 } });

    expect(result.status).toBe('succeeded');
    expect(result.plan.map((step) => [step.action, step.status])).toEqual([
      ['run_code', 'failed'],
      ['run_code', 'ok'],
    ]);
    const feedback = seen[1]?.trajectory[0]?.error;
    expect(feedback).toMatchObject({ code: 'ARBOR_CODE_RUNTIME', data: { line: 4, tool: { name: 'reserve_stock', code: 'ARBOR_INVALID_INPUT' } } });

    const steps = await runSteps(temp.store, result.runId);
    const fixed = steps.find((step) => step.action === 'run_code' && step.status === 'ok');
    expect(steps.filter((step) => step.parentStepId === fixed?.id).map((step) => step.action)).toEqual(['list_orders', 'check_stock', 'check_stock', 'reserve_stock', 'check_stock']);
  });
});
