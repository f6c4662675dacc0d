import { ArborError } from './arbor-error.js';
import type { ValidationIssue } from './validation-issue.js';

/** The configuration file cannot be read, parsed or validated. Names the file and the offending field. */
export class ConfigError extends ArborError {
  readonly file: string;
  readonly issues: ValidationIssue[];

  constructor(file: string, issues: ValidationIssue[], options: { cause?: unknown; hint?: string } = {}) {
    const listed = issues
      .slice(0, 5)
      .map((issue) => `${issue.path.length > 0 ? formatPath(issue.path) : '(root)'}: ${issue.message}`)
      .join('; ');
    const more = issues.length > 5 ? `; and ${issues.length - 5} more` : '';
    super('ARBOR_CONFIG_INVALID', `${file}: ${listed}${more}`, {
      hint: options.hint ?? 'Fix the field named above; "arbor.config.json" is described in the README under "Configuration".',
      cause: options.cause,
      data: { file, issues },
    });
    this.name = 'ConfigError';
    this.file = file;
    this.issues = issues;
  }
}

function formatPath(path: (string | number)[]): string {
  return path.map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : index === 0 ? segment : `.${segment}`)).join('');
}
