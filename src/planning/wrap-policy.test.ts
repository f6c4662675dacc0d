import { describe, expect, it } from 'vitest';
import { createBuiltinFsmEnvironment } from '../environments/index.js';
import { createSimulatedPolicy } from '../policies/simulated/index.js';
import { allCandidates } from './candidates.js';
import type { Policy, PolicyState } from './policy.js';
import type { PolicyMethod } from './search-context.js';
import { POLICY_METHODS, wrapPolicy } from './wrap-policy.js';

const environment = createBuiltinFsmEnvironment('warehouse');
const task = environment.tasks[0];
if (task === undefined) throw new Error('warehouse has no tasks');
environment.startTask(task.id);
const state: PolicyState = { task: { id: task.id, instruction: task.instruction }, observation: environment.observe(), trajectory: [] };
const candidates = allCandidates(environment.actions);

describe('wrapPolicy', () => {
  it('passes every method of the Policy port through the wrapper, optional ones included', async () => {
    const policy = createSimulatedPolicy({ tasks: environment.tasks, seed: 3 });
    const seen: PolicyMethod[] = [];
    const wrapped = wrapPolicy(policy, (call, method) => {
      seen.push(method);
      return call();
    });
    await wrapped.propose(state, candidates, 2);
    await wrapped.evaluate(state, [{ action: candidates[0]?.name ?? '', input: {} }]);
    const valued = await wrapped.proposeAndValue?.(state, candidates, 2);
    await wrapped.samplePlans?.(state, candidates, 2);
    await wrapped.reflect?.(state);
    expect(seen).toEqual(Object.keys(POLICY_METHODS));
    expect(valued?.value.value).toBeGreaterThanOrEqual(0);
    // The policy's own properties stay readable through the wrapper.
    expect(wrapped.simulated).toBe(true);
    expect(wrapped.name).toBe(policy.name);
  });

  it('leaves out what the policy does not have, so planners see the same abilities', () => {
    const policy = createSimulatedPolicy({ tasks: environment.tasks });
    const { proposeAndValue: _dropped, ...rest } = policy;
    const wrapped: Policy = wrapPolicy<Policy>(rest, (call) => call(), 'without');
    expect(wrapped.proposeAndValue).toBeUndefined();
    expect(wrapped.name).toBe('without');
    expect(wrapped.samplePlans).toBeTypeOf('function');
  });
});
