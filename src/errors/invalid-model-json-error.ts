import { ArborError } from './arbor-error.js';
import { formatIssues, type ValidationIssue } from './validation-issue.js';

/**
 * The model was asked for structured output and its answer is not JSON, or not JSON of the required
 * shape. Policies send the error back once for a repair before counting the answer as a failure.
 */
export class InvalidModelJsonError extends ArborError {
  readonly model: string;
  readonly text: string;
  readonly issues: ValidationIssue[];

  constructor(model: string, text: string, detail: { parseError?: string; issues?: ValidationIssue[] }) {
    const issues = detail.issues ?? [];
    super(
      'ARBOR_MODEL_INVALID_JSON',
      detail.parseError !== undefined
        ? `Model "${model}" answered with malformed JSON: ${detail.parseError}`
        : `Model "${model}" answered with JSON of the wrong shape: ${formatIssues(issues)}`,
      {
        hint: 'Use a model that supports structured output (JSON mode), or lower the temperature.',
        data: { model, text: text.slice(0, 2_000), ...(detail.parseError === undefined ? {} : { parseError: detail.parseError }), issues },
      },
    );
    this.name = 'InvalidModelJsonError';
    this.model = model;
    this.text = text;
    this.issues = issues;
  }
}
