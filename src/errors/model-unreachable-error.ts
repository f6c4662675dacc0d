import { ArborError } from './arbor-error.js';

/** No answer could be had from the model endpoint at all (connection refused, DNS, reset before a reply). */
export class ModelUnreachableError extends ArborError {
  readonly model: string;
  readonly url: string | undefined;
  readonly attempts: number;

  constructor(model: string, options: { url?: string; attempts?: number; reason?: string; cause?: unknown } = {}) {
    const attempts = options.attempts ?? 1;
    super('ARBOR_MODEL_UNREACHABLE', `Cannot reach model "${model}"${options.url === undefined ? '' : ` at ${options.url}`}${options.reason === undefined ? '' : `: ${options.reason}`}`, {
      hint: 'Check that the server is running and that the base URL in --model is right (Ollama listens on http://127.0.0.1:11434/v1).',
      cause: options.cause,
      data: { model, attempts, ...(options.url === undefined ? {} : { url: options.url }), ...(options.reason === undefined ? {} : { reason: options.reason }) },
    });
    this.name = 'ModelUnreachableError';
    this.model = model;
    this.url = options.url;
    this.attempts = attempts;
  }

  withAttempts(attempts: number): ModelUnreachableError {
    return new ModelUnreachableError(this.model, { url: this.url, attempts, reason: this.data.reason as string | undefined, cause: this.cause });
  }
}
