import { ArborError } from './arbor-error.js';

/** Two actions were registered under one name. */
export class DuplicateActionError extends ArborError {
  readonly action: string;

  constructor(action: string) {
    super('ARBOR_DUPLICATE_ACTION', `An action named "${action}" is already registered`, {
      hint: 'Action names are unique within an action space: rename one, or remove the old one first.',
      data: { action },
    });
    this.name = 'DuplicateActionError';
    this.action = action;
  }
}
