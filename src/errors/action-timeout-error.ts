import { ArborError } from './arbor-error.js';

/** An action did not finish within its time limit and was aborted. */
export class ActionTimeoutError extends ArborError {
  readonly action: string;
  readonly timeoutMs: number;

  constructor(action: string, timeoutMs: number) {
    super('ARBOR_ACTION_TIMEOUT', `Action "${action}" did not finish within ${timeoutMs} ms`, {
      hint: 'Raise the action\'s timeoutMs, or make it honour ctx.signal so it can stop early.',
      data: { action, timeoutMs },
    });
    this.name = 'ActionTimeoutError';
    this.action = action;
    this.timeoutMs = timeoutMs;
  }
}
