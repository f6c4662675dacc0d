import { describe, expect, it } from 'vitest';
import { createBuiltinFsmEnvironment } from '../../environments/index.js';
import { ArborError } from '../../errors/index.js';
import { allCandidates } from '../../planning/candidates.js';
import type { PolicyState } from '../../planning/policy.js';
import { createSimulatedPolicy } from './simulated-policy.js';

const environment = createBuiltinFsmEnvironment('warehouse');
const task = environment.tasks[0];
if (task === undefined) throw new Error('no task');
environment.startTask(task.id);
const state: PolicyState = { task: { id: task.id, instruction: task.instruction }, observation: environment.observe(), trajectory: [] };
const candidates = allCandidates(environment.actions);
const rights = new Set(task.oracle.nextActions({ observation: state.observation, trajectory: [] }).map((right) => `${right.action} ${JSON.stringify(right.input)}`));
const isRight = (proposal: { action: string; input: unknown }): boolean => rights.has(`${proposal.action} ${JSON.stringify(proposal.input)}`);

async function topAccuracy(accuracy: number, calls = 300, shown = candidates, perDoubling = 0): Promise<number> {
  const policy = createSimulatedPolicy({ tasks: environment.tasks, accuracy, seed: 9, accuracyDecay: { perDoubling } });
  let right = 0;
  for (let call = 0; call < calls; call++) {
    const { value } = await policy.propose(state, shown, 1);
    if (value[0] !== undefined && isRight(value[0])) right++;
  }
  return right / calls;
}

