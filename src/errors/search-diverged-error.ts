import { ArborError } from './arbor-error.js';

/** Re-executing a recorded search (to restore a state or to replay it) did not reproduce the recording. */
export class SearchDivergedError extends ArborError {
  constructor(message: string, data: Record<string, unknown> = {}) {
    super('ARBOR_SEARCH_DIVERGED', message, {
      hint: 'The environment or the policy no longer behaves as recorded: check that it is deterministic (draw randomness and time through ctx), or that the recording is of this environment.',
      data,
    });
    this.name = 'SearchDivergedError';
  }
}
