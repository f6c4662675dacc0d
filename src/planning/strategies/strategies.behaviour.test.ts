import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveAll } from '../../execution/index.js';
import type { JsonValue } from '../../internal/json.js';
import { createSimulatedPolicy } from '../../policies/simulated/index.js';
import { openStore, runSteps, type Store } from '../../provenance/index.js';
import { plan } from '../plan.js';
import type { CandidateContext } from '../candidates.js';
import type { Policy } from '../policy.js';
import { miniEnvironment, scriptedPolicy } from '../test-support.js';
import { astar, beam, bestFirst, bestOfN, buildActionTrie, greedy, mcts, treePlanner } from './index.js';

let store: Store;
beforeAll(async () => {
  store = await openStore({ location: ':memory:' });
});
afterAll(async () => {
  await store.close();
});

const to = (input: JsonValue): string | undefined => (input !== null && typeof input === 'object' && !Array.isArray(input) ? (input.to as string | undefined) : undefined);

describe('A*', () => {
  it('returns the least-cost path, not the first one found, and expands nodes in f order', async () => {
    // The policy proposes the expensive flight first; uniform cost (h = 0) must still prefer three walks.
    const policy = scriptedPolicy({ rank: (action) => (action === 'fly' ? 0 : 1) });
    const result = await plan({
      environment: miniEnvironment(),
      task: 'reach-gate',
      planner: astar({ branching: 20, priorWeight: 0 }),
      policy,
      store,
      heuristic: () => 0,
    });
    expect(result.status).toBe('succeeded');
    expect(result.plan.map((step) => `${step.action}:${to(step.input) ?? ''}`)).toEqual(['walk:hall', 'walk:lobby', 'walk:gate']);
    const nodes = await store.listSearchNodes(result.runId);
    const gateByFlight = nodes.find((node) => node.action === 'fly');
    expect(gateByFlight?.g).toBe(5);
    const popped = nodes.filter((node) => typeof node.data.order === 'number').sort((a, b) => (a.data.order as number) - (b.data.order as number));
    const fs = popped.map((node) => node.data.f as number);
    expect(fs).toEqual([...fs].sort((a, b) => a - b));
    // The goal was popped at f = 3, before the flight's f = 5.
    expect(popped.some((node) => node.action === 'fly')).toBe(false);
  });

  it('prunes children the policy values as dead ends', async () => {
    const policy = scriptedPolicy({ value: (action) => (action === 'chute' ? 0 : 0.6) });
    const result = await plan({ environment: miniEnvironment(), task: 'reach-gate', planner: astar({ branching: 20 }), policy, store });
    const nodes = await store.listSearchNodes(result.runId);
    expect(nodes.find((node) => node.action === 'chute')).toMatchObject({ status: 'pruned', data: { reason: 'low-value' } });
  });
});

describe('A* with deferred evaluation (a policy that values a state while proposing)', () => {
  it('spends one model call per expansion, values nothing it does not pop, and still expands in f order', async () => {
    const policy = scriptedPolicy({ rank: (action) => (action === 'fly' ? 0 : 1), valuesWhileProposing: true });
    const result = await plan({ environment: miniEnvironment(), task: 'reach-gate', planner: astar({ branching: 20, priorWeight: 0 }), policy, store, heuristic: () => 0 });
    expect(result.status).toBe('succeeded');
    expect(result.plan.map((step) => `${step.action}:${to(step.input) ?? ''}`)).toEqual(['walk:hall', 'walk:lobby', 'walk:gate']);
    const nodes = await store.listSearchNodes(result.runId);
    // One call per expansion, plus one evaluate per irreversible commit point popped (valued before it is taken).
    const commitsPopped = nodes.filter((node) => node.action === 'pay' && node.value !== null).length;
    expect(policy.calls.evaluate).toBe(commitsPopped);
    expect(result.spent.modelCalls).toBe(result.spent.expansions + commitsPopped);
    const popped = nodes.filter((node) => typeof node.data.order === 'number').sort((a, b) => (a.data.order as number) - (b.data.order as number));
    const fs = popped.map((node) => node.data.f as number);
    expect(fs).toEqual([...fs].sort((a, b) => a - b));
    // Generated but never expanded: never valued (payments popped were valued, then went back in the queue).
    expect(nodes.filter((node) => node.data.order === undefined && node.action !== null && node.action !== 'pay' && node.value !== null)).toEqual([]);
  });

  it('values an irreversible commit point before taking it, and prunes a trap instead', async () => {
    const policy = scriptedPolicy({ value: (action) => (action === 'pay' ? 0 : 0.6), valuesWhileProposing: true });
    const result = await plan({ environment: miniEnvironment(), task: 'pay-at-gate', planner: astar({ branching: 20 }), policy, store, approval: approveAll, maxDepth: 4 });
    const steps = await runSteps(store, result.runId);
    expect(steps.filter((step) => step.effect === 'irreversible')).toEqual([]);
    expect(policy.calls.evaluate).toBeGreaterThan(0);
    const payments = (await store.listSearchNodes(result.runId)).filter((node) => node.action === 'pay' && node.data.order === undefined && node.value !== null);
    expect(payments.length).toBeGreaterThan(0);
    expect(payments.every((node) => node.status === 'pruned' && node.data.reason === 'low-value')).toBe(true);
  });
});

