import { ArborError } from './arbor-error.js';

/** The work queue (Redis) cannot be reached or refused a command. */
export class QueueError extends ArborError {
  constructor(location: string, detail: string, cause?: unknown) {
    super('ARBOR_QUEUE', `The work queue at ${location} failed: ${detail}`, {
      hint: 'Check that Redis is running and that --queue / ARBOR_QUEUE names it (redis://host:6379).',
      cause,
      data: { location, detail },
    });
    this.name = 'QueueError';
  }
}
