import { ArborError } from './arbor-error.js';

/** The agent's code awaits a promise that nothing will settle, so it can never finish. */
export class CodeStalledError extends ArborError {
  constructor(detail: string, data: Record<string, unknown> = {}) {
    super('ARBOR_CODE_STALLED', `The code cannot finish: ${detail}`, {
      hint: 'Await only tool calls, timers and promises your code resolves itself.',
      data,
    });
    this.name = 'CodeStalledError';
  }
}