describe('A* with action values from the proposing call (the Q* idea)', () => {
  it('takes a commit point its proposing call valued, with no evaluate call: one model call per expansion', async () => {
    const at = (state: JsonValue | undefined): unknown => (state !== null && typeof state === 'object' && !Array.isArray(state) ? state.at : undefined);
    const policy = scriptedPolicy({ value: (action, _input, _observation, from) => (action === 'pay' ? (at(from) === 'gate' ? 0.95 : 0.05) : 0.6), valuesWhileProposing: true, valuesActions: true });
    const result = await plan({ environment: miniEnvironment(), task: 'pay-at-gate', planner: astar({ branching: 20 }), policy, store, approval: approveAll, maxDepth: 4 });
    expect(result.status).toBe('succeeded');
    expect(policy.calls.evaluate).toBe(0);
    expect(result.spent.modelCalls).toBe(result.spent.expansions);
    const steps = await runSteps(store, result.runId);
    expect(steps.filter((step) => step.effect === 'irreversible').map((step) => step.status)).toEqual(['ok']);
  });

  it('prunes a trap its proposing call values as a dead end: never taken, never evaluated', async () => {
    const policy = scriptedPolicy({ value: (action) => (action === 'pay' ? 0 : 0.6), valuesWhileProposing: true, valuesActions: true });
    const result = await plan({ environment: miniEnvironment(), task: 'pay-at-gate', planner: astar({ branching: 20 }), policy, store, approval: approveAll, maxDepth: 4 });
    const steps = await runSteps(store, result.runId);
    expect(steps.filter((step) => step.effect === 'irreversible')).toEqual([]);
    expect(policy.calls.evaluate).toBe(0);
    const payments = (await store.listSearchNodes(result.runId)).filter((node) => node.action === 'pay');
    expect(payments.length).toBeGreaterThan(0);
    expect(payments.every((node) => node.status === 'pruned' && node.data.reason === 'low-value' && node.data.actionValue === 0)).toBe(true);
  });

  it("averages a node's action value with its own value when it is popped, and orders the queue by action values", async () => {
    // Judged before the step (no observation yet): 0.8; judged at the state after it: 0.4 (paying: a dead end).
    const policy = scriptedPolicy({ value: (action, _input, observation) => (action === 'pay' ? 0 : observation === undefined ? 0.8 : 0.4), valuesWhileProposing: true, valuesActions: true });
    // stepSuccess 0.5 keeps h small next to the flight's cost, so walks are popped before the flight's goal.
    const result = await plan({ environment: miniEnvironment(), task: 'reach-gate', planner: astar({ branching: 20, stepSuccess: 0.5 }), policy, store });
    expect(result.status).toBe('succeeded');
    const nodes = await store.listSearchNodes(result.runId);
    const popped = nodes.filter((node) => node.nodeId !== 0 && typeof node.data.order === 'number' && !node.data.goal);
    expect(popped.length).toBeGreaterThan(0);
    for (const node of popped) expect(node.value).toBeCloseTo(0.6, 10);
    // Children never popped keep the value their parent's call gave them.
    const waiting = nodes.filter((node) => node.nodeId !== 0 && node.data.order === undefined && node.data.actionValue !== undefined && node.data.stepStatus === 'ok');
    expect(waiting.length).toBeGreaterThan(0);
    for (const node of waiting) expect(node.value).toBe(0.8);
  });
});

