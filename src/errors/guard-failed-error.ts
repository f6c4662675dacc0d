import { ArborError } from './arbor-error.js';

/** A guard (or a mask or rule inside one) threw while checking a call; the call was stopped rather than let through. */
export class GuardFailedError extends ArborError {
  readonly guard: string;
  readonly action: string;

  constructor(guard: string, action: string, cause: unknown) {
    const message = cause instanceof Error ? cause.message : String(cause);
    super('ARBOR_GUARD_FAILED', `Guard "${guard}" failed while checking action "${action}": ${message}`, {
      hint: 'Guards fail closed: fix the guard (or the mask or predicate it calls) so that it returns a verdict.',
      cause,
      data: { guard, action, message },
    });
    this.name = 'GuardFailedError';
    this.guard = guard;
    this.action = action;
  }
}
