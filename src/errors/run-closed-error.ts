import { ArborError } from './arbor-error.js';

/** A step was attempted on a run that has already ended. */
export class RunClosedError extends ArborError {
  constructor(runId: string, status: string) {
    super('ARBOR_RUN_CLOSED', `Run ${runId} has ended (${status}); no more steps can be added to it`, {
      hint: `Fork it to continue from a step: "arbor fork ${runId} --at <step>".`,
      data: { runId, status },
    });
    this.name = 'RunClosedError';
  }
}
