import { ArborError } from './arbor-error.js';

/** An action, environment or configuration was declared in a way Arbor cannot use. */
export class InvalidDefinitionError extends ArborError {
  constructor(message: string, options: { hint?: string; data?: Record<string, unknown>; cause?: unknown } = {}) {
    super('ARBOR_INVALID_DEFINITION', message, options);
    this.name = 'InvalidDefinitionError';
  }
}
