import { ArborError } from './arbor-error.js';

/** An action's own code threw. The original error is kept as `cause`. */
export class ActionFailedError extends ArborError {
  readonly action: string;

  constructor(action: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('ARBOR_ACTION_FAILED', `Action "${action}" failed: ${reason}`, {
      hint: 'The failure is recorded as a failed step; inspect it with "arbor show <run>".',
      cause,
      data: { action },
    });
    this.name = 'ActionFailedError';
    this.action = action;
  }
}