describe('best-first with safety', () => {
  it('never executes an irreversible action speculatively: it scores commit points, explores safer nodes first, and commits last', async () => {
    // Paying is scored just under the commit threshold everywhere: every payment is a commit point set aside
    // while the safer walks are explored; only when nothing safe is left is the best payment committed.
    const policy = scriptedPolicy({ value: (action, input) => (action === 'pay' ? 0.45 : action === 'walk' && ['hall', 'lobby', 'gate'].includes(to(input) ?? '') ? 0.7 : 0.3) });
    const result = await plan({ environment: miniEnvironment(), task: 'pay-at-gate', planner: bestFirst({ branching: 20 }), policy, store, maxDepth: 4 });
    const steps = await runSteps(store, result.runId);
    const irreversible = steps.filter((step) => step.effect === 'irreversible');
    // Refused by the (default) approval policy: the one commit it made is the only irreversible step run.
    expect(result.status).toBe('awaiting-approval');
    expect(irreversible).toHaveLength(1);
    expect(irreversible[0]?.status).toBe('blocked');
    expect(steps.at(-1)?.effect).toBe('irreversible');
    const nodes = await store.listSearchNodes(result.runId);
    const payments = nodes.filter((node) => node.action === 'pay');
    expect(payments.filter((node) => node.stepId === null).length).toBeGreaterThan(2);
    expect(payments.filter((node) => node.stepId !== null)).toHaveLength(1);
  });

  it('explores safer alternatives first and commits only when the commit point is the best', async () => {
    const environment = miniEnvironment();
    const policy = createSimulatedPolicy({ tasks: environment.tasks, accuracy: 1, valueNoise: 0, seed: 4 });
    const result = await plan({ environment, task: 'pay-at-gate', planner: bestFirst({ branching: 3 }), policy, store, approval: approveAll });
    expect(result.status).toBe('succeeded');
    const steps = await runSteps(store, result.runId);
    const last = steps.at(-1);
    expect(last?.action).toBe('pay');
    expect(steps.filter((step) => step.effect === 'irreversible')).toHaveLength(1);
  });
});

describe('MCTS', () => {
  it('concentrates its visits on the best child (UCT, as mcts-value backs up values)', async () => {
    const good = new Set(['hall', 'lobby', 'gate']);
    const policy = scriptedPolicy({ value: (action, input) => (action === 'walk' && good.has(to(input) ?? '') ? 0.9 : 0.15) });
    const environment = miniEnvironment();
    // An unreachable goal: the search runs until its budget is spent.
    const result = await plan({
      environment,
      task: { id: 'nowhere', instruction: 'Find a room that does not exist.', isDone: () => false },
      planner: mcts({ iterations: 1000, branching: 20, simulation: 'value' }),
      policy,
      store,
      candidates: (context) => context.all().filter((candidate) => candidate.name !== 'pay'),
      budget: { modelCalls: 8 },
    });
    expect(result.status).toBe('budget-exhausted');
    const nodes = await store.listSearchNodes(result.runId);
    const rootChildren = nodes.filter((node) => node.parentId === 0 && node.status !== 'pruned' && node.visits > 0);
    const best = rootChildren.find((node) => node.action === 'walk' && to(node.input) === 'hall');
    const others = rootChildren.filter((node) => node !== best);
    expect(best).toBeDefined();
    for (const other of others) expect(best?.visits ?? 0).toBeGreaterThan(2 * other.visits);
  });

  it('reflects on dead ends and shows the lesson to later calls', async () => {
    const policy = scriptedPolicy({ value: () => 0.5 });
    const result = await plan({
      environment: miniEnvironment(),
      task: { id: 'nowhere', instruction: 'Find a room that does not exist.', isDone: () => false },
      planner: mcts({ iterations: 200, branching: 20, maxExpansions: 1 }),
      policy,
      store,
      candidates: (context) => context.all().filter((candidate) => candidate.name !== 'pay'),
      maxDepth: 3,
      budget: { modelCalls: 60 },
    });
    expect(policy.calls.reflect).toBeGreaterThan(0);
    expect(result.policyLog.some((call) => call.method === 'reflect')).toBe(true);
  });
});

