import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ActionSpace, defineAction } from '../actions/index.js';
import { approveAll } from '../execution/index.js';
import { createTempStore } from '../internal/temp-store.js';
import type { JsonObject, JsonValue } from '../internal/json.js';
import { createBuiltinFsmEnvironment } from '../environments/fsm/index.js';
import { allActions, createPlanner, plan, STRATEGY_NAMES, toCandidate, type CandidateAction, type CandidateProvider, type Policy, type PolicyCallOptions, type PolicyState } from '../planning/index.js';
import { createSimulatedPolicy } from '../policies/simulated/index.js';
import type { SqliteStore } from '../provenance/sqlite/sqlite-store.js';
import { createTicketEnvironment, ticketStages, type TicketState } from './fixtures/ticket-environment.js';
import { randomPolicy, type ShownCandidates } from './fixtures/random-policy.js';
import { allowedCandidates, createGuards, defineStages, oneOf } from './index.js';

let store: SqliteStore;
let cleanup: () => Promise<void>;
beforeEach(() => {
  ({ store, cleanup } = createTempStore());
});
afterEach(async () => {
  await cleanup();
});

const machine = ticketStages();
const goalOf = (observation: JsonValue) => (observation as unknown as TicketState).closed;

async function search(strategy: string, options: { adversarial: boolean; candidates?: (guards: ReturnType<typeof createGuards>) => CandidateProvider; seed?: number }) {
  const environment = createTicketEnvironment();
  const guards = createGuards({ stages: ticketStages() });
  const shown: ShownCandidates[] = [];
  const policy = randomPolicy({ seed: options.seed ?? 7, shown, goalOf, ...(options.adversarial ? { space: environment.actions } : {}) });
  const result = await plan({
    environment,
    task: 'close',
    planner: createPlanner(strategy),
    policy,
    store,
    budget: { expansions: 30, modelCalls: 40 },
    candidates: options.candidates?.(guards) ?? guards.candidates(),
    guards: [...guards.guards],
    approval: approveAll,
    maxDepth: 8,
  });
  const steps = await store.listSteps(result.runId);
  const nodes = await store.listSearchNodes(result.runId);
  return { result, shown, steps, nodes };
}

