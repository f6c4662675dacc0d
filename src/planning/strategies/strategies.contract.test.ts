import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuiltinFsmEnvironment } from '../../environments/index.js';
import { approveAll } from '../../execution/index.js';
import { createSimulatedPolicy } from '../../policies/simulated/index.js';
import { openStore, runSteps, type Store } from '../../provenance/index.js';
import type { Budget } from '../budget.js';
import { plan } from '../plan.js';
import type { Policy } from '../policy.js';
import { replaySearch } from '../replay-search.js';
import { miniEnvironment, miniEnvironmentWithoutSnapshots } from '../test-support.js';
import { createPlanner, STRATEGY_NAMES } from './index.js';

/*
 * One contract, every strategy (as Hono runs one case file against all its routers): whatever the
 * strategy, a search reaches the goal when the policy is right, records what it did, spends exactly what
 * it reports and never more than its budget, never executes an irreversible action speculatively, acts
 * only with the candidates it is shown, and makes the same choices when replayed.
 */

let store: Store;
beforeAll(async () => {
  store = await openStore({ location: ':memory:' });
});
afterAll(async () => {
  await store.close();
});

const STATUSES = new Set(['open', 'expanded', 'pruned', 'terminal', 'failed', 'blocked']);

function perfectPolicy(tasks = miniEnvironment().tasks, seed = 1): Policy {
  return createSimulatedPolicy({ tasks, accuracy: 1, valueNoise: 0, seed });
}

