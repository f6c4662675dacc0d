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

/**
 * A recorded search was made by another revision of its strategy than this Arbor has: the same recorded
 * policy answers would not lead to the same choices, so it is refused before anything runs.
 */
export class StrategyRevisionError extends ArborError {
  constructor(runId: string, strategy: string, recorded: number, current: number) {
    super('ARBOR_STRATEGY_REVISION', `Run ${runId} was searched by ${strategy} revision ${recorded}; this Arbor has revision ${current}, which would not make the same choices`, {
      hint: `Read its recorded steps with "arbor replay ${runId} --mode reuse", replay it with an Arbor release whose ${strategy} is revision ${recorded}, or run the search again.`,
      data: { runId, strategy, recorded, current },
    });
    this.name = 'StrategyRevisionError';
  }
}
