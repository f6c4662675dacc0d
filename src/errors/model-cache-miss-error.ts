import { ArborError } from './arbor-error.js';

/** A replay-only model client was asked for a response its cache does not hold. */
export class ModelCacheMissError extends ArborError {
  readonly model: string;
  readonly key: string;

  constructor(model: string, key: string) {
    super('ARBOR_MODEL_CACHE_MISS', `No recorded response of model "${model}" for this prompt (cache key ${key.slice(0, 16)}…), and this replay may not call the model`, {
      hint: 'The search diverged from its recording (different actions, prompts or model); rerun it with cache "read-write" to call the model.',
      data: { model, key },
    });
    this.name = 'ModelCacheMissError';
    this.model = model;
    this.key = key;
  }
}
