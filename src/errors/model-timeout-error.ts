import { ArborError } from './arbor-error.js';

/** A model call did not finish within its time limit and was aborted. */
export class ModelTimeoutError extends ArborError {
  readonly model: string;
  readonly timeoutMs: number;

  constructor(model: string, timeoutMs: number) {
    super('ARBOR_MODEL_TIMEOUT', `Model "${model}" did not answer within ${timeoutMs} ms`, {
      hint: 'Raise the model timeout (timeoutMs), ask for fewer output tokens, or use a faster model.',
      data: { model, timeoutMs },
    });
    this.name = 'ModelTimeoutError';
    this.model = model;
    this.timeoutMs = timeoutMs;
  }
}
