import { ArborError } from './arbor-error.js';

/** A recorded run cannot be continued here (its world cannot be restored to where it stopped). */
export class ResumeError extends ArborError {
  constructor(runId: string, reason: string, hint?: string) {
    super('ARBOR_RESUME_IMPOSSIBLE', `Run ${runId} cannot be resumed: ${reason}`, {
      hint: hint ?? 'Give the environment snapshot() and restore() so a run can continue in another process.',
      data: { runId, reason },
    });
    this.name = 'ResumeError';
  }
}
