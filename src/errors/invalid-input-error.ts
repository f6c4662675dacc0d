import { ArborError } from './arbor-error.js';
import type { ValidationIssue } from './validation-issue.js';
import { formatIssues } from './validation-issue.js';

/** The arguments given to an action do not match its input schema; the action was not run. */
export class InvalidInputError extends ArborError {
  readonly action: string;
  readonly issues: ValidationIssue[];

  constructor(action: string, issues: ValidationIssue[]) {
    super('ARBOR_INVALID_INPUT', `Invalid input for action "${action}": ${formatIssues(issues)}`, {
      hint: `Run "arbor actions show ${action} --json-schema" to see the expected arguments.`,
      data: { action, issues },
    });
    this.name = 'InvalidInputError';
    this.action = action;
    this.issues = issues;
  }
}
