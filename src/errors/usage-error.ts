import { ArborError } from './arbor-error.js';

/** A library or CLI call was given arguments that cannot work together. */
export class UsageError extends ArborError {
  constructor(message: string, hint?: string, data?: Record<string, unknown>) {
    super('ARBOR_USAGE', message, { hint, data });
    this.name = 'UsageError';
  }
}
