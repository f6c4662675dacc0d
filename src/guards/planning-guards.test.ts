import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ActionSpace, defineAction } from '../actions/index.js';
import { approveAll } from '../execution/index.js';
import { createTempStore } from '../internal/temp-store.js';
import type { JsonObject, JsonValue } from '../internal/json.js';
import { allActions, createPlanner, plan, STRATEGY_NAMES, toCandidate, type CandidateProvider, type Policy } from '../planning/index.js';
import type { SqliteStore } from '../provenance/sqlite/sqlite-store.js';
import { createTicketEnvironment, ticketStages, type TicketState } from './fixtures/ticket-environment.js';
import { randomPolicy, type ShownCandidates } from './fixtures/random-policy.js';
import { allowedCandidates, createGuards, oneOf } from './index.js';

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
