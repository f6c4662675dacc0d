import { ArborError } from './arbor-error.js';

/** A precondition of an action did not hold, so the action was blocked and not run. */
export class PreconditionFailedError extends ArborError {
  readonly action: string;
  readonly precondition: string;

  constructor(action: string, precondition: string, reason: string, observed?: unknown) {
    super('ARBOR_PRECONDITION_FAILED', `Action "${action}" was blocked: precondition "${precondition}" failed (${reason})`, {
      hint: 'Bring the environment into a state where the precondition holds, then call the action again.',
      data: { action, precondition, reason, ...(observed === undefined ? {} : { observed }) },
    });
    this.name = 'PreconditionFailedError';
    this.action = action;
    this.precondition = precondition;
  }
}