describe('the simulated policy', () => {
  it('says it is a simulation', () => {
    const policy = createSimulatedPolicy({ tasks: environment.tasks });
    expect(policy.simulated).toBe(true);
    expect(policy.name).toMatch(/^simulated\(p=0\.7,sigma=0\.2,seed=1\)$/);
  });

  it('proposes a right action with probability p', async () => {
    expect(await topAccuracy(1)).toBe(1);
    expect(await topAccuracy(0)).toBe(0);
    expect(await topAccuracy(0.7, 600)).toBeGreaterThan(0.62);
    expect(await topAccuracy(0.7, 600)).toBeLessThan(0.78);
  });

  it('gets less accurate as more candidates are shown, when asked to (BFCL-like decay)', async () => {
    const policy = createSimulatedPolicy({ tasks: environment.tasks, accuracy: 0.96, accuracyDecay: { threshold: 20, perDoubling: 0.1 } });
    expect(policy.effectiveAccuracy(10)).toBeCloseTo(0.96);
    expect(policy.effectiveAccuracy(80)).toBeCloseTo(0.96 * 0.8);
    expect(policy.effectiveAccuracy(1000)).toBeLessThan(0.6);
    // Without decay, p does not depend on how many candidates are shown.
    expect(createSimulatedPolicy({ tasks: environment.tasks }).effectiveAccuracy(1000)).toBe(0.7);
  });

  it('bills more input tokens when more candidates are shown, and counts one call each time', async () => {
    const policy = createSimulatedPolicy({ tasks: environment.tasks });
    const few = await policy.propose(state, candidates.slice(0, 3), 3);
    const all = await policy.propose(state, candidates, 3);
    expect(few.usage.modelCalls).toBe(1);
    expect(all.usage.inputTokens).toBeGreaterThan(few.usage.inputTokens);
    const saas = createBuiltinFsmEnvironment('saas-admin');
    const wide = createSimulatedPolicy({ tasks: saas.tasks });
    const saasTask = saas.tasks[0];
    if (saasTask === undefined) throw new Error('no task');
    saas.startTask(saasTask.id);
    const saasState: PolicyState = { task: { id: saasTask.id, instruction: saasTask.instruction }, observation: saas.observe(), trajectory: [] };
    const thousand = await wide.propose(saasState, allCandidates(saas.actions), 3);
    expect(thousand.usage.inputTokens).toBeGreaterThan(20_000);
  });

  it('values children with Gaussian noise σ around discount^(cost to go)', async () => {
    const exact = createSimulatedPolicy({ tasks: environment.tasks, valueNoise: 0 });
    const [right] = task.oracle.nextActions({ observation: state.observation, trajectory: [] });
    if (right === undefined) throw new Error('no right action');
    const predicted = task.oracle.predict({ observation: state.observation, trajectory: [] }, right.action, right.input);
    const { value } = await exact.evaluate(state, [{ action: right.action, input: right.input, status: 'ok', observation: predicted?.observation ?? null }]);
    expect(value[0]).toBeCloseTo(0.95 ** (task.oracle.optimalCost - 1));
    const noisy = createSimulatedPolicy({ tasks: environment.tasks, valueNoise: 0.2, seed: 3 });
    const samples: number[] = [];
    for (let call = 0; call < 400; call++) samples.push(...(await noisy.evaluate(state, [{ action: right.action, input: right.input, status: 'ok', observation: predicted?.observation ?? null }])).value);
    const mean = samples.reduce((sum, sample) => sum + sample, 0) / samples.length;
    const sd = Math.sqrt(samples.reduce((sum, sample) => sum + (sample - mean) ** 2, 0) / samples.length);
    expect(mean).toBeCloseTo(value[0] ?? 0, 1);
    expect(sd).toBeGreaterThan(0.15);
    expect(sd).toBeLessThan(0.22);
  });

  it('values the state and each proposal in one proposeAndValue call, judging a proposal by its predicted outcome', async () => {
    const exact = createSimulatedPolicy({ tasks: environment.tasks, accuracy: 0.5, valueNoise: 0, seed: 2 });
    const { value, usage } = await exact.proposeAndValue(state, candidates, 3);
    expect(usage.modelCalls).toBe(1);
    expect(value.value).toBeCloseTo(0.95 ** task.oracle.optimalCost);
    expect(value.proposals.length).toBeGreaterThan(0);
    for (const proposal of value.proposals) {
      const predicted = task.oracle.predict({ observation: state.observation, trajectory: [] }, proposal.action, proposal.input);
      const costToGo = predicted === undefined ? Number.POSITIVE_INFINITY : task.oracle.costToGo(predicted);
      expect(proposal.value).toBeCloseTo(Number.isFinite(costToGo) ? 0.95 ** costToGo : 0);
    }
    // A right proposal is one step closer to done: valued above the state itself (no noise here).
    for (const proposal of value.proposals.filter(isRight)) expect(proposal.value).toBeGreaterThan(value.value);
    // Each value is billed as output, like evaluate's.
    const plain = await createSimulatedPolicy({ tasks: environment.tasks, accuracy: 0.5, valueNoise: 0, seed: 2 }).propose(state, candidates, 3);
    expect(usage.outputTokens).toBe(plain.usage.outputTokens + 6 * (1 + value.proposals.length));
  });

  it('gives the same answers for the same seed', async () => {
    const answers = async (seed: number) => {
      const policy = createSimulatedPolicy({ tasks: environment.tasks, seed });
      return [await policy.propose(state, candidates, 3), await policy.samplePlans(state, candidates, 3)].map((result) => JSON.stringify(result.value));
    };
    expect(await answers(4)).toEqual(await answers(4));
    expect(await answers(4)).not.toEqual(await answers(5));
  });

  it('refuses a call that would spend more tokens than are left, with a typed error', async () => {
    const policy = createSimulatedPolicy({ tasks: environment.tasks });
    await expect(policy.propose(state, candidates, 3, { remainingTokens: 10 })).rejects.toMatchObject({ code: 'ARBOR_BUDGET_EXCEEDED', data: { resource: 'tokens', limit: 10 } });
  });

  it('needs an oracle for the task it is asked about', async () => {
    const policy = createSimulatedPolicy({ tasks: [] });
    const error = await policy.propose(state, candidates, 1).catch((caught: unknown) => caught);
    expect(ArborError.isInstance(error) && error.code).toBe('ARBOR_USAGE');
  });
});
