import { ArborError } from './arbor-error.js';

/**
 * During a verify replay an action asked for a nondeterministic value that was not recorded (or of another
 * kind): the action no longer behaves as it did when recorded.
 */
export class NondeterminismMismatchError extends ArborError {
  constructor(action: string, expected: string, requested: string) {
    super(
      'ARBOR_NONDETERMINISM_MISMATCH',
      `Action "${action}" asked for ${requested} during replay, but the recording holds ${expected}`,
      {
        hint: 'The action changed since the run was recorded; replay in reuse mode or fork the run.',
        data: { action, expected, requested },
      },
    );
    this.name = 'NondeterminismMismatchError';
  }
}
