import { ArborError } from './arbor-error.js';

/** A name was asked for that the action space does not hold. */
export class NoSuchActionError extends ArborError {
  readonly action: string;
  readonly suggestions: string[];

  constructor(action: string, suggestions: string[] = []) {
    super('ARBOR_NO_SUCH_ACTION', `No action named "${action}"`, {
      hint:
        suggestions.length > 0
          ? `Did you mean ${suggestions.map((name) => `"${name}"`).join(', ')}?`
          : 'Run "arbor actions list" to see the available actions.',
      data: { action, suggestions },
    });
    this.name = 'NoSuchActionError';
    this.action = action;
    this.suggestions = suggestions;
  }
}
