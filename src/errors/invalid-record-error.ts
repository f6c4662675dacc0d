import { ArborError } from './arbor-error.js';

/** A run, step or search node handed to the store is malformed; nothing of it was written. */
export class InvalidRecordError extends ArborError {
  readonly record: string;
  readonly problems: string[];

  constructor(record: 'run' | 'step' | 'search node' | 'run update' | 'blob' | 'cache entry', problems: string[]) {
    super('ARBOR_INVALID_RECORD', `Invalid ${record}: ${problems.slice(0, 4).join('; ')}${problems.length > 4 ? `; and ${problems.length - 4} more` : ''}`, {
      hint: 'Records are written by the executor and planners; a store adapter or a caller built this one wrongly. Nothing was written.',
      data: { record, problems },
    });
    this.name = 'InvalidRecordError';
    this.record = record;
    this.problems = problems;
  }
}
