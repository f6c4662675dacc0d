export { createSimulatedPolicy, type AccuracyDecay, type SimulatedPolicy, type SimulatedPolicyOptions } from './simulated-policy.js';
