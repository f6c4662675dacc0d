import { ArborError } from './arbor-error.js';

/** The model endpoint refused the request with a 4xx status (bad key, unknown model, invalid request). */
export class ModelRequestRejectedError extends ArborError {
  readonly model: string;
  readonly status: number;

  constructor(model: string, status: number, message?: string, cause?: unknown) {
    super('ARBOR_MODEL_REQUEST_REJECTED', `Model "${model}" rejected the request with HTTP ${status}${message === undefined ? '' : `: ${message}`}`, {
      hint: hintFor(status),
      cause,
      data: { model, status, ...(message === undefined ? {} : { serverMessage: message }) },
    });
    this.name = 'ModelRequestRejectedError';
    this.model = model;
    this.status = status;
  }
}

function hintFor(status: number): string {
  if (status === 401 || status === 403) return 'Check the API key: the environment variable named in --model (for example OPENAI_API_KEY) must hold a valid key.';
  if (status === 404) return 'Check the base URL (it usually ends in /v1) and the model name after "#" or ":" in --model.';
  return 'The endpoint did not accept the request; its message above says why.';
}
