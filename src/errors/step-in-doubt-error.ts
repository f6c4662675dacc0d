import { ArborError } from './arbor-error.js';

/**
 * A run cannot be resumed automatically because an irreversible step's outcome is unknown: its intent was
 * recorded, then the process died. Whether the effect happened must be checked by a person; Arbor never
 * executes it again on its own.
 */
export class StepInDoubtError extends ArborError {
  readonly stepIds: string[];

  constructor(runId: string, stepIds: string[]) {
    super('ARBOR_STEP_IN_DOUBT', `Run ${runId} has ${stepIds.length === 1 ? 'an irreversible step' : 'irreversible steps'} in doubt (${stepIds.join(', ')}): the process died while it ran`, {
      hint: `Check whether the effect happened (arbor show ${runId}); the step is never executed again automatically.`,
      data: { runId, stepIds },
    });
    this.name = 'StepInDoubtError';
    this.stepIds = stepIds;
  }
}
