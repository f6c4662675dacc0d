import type { Policy, PolicyCallOptions, PolicyResult } from './policy.js';
import type { PolicyMethod } from './search-context.js';

/**
 * Every method of the Policy port. `satisfies` makes the compiler name a method added to the port and
 * missing here, so a wrapper built on `wrapPolicy` can never let one through unwrapped.
 */
export const POLICY_METHODS = {
  propose: true,
  evaluate: true,
  proposeAndValue: true,
  samplePlans: true,
  reflect: true,
} as const satisfies Record<Exclude<keyof Policy, 'name'>, true> & Record<PolicyMethod, true>;

/** What a wrapper does around one policy call: run `call` (or not), before and after whatever it adds. */
export type PolicyCallWrapper = <T>(call: () => Promise<PolicyResult<T>>, method: PolicyMethod, options: PolicyCallOptions | undefined) => Promise<PolicyResult<T>>;

/**
 * Wraps every method a policy has, required and optional, in `around` (a rate limit, a simulated latency,
 * a call log). Each wrapped method is an own property of the result, so none is reached unwrapped
 * through the prototype; the policy's other properties (a simulated policy's `simulated`, its settings)
 * stay readable through it. A method the policy lacks stays absent, so planners still see what it can do.
 */
export function wrapPolicy<P extends Policy>(policy: P, around: PolicyCallWrapper, name: string = policy.name): P {
  const wrapped: Policy = {
    name,
    propose: (state, candidates, k, options) => around(() => policy.propose(state, candidates, k, options), 'propose', options),
    evaluate: (state, children, options) => around(() => policy.evaluate(state, children, options), 'evaluate', options),
  };
  const proposeAndValue = policy.proposeAndValue?.bind(policy);
  if (proposeAndValue !== undefined) wrapped.proposeAndValue = (state, candidates, k, options) => around(() => proposeAndValue(state, candidates, k, options), 'proposeAndValue', options);
  const samplePlans = policy.samplePlans?.bind(policy);
  if (samplePlans !== undefined) wrapped.samplePlans = (state, candidates, n, options) => around(() => samplePlans(state, candidates, n, options), 'samplePlans', options);
  const reflect = policy.reflect?.bind(policy);
  if (reflect !== undefined) wrapped.reflect = (state, options) => around(() => reflect(state, options), 'reflect', options);
  return Object.assign(Object.create(policy) as P, wrapped);
}
