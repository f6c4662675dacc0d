import { ArborError } from './arbor-error.js';

/** The model endpoint failed with a 5xx status on every attempt. */
export class ModelServerError extends ArborError {
  readonly model: string;
  readonly status: number;
  readonly attempts: number;

  constructor(model: string, status: number, options: { attempts?: number; message?: string; retryAfterMs?: number; cause?: unknown } = {}) {
    const attempts = options.attempts ?? 1;
    super('ARBOR_MODEL_SERVER_ERROR', `Model "${model}" failed with HTTP ${status} after ${attempts} attempt${attempts === 1 ? '' : 's'}${options.message === undefined ? '' : `: ${options.message}`}`, {
      hint: 'The endpoint is failing: check that the server is up and healthy, then try again.',
      cause: options.cause,
      data: { model, status, attempts, ...(options.message === undefined ? {} : { serverMessage: options.message }), ...(options.retryAfterMs === undefined ? {} : { retryAfterMs: options.retryAfterMs }) },
    });
    this.name = 'ModelServerError';
    this.model = model;
    this.status = status;
    this.attempts = attempts;
  }

  get retryAfterMs(): number | undefined {
    return this.data.retryAfterMs as number | undefined;
  }

  withAttempts(attempts: number): ModelServerError {
    return new ModelServerError(this.model, this.status, { attempts, message: this.data.serverMessage as string | undefined, retryAfterMs: this.retryAfterMs, cause: this.cause });
  }
}
