/** One problem found by a schema, pointing at the argument it concerns. */
export interface ValidationIssue {
  path: (string | number)[];
  message: string;
  code?: string;
}

export function formatIssues(issues: ValidationIssue[]): string {
  if (issues.length === 0) return 'no details';
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ')
    .concat(issues.length > 5 ? `; and ${issues.length - 5} more` : '');
}
