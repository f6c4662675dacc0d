/**
 * The form of answer asked for: free text, or JSON (matching `schema` when the endpoint supports it).
 * `strict: false` asks providers with strict structured outputs (OpenAI) not to enforce the schema
 * strictly, for schemas strict mode cannot express (free-form argument objects).
 */
export type ModelV1Output =
  | { type: 'text' }
  | { type: 'json'; schema?: Record<string, unknown>; name?: string; description?: string; strict?: boolean };
