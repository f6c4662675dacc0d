import { ArborError } from './arbor-error.js';

/** An action ran but a postcondition did not hold afterwards, so the step was recorded as failed. */
export class PostconditionFailedError extends ArborError {
  readonly action: string;
  readonly postcondition: string;

  constructor(action: string, postcondition: string, reason: string, observed?: unknown) {
    super('ARBOR_POSTCONDITION_FAILED', `Action "${action}" failed: postcondition "${postcondition}" does not hold (${reason})`, {
      hint: 'The action ran and its effect stands; inspect the step, then repair the state or the action before going on.',
      data: { action, postcondition, reason, ...(observed === undefined ? {} : { observed }) },
    });
    this.name = 'PostconditionFailedError';
    this.action = action;
    this.postcondition = postcondition;
  }
}
