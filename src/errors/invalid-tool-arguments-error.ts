import { ArborError } from './arbor-error.js';
import { formatIssues, type ValidationIssue } from './validation-issue.js';

/** The model's arguments for an action do not match the action's input schema (missing or wrong fields). */
export class InvalidToolArgumentsError extends ArborError {
  readonly tool: string;
  readonly issues: ValidationIssue[];
  /** Paths of required arguments the model left out. */
  readonly missing: string[];

  constructor(tool: string, issues: ValidationIssue[], missing: string[] = []) {
    super(
      'ARBOR_MODEL_INVALID_ARGUMENTS',
      missing.length > 0
        ? `The model left out required argument${missing.length === 1 ? '' : 's'} ${missing.map((path) => `"${path}"`).join(', ')} of action "${tool}"`
        : `The model's arguments for action "${tool}" are invalid: ${formatIssues(issues)}`,
      {
        hint: `Run "arbor actions show ${tool} --json-schema" to see what it expects; clearer descriptions of the arguments help the model.`,
        data: { tool, issues, missing },
      },
    );
    this.name = 'InvalidToolArgumentsError';
    this.tool = tool;
    this.issues = issues;
    this.missing = missing;
  }
}
