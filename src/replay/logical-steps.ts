import type { StepRecord } from '../provenance/index.js';

/**
 * The calls a run's driver made: top-level action steps on their first attempt. Nested steps and retries
 * are produced by the executor itself when these are executed again.
 */
export function logicalSteps(steps: readonly StepRecord[]): StepRecord[] {
  return steps.filter((step) => step.depth === 0 && step.attempt === 1 && step.kind === 'action');
}