describe('planners see only allowed actions', () => {
  it.each(STRATEGY_NAMES)('%s: every candidate shown is allowed in its stage, and no out-of-stage step is ever executed', async (strategy) => {
    for (const [adversarial, seed] of [false, true].flatMap((mode) => [1, 2, 3, 4].map((seed) => [mode, seed] as const))) {
      const { shown, steps, nodes } = await search(strategy, { adversarial, seed });
      expect(shown.length, `${strategy} asked the policy`).toBeGreaterThan(0);
      for (const entry of shown) {
        const stage = machine.stageAfter(entry.trajectory);
        for (const name of entry.names) expect(machine.allows(stage, { name }), `${strategy} showed ${name} in stage ${stage}`).toBe(true);
        // The mask shrinks the branching factor: never the whole space.
        expect(entry.names.length).toBeLessThan(9);
      }
      // An honest policy makes progress; greedy facing the adversary may have every proposal refused.
      if (!adversarial) expect(steps.length, `${strategy} executed steps`).toBeGreaterThan(0);
      for (const step of steps) {
        expect(step.error?.code, `${strategy} ${step.action}`).not.toBe('ARBOR_STAGE_VIOLATION');
        const recorded = (step.metadata.guards as JsonObject).ticket as JsonObject;
        expect(machine.allows(recorded.stage as string, { name: step.action }), `${strategy} executed ${step.action} in ${String(recorded.stage)}`).toBe(true);
      }
      if (adversarial) {
        // The adversary proposed out-of-stage actions; the search refused them before execution.
        const refused = nodes.filter((node) => node.status === 'pruned' && node.data.reason === 'not-a-candidate');
        expect(refused.length, `${strategy} pruned adversarial proposals`).toBeGreaterThan(0);
        for (const node of refused) expect(steps.some((step) => step.id === node.stepId)).toBe(false);
      }
    }
  });

  it.each(STRATEGY_NAMES)('%s: a policy that insists on one out-of-stage irreversible action never gets it executed', async (strategy) => {
    const usage = { modelCalls: 1, inputTokens: 1, outputTokens: 1 };
    const stubborn: Policy = {
      name: 'stubborn',
      propose: async () => ({ value: [{ action: 'close_ticket', input: {}, probability: 1 }], usage }),
      evaluate: async (_state, children) => ({ value: children.map(() => 0.9), usage }),
      samplePlans: async (_state, _candidates, n) => ({ value: Array.from({ length: n }, () => ({ steps: [{ action: 'close_ticket', input: {} }] })), usage }),
    };
    const guards = createGuards({ stages: ticketStages() });
    const result = await plan({ environment: createTicketEnvironment(), task: 'close', planner: createPlanner(strategy), policy: stubborn, store, budget: { expansions: 20, modelCalls: 30 }, candidates: guards.candidates(), guards: [...guards.guards], approval: approveAll, maxDepth: 6 });
    expect(result.status).toBe('failed');
    expect(await store.listSteps(result.runId)).toEqual([]);
  });

  it('without the guards candidate provider, the same adversary reaches the executor, which blocks it (the check above can fail)', async () => {
    const { steps } = await search('best-first', { adversarial: true, candidates: () => allActions });
    const violations = steps.filter((step) => step.error?.code === 'ARBOR_STAGE_VIOLATION');
    expect(violations.length).toBeGreaterThan(0);
    expect(violations.every((step) => step.status === 'blocked')).toBe(true);
  });

  it('an honest search through the stages closes the ticket', async () => {
    const { result, steps } = await search('best-first', { adversarial: false, seed: 3 });
    expect(result.status).toBe('succeeded');
    expect(result.plan.map((step) => step.action)).toEqual(expect.arrayContaining(['assign', 'submit_review', 'close_ticket']));
    expect(steps.find((step) => step.action === 'close_ticket' && step.status === 'ok')?.metadata.guards).toMatchObject({ ticket: { stage: 'review', next: 'closed' } });
  });
});

describe('a real domain and the simulated model policy', () => {
  it.each(STRATEGY_NAMES)('%s on fsm/checkout: stages read from the state keep pay until ordered and the newsletter out; plans still succeed', async (strategy) => {
    const environment = createBuiltinFsmEnvironment('checkout');
    const stages = defineStages({
      name: 'checkout',
      initial: 'shopping',
      stages: {
        shopping: { deny: ['pay', 'pay.*', 'pay_*'] },
        payment: { allow: ['pay*', 'view_*'] },
        done: { allow: ['view_*'] },
      },
      stageOf: (state) => {
        const view = state as { ordered?: boolean; paid_with?: string };
        return view.ordered !== true ? 'shopping' : view.paid_with === 'none' ? 'payment' : 'done';
      },
    });
    const guards = createGuards({ stages, policy: { rules: [{ id: 'no-newsletter', decision: 'deny', action: 'subscribe_newsletter*' }] } });
    const shown: string[][] = [];
    const tasks = environment.tasks ?? [];
    const simulated = createSimulatedPolicy({ tasks, seed: 5 });
    const policy: Policy = {
      ...simulated,
      name: simulated.name,
      propose: (state, candidates, k, options) => {
        shown.push([stages.stageAt({ observation: state.observation }), ...candidates.map((candidate) => candidate.name)]);
        return simulated.propose(state, candidates, k, options);
      },
      proposeAndValue: (state, candidates, k, options) => {
        shown.push([stages.stageAt({ observation: state.observation }), ...candidates.map((candidate) => candidate.name)]);
        return simulated.proposeAndValue(state, candidates, k, options);
      },
      evaluate: (state, children, options) => simulated.evaluate(state, children, options),
      ...(simulated.samplePlans === undefined
        ? {}
        : {
            samplePlans: (state: PolicyState, candidates: readonly CandidateAction[], n: number, options?: PolicyCallOptions) => {
              shown.push([stages.stageAt({ observation: state.observation }), ...candidates.map((candidate) => candidate.name)]);
              return simulated.samplePlans!(state, candidates, n, options);
            },
          }),
    };
    const task = tasks[0]!;
    // Every strategy finishes its search (no internal error); whether it succeeds depends on the strategy.
    const { status } = await plan({ environment, task: task.id, planner: createPlanner(strategy), policy, store, budget: { expansions: 60, modelCalls: 150 }, candidates: guards.candidates(), guards: [...guards.guards], approval: approveAll });
    const [run] = await store.listRuns({ limit: 1 });
    expect(shown.length).toBeGreaterThan(0);
    for (const [stage, ...names] of shown) {
      for (const name of names) {
        expect(stages.allows(stage as string, { name }), `${strategy}: ${name} shown in ${stage}`).toBe(true);
        expect(name.startsWith('subscribe_newsletter'), `${strategy}: ${name}`).toBe(false);
      }
    }
    const steps = await store.listSteps(run!.id);
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) expect(['ARBOR_STAGE_VIOLATION', 'ARBOR_POLICY_DENIED'], `${strategy} ${step.action}`).not.toContain(step.error?.code);
    expect(steps.some((step) => step.action.startsWith('subscribe_newsletter'))).toBe(false);
    results.set(strategy, status);
  });

  const results = new Map<string, string>();
  it('the guards leave a step-by-step planner able to finish the task', () => {
    // Plan samplers (tree-planner, best-of-n) are shown the current stage's actions only, so a whole plan
    // sampled at the root cannot reach a later stage's actions (see README, Guards: limits).
    expect(results.get('greedy'), [...results].join(' ')).toBe('succeeded');
    // A* and best-first commit mid-plan on checkout (place the order, then pay) and go on from there.
    expect(results.get('astar'), [...results].join(' ')).toBe('succeeded');
    expect(results.get('best-first'), [...results].join(' ')).toBe('succeeded');
  });
});

