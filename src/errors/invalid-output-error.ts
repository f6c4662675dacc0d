import { ArborError } from './arbor-error.js';
import type { ValidationIssue } from './validation-issue.js';
import { formatIssues } from './validation-issue.js';

/** An action returned a value that does not match its output schema (or is not JSON). */
export class InvalidOutputError extends ArborError {
  readonly action: string;
  readonly issues: ValidationIssue[];

  constructor(action: string, issues: ValidationIssue[]) {
    super('ARBOR_INVALID_OUTPUT', `Action "${action}" returned invalid output: ${formatIssues(issues)}`, {
      hint: `Fix the action's run function or its output schema; the raw output is kept in the step record.`,
      data: { action, issues },
    });
    this.name = 'InvalidOutputError';
    this.action = action;
    this.issues = issues;
  }
}
