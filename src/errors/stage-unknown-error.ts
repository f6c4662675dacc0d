import { ArborError } from './arbor-error.js';

/** A stage machine cannot tell which stage a call is in (it never saw the step the call continues from). */
export class StageUnknownError extends ArborError {
  readonly action: string;

  constructor(action: string, machine: string, parentStepId: string) {
    super('ARBOR_STAGE_UNKNOWN', `Stage machine "${machine}" does not know the stage after step ${parentStepId}, so "${action}" was blocked`, {
      hint: 'Give the stage guard the store ({ store }) so it can read the stage recorded with earlier steps, or derive the stage from the state (stageOf).',
      data: { action, machine, parentStepId },
    });
    this.name = 'StageUnknownError';
    this.action = action;
  }
}
