import { ArborError } from './arbor-error.js';

/** The sandbox worker died or its engine failed. The run is lost; the next run gets a fresh worker. */
export class SandboxCrashedError extends ArborError {
  constructor(detail: string, options: { cause?: unknown; hint?: string; data?: Record<string, unknown> } = {}) {
    super('ARBOR_SANDBOX_CRASHED', `The sandbox failed: ${detail}`, {
      hint: options.hint ?? 'Run the code again; if it keeps failing, report it with the code that triggers it.',
      cause: options.cause,
      data: options.data,
    });
    this.name = 'SandboxCrashedError';
  }
}