describe.each(STRATEGY_NAMES)('planner contract: %s', (name) => {
  it('reaches the goal with a right policy and commits the irreversible step exactly once, at the end', async () => {
    const environment = miniEnvironment();
    const result = await plan({ environment, task: 'pay-at-gate', planner: createPlanner(name), policy: perfectPolicy(environment.tasks), store, approval: approveAll });
    expect(result.status).toBe('succeeded');
    expect(environment.tasks[0]?.isDone(result.environment.observe())).toBe(true);
    const steps = await runSteps(store, result.runId);
    const irreversible = steps.filter((step) => step.effect === 'irreversible');
    expect(irreversible).toHaveLength(1);
    expect(irreversible[0]?.status).toBe('ok');
    expect(result.plan.at(-1)?.action).toBe('pay');
  });

  it('commits mid-plan and goes on from the committed state without committing again', async () => {
    const environment = miniEnvironment();
    const result = await plan({ environment, task: 'pay-then-lobby', planner: createPlanner(name), policy: perfectPolicy(environment.tasks), store, approval: approveAll, budget: { modelCalls: 60 } });
    expect(result.status).toBe('succeeded');
    expect(result.environment.observe()).toMatchObject({ at: 'lobby', paid_at: 'gate' });
    const steps = await runSteps(store, result.runId);
    expect(steps.filter((step) => step.effect === 'irreversible').map((step) => step.status)).toEqual(['ok']);
    const actions = result.plan.map((step) => step.action);
    expect(actions.indexOf('pay')).toBe(actions.length - 2);
  });

  it('records every step and node: the plan is a path of the run, statuses are explicit, the chosen path is marked', async () => {
    const environment = createBuiltinFsmEnvironment('maze');
    const policy = createSimulatedPolicy({ tasks: environment.tasks, accuracy: 0.8, valueNoise: 0.1, seed: 3 });
    const result = await plan({ environment, task: environment.tasks[0]?.id ?? '', planner: createPlanner(name), policy, store, approval: approveAll, budget: { modelCalls: 120 } });
    const steps = await runSteps(store, result.runId);
    const byId = new Map(steps.map((step) => [step.id, step]));
    let parent: string | null = null;
    for (const planStep of result.plan) {
      const step = byId.get(planStep.stepId ?? '');
      expect(step?.parentStepId).toBe(parent);
      parent = step?.id ?? null;
    }
    const nodes = await store.listSearchNodes(result.runId);
    expect(nodes).toHaveLength(result.tree.nodes);
    const nodeById = new Map(nodes.map((node) => [node.nodeId, node]));
    for (const node of nodes) {
      expect(STATUSES.has(node.status)).toBe(true);
      if (node.stepId === null) continue;
      // The run's DAG follows the tree: a node's step acted on its parent node's step.
      const parentNode = node.parentId === null ? undefined : nodeById.get(node.parentId);
      expect(byId.get(node.stepId)?.parentStepId).toBe(parentNode?.stepId ?? null);
    }
    const chosen = nodes.filter((node) => node.data.chosen === true).map((node) => node.nodeId);
    expect(chosen).toEqual([0, ...result.plan.map((step) => step.node)]);
    expect(nodes.some((node) => node.status === 'expanded')).toBe(true);
  });

  it('reports exactly what it spent', async () => {
    const environment = createBuiltinFsmEnvironment('checkout');
    const policy = createSimulatedPolicy({ tasks: environment.tasks, accuracy: 0.7, valueNoise: 0.2, seed: 5 });
    const result = await plan({ environment, task: environment.tasks[1]?.id ?? '', planner: createPlanner(name), policy, store, approval: approveAll, budget: { modelCalls: 80 } });
    expect(result.spent.modelCalls).toBe(result.policyLog.length);
    expect(result.spent.tokens).toBe(result.policyLog.reduce((sum, call) => sum + call.usage.inputTokens + call.usage.outputTokens, 0));
    const steps = await runSteps(store, result.runId);
    expect(result.spent.steps).toBe(steps.filter((step) => step.depth === 0).length);
    const nodes = await store.listSearchNodes(result.runId);
    expect(result.spent.expansions).toBe(nodes.reduce((sum, node) => sum + (typeof node.data.expansions === 'number' ? node.data.expansions : 0), 0));
  });

  it('never exceeds a budget', async () => {
    const environment = createBuiltinFsmEnvironment('warehouse');
    const budgets: Budget[] = [{ modelCalls: 1 }, { modelCalls: 4 }, { modelCalls: 9 }, { tokens: 900 }, { tokens: 5000 }, { expansions: 1 }, { expansions: 3 }, { modelCalls: 6, tokens: 2500, expansions: 2 }];
    const statuses = new Set<string>();
    for (const [index, budget] of budgets.entries()) {
      const policy = createSimulatedPolicy({ tasks: environment.tasks, accuracy: 0.7, valueNoise: 0.2, seed: index + 1 });
      const result = await plan({ environment, task: environment.tasks[0]?.id ?? '', planner: createPlanner(name), policy, store, approval: approveAll, budget });
      expect(result.spent.modelCalls).toBeLessThanOrEqual(budget.modelCalls ?? Infinity);
      expect(result.spent.tokens).toBeLessThanOrEqual(budget.tokens ?? Infinity);
      expect(result.spent.expansions).toBeLessThanOrEqual(budget.expansions ?? Infinity);
      // A search may also end for another reason (a sampled plan that fails) before the budget is spent.
      statuses.add(result.status);
      if (result.status === 'budget-exhausted') expect(result.exhausted).toBeDefined();
    }
    expect(statuses.has('budget-exhausted')).toBe(true);
  });

  it('hands the plan back for approval instead of executing an irreversible step', async () => {
    const environment = miniEnvironment();
    const result = await plan({ environment, task: 'pay-at-gate', planner: createPlanner(name), policy: perfectPolicy(environment.tasks), store });
    expect(result.status).toBe('awaiting-approval');
    expect(result.pending?.action).toBe('pay');
    expect(environment.observe()).toMatchObject({ at: 'gate', paid_at: 'nowhere' });
    const steps = await runSteps(store, result.runId);
    expect(steps.filter((step) => step.effect === 'irreversible' && step.status === 'ok')).toHaveLength(0);
    expect(steps.filter((step) => step.effect === 'irreversible')).toHaveLength(1);
  });

  it('only ever executes the candidates it is shown', async () => {
    const environment = miniEnvironment();
    const inner = perfectPolicy(environment.tasks);
    // A policy that keeps suggesting an action the candidate hook hides.
    const pushy: Policy = {
      name: 'pushy',
      propose: async (state, candidates, k, options) => {
        const result = await inner.propose(state, candidates, k, options);
        return { ...result, value: [{ action: 'fly', input: {}, probability: 0.9 }, ...result.value].slice(0, Math.max(k, 1)) };
      },
      evaluate: (state, children, options) => inner.evaluate(state, children, options),
      samplePlans: async (state, candidates, n, options) => {
        const result = await (inner.samplePlans?.(state, candidates, n, options) ?? Promise.reject(new Error('no samplePlans')));
        return { ...result, value: result.value.map((sample) => ({ steps: [{ action: 'fly', input: {} }, ...sample.steps] })) };
      },
    };
    const result = await plan({
      environment,
      task: 'reach-gate',
      planner: createPlanner(name),
      policy: pushy,
      store,
      approval: approveAll,
      candidates: (context) => context.all().filter((candidate) => candidate.name !== 'fly'),
      budget: { modelCalls: 40 },
    });
    const steps = await runSteps(store, result.runId);
    expect(steps.some((step) => step.action === 'fly')).toBe(false);
    const nodes = await store.listSearchNodes(result.runId);
    expect(nodes.filter((node) => node.action === 'fly').every((node) => node.status === 'pruned' && node.data.reason === 'not-a-candidate')).toBe(true);
  });

  it('makes the same choices when its recorded search is replayed', async () => {
    const environment = createBuiltinFsmEnvironment('lab');
    const policy = createSimulatedPolicy({ tasks: environment.tasks, accuracy: 0.7, valueNoise: 0.2, seed: 11 });
    const recorded = await plan({ environment, task: environment.tasks[2]?.id ?? '', planner: createPlanner(name), policy, store, approval: approveAll, budget: { modelCalls: 150 } });
    const report = await replaySearch(store, recorded.runId, { environment: createBuiltinFsmEnvironment('lab'), approval: approveAll });
    expect(report.divergence).toBeNull();
    expect(report.sameChoices).toBe(true);
    expect(report.result?.status).toBe(recorded.status);
    expect(report.result?.plan.map((step) => step.action)).toEqual(recorded.plan.map((step) => step.action));
    expect(report.matchedSteps).toBe(report.comparedSteps);
  });

  it('rebuilds states by re-executing the path when the environment has no snapshots, with the same result', async () => {
    const withSnapshots = await plan({ environment: miniEnvironment(), task: 'pay-at-gate', planner: createPlanner(name), policy: createSimulatedPolicy({ tasks: miniEnvironment().tasks, accuracy: 0.6, valueNoise: 0.2, seed: 2 }), store, approval: approveAll, budget: { modelCalls: 60 } });
    const withoutSnapshots = await plan({
      environment: miniEnvironmentWithoutSnapshots(),
      createEnvironment: miniEnvironmentWithoutSnapshots,
      task: 'pay-at-gate',
      planner: createPlanner(name),
      policy: createSimulatedPolicy({ tasks: miniEnvironment().tasks, accuracy: 0.6, valueNoise: 0.2, seed: 2 }),
      store,
      approval: approveAll,
      budget: { modelCalls: 60 },
    });
    expect(withoutSnapshots.status).toBe(withSnapshots.status);
    expect(withoutSnapshots.plan.map((step) => [step.action, step.input])).toEqual(withSnapshots.plan.map((step) => [step.action, step.input]));
    expect(withoutSnapshots.tree.nodes).toBe(withSnapshots.tree.nodes);
  });
});

