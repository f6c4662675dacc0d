import { z } from 'zod';

/**
 * `schema.safeParse(value)` that never throws. zod's length checks run on any value with a `length`
 * property, even one that already failed its type check, and throw a TypeError when that property cannot be
 * compared (e.g. `{ length: Object.create(null) }`). Data from outside (tool arguments, config files, model
 * answers) must come back as a failed parse, not as an exception: the throw becomes one issue at the root.
 */
export function safeParse<Output>(schema: z.ZodType<Output>, value: unknown): z.ZodSafeParseResult<Output> {
  try {
    return schema.safeParse(value);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      success: false,
      error: new z.ZodError([{ code: 'custom', path: [], message: `The value could not be checked against its schema (${reason})`, input: value }]),
    } as z.ZodSafeParseResult<Output>;
  }
}