describe('MCTS with LATS simulation (the default)', () => {
  const noShortcuts = (context: CandidateContext) => context.all().filter((candidate) => candidate.name !== 'fly');

  it('simulates from the most valuable child with the same policy, records the simulated steps, and returns the goal a simulation reaches', async () => {
    const good = new Set(['hall', 'lobby', 'gate']);
    const policy = scriptedPolicy({ value: (action, input) => (action === 'walk' && good.has(to(input) ?? '') ? 0.9 : 0.15) });
    const result = await plan({ environment: miniEnvironment(), task: 'reach-gate', planner: mcts({ branching: 20 }), policy, store, approval: approveAll, candidates: noShortcuts });
    expect(result.status).toBe('succeeded');
    expect(result.plan.map((step) => to(step.input))).toEqual(['hall', 'lobby', 'gate']);
    // One expansion of the root, then a simulation of two steps from the hall that reaches the gate.
    expect(policy.calls).toMatchObject({ propose: 3, evaluate: 3 });
    const nodes = await store.listSearchNodes(result.runId);
    const chosen = nodes.filter((node) => node.data.chosen === true && node.parentId !== null);
    expect(chosen.map((node) => [to(node.input), node.data.rollout === true])).toEqual([
      ['hall', false],
      ['lobby', true],
      ['gate', true],
    ]);
    expect(chosen[0]?.data.rolloutFrom).toBe(true);
    // Payments were proposed along the way and scored, never executed.
    const steps = await runSteps(store, result.runId);
    expect(nodes.some((node) => node.action === 'pay')).toBe(true);
    expect(steps.some((step) => step.effect === 'irreversible')).toBe(false);
  });

  it('backs up a failed simulation as 0 and reflects on it, at most maxReflections times', async () => {
    // The chute looks best, but leads to the cellar, where nothing works: every simulation from it fails.
    const search = async (maxReflections: number) => {
      const policy = scriptedPolicy({ value: (action) => (action === 'chute' ? 0.9 : 0.1) });
      const result = await plan({
        environment: miniEnvironment(),
        task: { id: 'nowhere', instruction: 'Find a room that does not exist.', isDone: () => false },
        planner: mcts({ branching: 20, maxReflections }),
        policy,
        store,
        candidates: (context) => noShortcuts(context).filter((candidate) => candidate.name !== 'pay'),
        maxDepth: 4,
        budget: { modelCalls: 60 },
      });
      return { result, reflections: policy.calls.reflect ?? 0 };
    };
    const unlimited = await search(Number.POSITIVE_INFINITY);
    expect(unlimited.reflections).toBeGreaterThan(2);
    const { result, reflections } = await search(2);
    expect(reflections).toBe(2);
    const nodes = await store.listSearchNodes(result.runId);
    const cellar = nodes.find((node) => node.action === 'chute');
    expect(cellar?.data.rolloutFrom).toBe(true);
    // Its own value (0.9) and the failed simulation's 0: the mean falls, and UCT turns elsewhere.
    expect(cellar?.data.meanValue).toBeLessThan(0.9);
    expect(nodes.filter((node) => node.parentId === 0 && node.action === 'walk' && (node.visits ?? 0) > 1).length).toBeGreaterThan(0);
  });

  it('is named for what it does: mcts simulates, mcts-value does not, mcts-q takes values from the proposals', () => {
    expect(mcts().name).toBe('mcts');
    expect(mcts().options).toMatchObject({ simulation: 'rollout', maxReflections: 3, childValues: 'evaluate' });
    expect(mcts({ simulation: 'value' }).name).toBe('mcts-value');
    expect(mcts({ childValues: 'proposal' }).name).toBe('mcts-q');
  });

  it('with childValues "proposal" (mcts-q) values children in the call that proposed them: one call per expansion, no evaluate', async () => {
    const good = new Set(['hall', 'lobby', 'gate']);
    const value = (action: string, input: JsonValue): number => (action === 'walk' && good.has(to(input) ?? '') ? 0.9 : 0.15);
    const policy = scriptedPolicy({ value, valuesWhileProposing: true, valuesActions: true });
    const result = await plan({ environment: miniEnvironment(), task: 'reach-gate', planner: mcts({ branching: 20, childValues: 'proposal' }), policy, store, approval: approveAll, candidates: noShortcuts });
    expect(result.status).toBe('succeeded');
    expect(result.plan.map((step) => to(step.input))).toEqual(['hall', 'lobby', 'gate']);
    expect(policy.calls.evaluate).toBe(0);
    expect(policy.calls.propose).toBe(0);
    expect(result.spent.modelCalls).toBe(result.spent.expansions + policy.calls.reflect!);
    // The LATS default scores the same children after executing them: two calls per expansion.
    const lats = scriptedPolicy({ value, valuesWhileProposing: true, valuesActions: true });
    const latsResult = await plan({ environment: miniEnvironment(), task: 'reach-gate', planner: mcts({ branching: 20 }), policy: lats, store, approval: approveAll, candidates: noShortcuts });
    expect(lats.calls.evaluate).toBe(latsResult.spent.expansions);
  });
});

