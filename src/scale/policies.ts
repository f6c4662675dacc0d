import { UsageError } from '../errors/index.js';
import type { JsonValue } from '../internal/json.js';
import type { Policy, PolicyCallOptions, PolicyResult } from '../planning/policy.js';
import { wrapPolicy } from '../planning/wrap-policy.js';
import { createSimulatedPolicy } from '../policies/simulated/index.js';
import type { PolicyFactory, TaskJob } from './solver.js';

export interface SimulatedPolicyDefaults {
  /** Chance a proposal is right. Default 0.7 (as `arbor plan`). */
  accuracy?: number;
  /** Noise on its values. Default 0.2. */
  valueNoise?: number;
  /** Accuracy lost per doubling of candidates beyond 20. Default 0. */
  decay?: number;
  /** A SIMULATED model latency: every call waits this long first. Default 0. */
  latencyMs?: number;
}

/**
 * Makes every call of a policy wait `ms` first: a SIMULATED model latency, so that throughput measured
 * with a simulated policy resembles a pool waiting on a model. Its name says so.
 */
export function withSimulatedLatency<P extends Policy>(policy: P, ms: number): P {
  const wait = (signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason as Error)), { once: true });
    });
  const delayed = <T>(call: () => Promise<PolicyResult<T>>, options?: PolicyCallOptions) => wait(options?.signal).then(call);
  return wrapPolicy(policy, (call, _method, options) => delayed(call, options), `${policy.name}+simulated-latency(${ms}ms)`);
}

function numberSetting(job: TaskJob, key: string, fallback: number, min: number, max: number): number {
  const value: JsonValue | undefined = job.spec.policyOptions?.[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`policyOptions.${key} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * The simulated policy as a worker policy (`"policy": "simulated"`): a seeded SIMULATION of a model that
 * knows each task's optimal next actions (src/policies/simulated), not a model. Task lines may set
 * `policyOptions` {accuracy, valueNoise, decay, seed, latencyMs}; the seed defaults to the task's position.
 */
export function simulatedPolicyFactory(defaults: SimulatedPolicyDefaults = {}): PolicyFactory {
  return {
    name: 'simulated',
    description: 'a seeded SIMULATION of a model (knows the optimal next actions), not a model',
    endpoint: 'simulated',
    create: ({ environment, job }) => {
      const policy = createSimulatedPolicy({
        tasks: environment.tasks ?? [],
        accuracy: numberSetting(job, 'accuracy', defaults.accuracy ?? 0.7, 0, 1),
        valueNoise: numberSetting(job, 'valueNoise', defaults.valueNoise ?? 0.2, 0, 10),
        accuracyDecay: { perDoubling: numberSetting(job, 'decay', defaults.decay ?? 0, 0, 1) },
        seed: numberSetting(job, 'seed', job.index + 1, 0, Number.MAX_SAFE_INTEGER),
      });
      const latencyMs = numberSetting(job, 'latencyMs', defaults.latencyMs ?? 0, 0, 600_000);
      return latencyMs > 0 ? withSimulatedLatency(policy, latencyMs) : policy;
    },
  };
}