describe('replaying a search made by another revision of its strategy', () => {
  it('is refused up front with a typed error naming both revisions, and nothing is run', async () => {
    const environment = miniEnvironment();
    // A* as an earlier release made it: the same name, revision 1 (recorded as such).
    const older = { ...createPlanner('astar'), revision: 1 };
    const recorded = await plan({ environment, task: 'reach-gate', planner: older, policy: perfectPolicy(environment.tasks), store });
    expect((await store.getRun(recorded.runId))?.metadata.strategyRevision).toBe(1);
    const runsBefore = (await store.listRuns({ limit: 1000 })).length;
    const error = await replaySearch(store, recorded.runId, { environment: miniEnvironment() }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toMatchObject({ code: 'ARBOR_STRATEGY_REVISION', data: { strategy: 'astar', recorded: 1, current: 2 } });
    expect((error as Error).message).toContain('revision 1');
    expect((await store.listRuns({ limit: 1000 })).length).toBe(runsBefore);
    // The current revision is recorded, and replays.
    const current = await plan({ environment: miniEnvironment(), task: 'reach-gate', planner: createPlanner('astar'), policy: perfectPolicy(), store });
    expect((await store.getRun(current.runId))?.metadata.strategyRevision).toBe(2);
    expect((await replaySearch(store, current.runId, { environment: miniEnvironment() })).sameChoices).toBe(true);
  });
});
