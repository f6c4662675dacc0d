import { ArborError } from './arbor-error.js';

/** The model endpoint answered 429 Too Many Requests on every attempt. */
export class ModelRateLimitedError extends ArborError {
  readonly model: string;
  /** What the server asked to wait (Retry-After), when it said. */
  readonly retryAfterMs: number | undefined;
  readonly attempts: number;

  constructor(model: string, options: { retryAfterMs?: number; attempts?: number; message?: string; cause?: unknown } = {}) {
    const attempts = options.attempts ?? 1;
    const wait = options.retryAfterMs === undefined ? '' : `; the server asked to wait ${Math.ceil(options.retryAfterMs / 1000)} s`;
    super('ARBOR_MODEL_RATE_LIMITED', `Model "${model}" is rate limited (429) after ${attempts} attempt${attempts === 1 ? '' : 's'}${wait}`, {
      hint: 'Wait and try again, lower the request rate, or raise maxRetries so Arbor backs off longer.',
      cause: options.cause,
      data: { model, status: 429, attempts, ...(options.retryAfterMs === undefined ? {} : { retryAfterMs: options.retryAfterMs }), ...(options.message === undefined ? {} : { serverMessage: options.message }) },
    });
    this.name = 'ModelRateLimitedError';
    this.model = model;
    this.retryAfterMs = options.retryAfterMs;
    this.attempts = attempts;
  }

  /** The same failure after `attempts` attempts, for the final report of a retry loop. */
  withAttempts(attempts: number): ModelRateLimitedError {
    return new ModelRateLimitedError(this.model, { retryAfterMs: this.retryAfterMs, attempts, message: this.data.serverMessage as string | undefined, cause: this.cause });
  }
}
