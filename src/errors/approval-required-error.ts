import { ArborError } from './arbor-error.js';

/** An irreversible action was not approved, so it was recorded as blocked and not run. */
export class ApprovalRequiredError extends ArborError {
  readonly action: string;

  constructor(action: string, reason = 'no approval was given') {
    super('ARBOR_APPROVAL_REQUIRED', `Irreversible action "${action}" was blocked: ${reason}`, {
      hint: 'Approve it through the approval policy (library), answer the prompt, or pass --yes (CLI).',
      data: { action, reason },
    });
    this.name = 'ApprovalRequiredError';
    this.action = action;
  }
}
