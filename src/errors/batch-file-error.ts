import { ArborError } from './arbor-error.js';
import { formatIssues, type ValidationIssue } from './validation-issue.js';

/** A line of a batch file (tasks JSONL) is not valid. Nothing was enqueued. */
export class BatchFileError extends ArborError {
  constructor(path: string, line: number, detail: string, issues: ValidationIssue[] = []) {
    super('ARBOR_BATCH_FILE', `${path}:${line}: ${detail}${issues.length > 0 ? `: ${formatIssues(issues)}` : ''}`, {
      hint: 'Each line is one JSON object: {"environment": "...", "task": "...", "strategy"?: "...", "policy"?: "...", "budget"?: {...}}. Nothing was enqueued.',
      data: { path, line, detail, issues },
    });
    this.name = 'BatchFileError';
  }
}
