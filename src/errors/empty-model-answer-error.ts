import { ArborError } from './arbor-error.js';

/** The model answered with nothing where text was needed. */
export class EmptyModelAnswerError extends ArborError {
  readonly model: string;

  constructor(model: string, purpose: string) {
    super('ARBOR_MODEL_EMPTY_ANSWER', `Model "${model}" gave an empty answer to a ${purpose} request`, {
      hint: 'Check the model with a plain prompt first; some models need a higher maxOutputTokens or a chat template.',
      data: { model, purpose },
    });
    this.name = 'EmptyModelAnswerError';
    this.model = model;
  }
}
