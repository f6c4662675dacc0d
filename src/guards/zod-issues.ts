import type { z } from 'zod';
import type { ValidationIssue } from '../errors/index.js';

type Issue = z.core.$ZodIssue;

/**
 * Zod issues as Arbor's path + message, with failed unions opened up: instead of "Invalid input" for a
 * value that matches none of a union's shapes, the issues of the shape it came closest to (the one that
 * got deepest without unknown keys), so a user reads "args.x.regex: is not a valid regular expression".
 */
export function zodIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.flatMap((issue) => flatten(issue, []));
}

function flatten(issue: Issue, prefix: PropertyKey[]): ValidationIssue[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const score = (branch: Issue[]) => (branch.some((entry) => entry.code === 'unrecognized_keys') ? -1 : Math.max(0, ...branch.map((entry) => entry.path.length + (entry.code === 'invalid_type' ? 0 : 1))));
    const best = [...issue.errors].sort((a, b) => score(b) - score(a))[0] ?? [];
    if (best.length > 0 && score(best) > 0) return best.flatMap((entry) => flatten(entry, path));
  }
  return [{ path: path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment)), message: issue.message, code: issue.code }];
}
