import { ArborError } from './arbor-error.js';

/**
 * A model's answer stopped before it was complete: the stream or connection ended without a finish
 * reason (`connection`), or the model hit its output-token limit (`length`).
 */
export class TruncatedResponseError extends ArborError {
  readonly model: string;
  readonly reason: 'connection' | 'length';

  constructor(model: string, reason: 'connection' | 'length', options: { received?: string; cause?: unknown } = {}) {
    super(
      'ARBOR_MODEL_TRUNCATED',
      reason === 'length'
        ? `Model "${model}" stopped at its output-token limit before finishing its answer`
        : `The answer from model "${model}" ended before it was complete (the stream or connection was cut)`,
      {
        hint: reason === 'length' ? 'Raise maxOutputTokens, or show fewer candidates so the answer is shorter.' : 'The connection dropped mid-answer; try again, and check proxies or the server logs if it repeats.',
        cause: options.cause,
        data: { model, reason, ...(options.received === undefined ? {} : { received: options.received.slice(0, 500) }) },
      },
    );
    this.name = 'TruncatedResponseError';
    this.model = model;
    this.reason = reason;
  }
}