describe('allowedCandidates', () => {
  const actions = () => {
    const environment = createTicketEnvironment();
    const extra = new ActionSpace([...environment.actions]);
    extra.add(
      defineAction({
        name: 'reassign',
        description: 'Hand the ticket to someone on call.',
        input: z.object({ to: z.string() }),
        effect: 'write',
        masks: { to: oneOf((state) => (state as { onCall: string[] }).onCall, { description: 'someone on call' }) },
        run: () => null,
      }),
    );
    return extra;
  };

  it('applies the stage, masks and policy together, and narrows masked arguments to an enum', () => {
    const space = actions();
    const guards = createGuards({
      stages: { ...ticketStages(), stages: { ...ticketStages().stages, triage: { allow: ['read_ticket', 'comment', 'assign', 'reassign'] } } },
      policy: { rules: [{ decision: 'deny', action: 'comment' }] },
    });
    const view = { observation: { onCall: ['kim'] }, trajectory: [] };
    const allowed = allowedCandidates(view, space, guards);
    expect(allowed.map((candidate) => candidate.name)).toEqual(['read_ticket', 'assign', 'reassign']);
    expect(allowed.find((candidate) => candidate.name === 'reassign')?.inputSchema).toMatchObject({ properties: { to: { type: 'string', enum: ['kim'] } } });
    expect(allowedCandidates({ observation: { onCall: [] }, trajectory: [] }, space, guards).map((candidate) => candidate.name)).toEqual(['read_ticket', 'assign']);
    const later = allowedCandidates({ observation: { onCall: [] }, trajectory: [{ action: 'assign', input: { to: 'ada' }, status: 'ok' }] }, space, guards);
    expect(later.map((candidate) => candidate.name)).toEqual(['read_ticket', 'submit_review']);
  });

  it('keeps the inner provider\'s choice (retrieval\'s top k) and only filters it', async () => {
    const space = actions();
    const guards = createGuards({ stages: ticketStages() });
    const topK: CandidateProvider = (context) => context.all().filter((candidate) => ['assign', 'close_ticket'].includes(candidate.name));
    const provider = guards.candidates(topK);
    const listed = await provider({ state: { task: { instruction: 'x' }, observation: null, trajectory: [] }, depth: 0, actions: space, all: () => [...space].map(toCandidate) });
    expect(listed.map((candidate) => candidate.name)).toEqual(['assign']);
  });
});
