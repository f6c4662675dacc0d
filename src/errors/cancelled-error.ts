import { ArborError } from './arbor-error.js';

/** The caller aborted the work through its AbortSignal. */
export class CancelledError extends ArborError {
  constructor(what: string, reason?: unknown) {
    super('ARBOR_CANCELLED', `${what} was cancelled${reason instanceof Error ? `: ${reason.message}` : ''}`, {
      data: { what },
    });
    this.name = 'CancelledError';
  }
}