describe('Tree-Planner', () => {
  it('samples plans exactly once per task, even when it has to backtrack through every branch', async () => {
    const policy = scriptedPolicy();
    const result = await plan({ environment: miniEnvironment(), task: 'reach-gate', planner: treePlanner({ samples: 6 }), policy, store });
    // The scripted plans are single steps that never reach the gate: every branch is tried, then it gives up.
    expect(result.status).toBe('failed');
    expect(policy.calls.samplePlans).toBe(1);
    expect(result.policyLog.filter((call) => call.method === 'samplePlans')).toHaveLength(1);
    const nodes = await store.listSearchNodes(result.runId);
    expect(nodes.filter((node) => node.parentId === 0 && node.stepId !== null).length).toBeGreaterThan(1);
  });

  it('merges plans with a common prefix into one branch of the trie', () => {
    const trie = buildActionTrie([
      { steps: [{ action: 'a', input: {} }, { action: 'b', input: { x: 1 } }] },
      { steps: [{ action: 'a', input: {} }, { action: 'c', input: {} }] },
      { steps: [{ action: 'd', input: {} }] },
    ]);
    expect([...trie.children.values()].map((node) => [node.action, node.count])).toEqual([['a', 2], ['d', 1]]);
    expect(trie.children.values().next().value?.children.size).toBe(2);
  });

  it('decides at branch points with one call and walks single branches without any', async () => {
    const environment = miniEnvironment();
    const policy = createSimulatedPolicy({ tasks: environment.tasks, accuracy: 1, valueNoise: 0, seed: 8 });
    const result = await plan({ environment, task: 'pay-at-gate', planner: treePlanner({ samples: 4 }), policy, store, approval: approveAll });
    expect(result.status).toBe('succeeded');
    // With a perfect policy every plan is the same: no branch point, so the only call is the sampling.
    expect(result.spent.modelCalls).toBe(1);
  });
});

describe('best-of-N', () => {
  it('takes the plan most samples agree on when the verifier cannot tell them apart', async () => {
    const walk = (room: string) => ({ action: 'walk', input: { to: room } });
    const plans = [
      { steps: [walk('yard'), walk('start')] },
      { steps: [walk('hall'), walk('lobby')] },
      { steps: [walk('hall'), walk('lobby')] },
      { steps: [walk('hall'), walk('lobby')] },
      { steps: [walk('yard'), walk('start')] },
    ];
    const base = scriptedPolicy({ value: () => 0.5 });
    const policy: Policy = { ...base, samplePlans: async () => ({ value: plans, usage: { modelCalls: 1, inputTokens: 10, outputTokens: 10 } }) };
    const result = await plan({
      environment: miniEnvironment(),
      task: { id: 'lobby', instruction: 'Get to the lobby.', isDone: (state) => (state as { at: string }).at === 'lobby' },
      planner: bestOfN({ samples: 5 }),
      policy,
      store,
    });
    expect(result.status).toBe('succeeded');
    expect(result.plan.map((step) => to(step.input))).toEqual(['hall', 'lobby']);
  });
});

describe('greedy', () => {
  it('makes one proposal per step, never evaluates and never backtracks', async () => {
    const environment = miniEnvironment();
    const policy = createSimulatedPolicy({ tasks: environment.tasks, accuracy: 1, valueNoise: 0, seed: 2 });
    const result = await plan({ environment, task: 'pay-at-gate', planner: greedy(), policy, store, approval: approveAll });
    expect(result.status).toBe('succeeded');
    expect(result.policyLog.every((call) => call.method === 'propose')).toBe(true);
    expect(result.tree.nodes).toBe(result.plan.length + 1);
  });
});

describe('beam', () => {
  it('keeps at most `width` nodes per depth', async () => {
    const policy = scriptedPolicy({ value: (action, input) => (action === 'walk' ? 0.6 + (to(input)?.length ?? 0) / 100 : 0.2) });
    const result = await plan({
      environment: miniEnvironment(),
      task: { id: 'nowhere', instruction: 'Nowhere.', isDone: () => false },
      planner: beam({ width: 2, branching: 20 }),
      policy,
      store,
      maxDepth: 4,
    });
    const nodes = await store.listSearchNodes(result.runId);
    const expandedByDepth = new Map<number, number>();
    for (const node of nodes) if (node.status === 'expanded' && node.depth > 0) expandedByDepth.set(node.depth, (expandedByDepth.get(node.depth) ?? 0) + 1);
    for (const count of expandedByDepth.values()) expect(count).toBeLessThanOrEqual(2);
    expect(nodes.some((node) => node.data.reason === 'beam')).toBe(true);
  });
});
