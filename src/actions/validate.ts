import type { z } from 'zod';
import type { ValidationIssue } from '../errors/index.js';
import { safeParse } from '../internal/safe-parse.js';

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

/** Runs a zod schema without throwing and turns its issues into Arbor's path + message form. */
export function validateWith<T>(schema: z.ZodType<T>, value: unknown): ValidationResult<T> {
  const result = safeParse(schema, value);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((issue) => ({
      path: issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment)),
      message: issue.message,
      code: issue.code,
    })),
  };
}
