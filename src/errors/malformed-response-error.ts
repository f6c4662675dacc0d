import { ArborError } from './arbor-error.js';

/** The endpoint's HTTP answer does not follow the protocol (a body or SSE event that is not the expected JSON). */
export class MalformedResponseError extends ArborError {
  readonly model: string;

  constructor(model: string, detail: string, cause?: unknown) {
    super('ARBOR_MODEL_MALFORMED_RESPONSE', `Model "${model}" sent a response that is not valid chat-completions JSON: ${detail}`, {
      hint: 'Check that the base URL points at an OpenAI-compatible /v1 endpoint and not at a proxy or web page.',
      cause,
      data: { model, detail },
    });
    this.name = 'MalformedResponseError';
    this.model = model;
  }
}
