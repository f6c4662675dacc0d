import { ArborError } from './arbor-error.js';

/** A dense or hybrid search was asked of an index that has no embedding model. */
export class EmbeddingModelRequiredError extends ArborError {
  constructor(strategy: string) {
    super('ARBOR_EMBEDDING_MODEL_REQUIRED', `The "${strategy}" retrieval strategy needs an embedding model, and none is configured`, {
      hint: 'Pass `embedding: { model }` (any AI SDK embedding model) to the ToolIndex, or use the "lexical" strategy.',
      data: { strategy },
    });
    this.name = 'EmbeddingModelRequiredError';
  }
}
