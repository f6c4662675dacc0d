import { z } from 'zod';

const effectSchema = z.enum(['read', 'write', 'irreversible']);
const methodSchema = z.enum(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/**
 * One OpenAPI 3 document to import with src/openapi's `importOpenApi`; the fields mirror its options.
 * Credentials are never written here: `auth` names the environment variable that holds them.
 */
export const openApiSourceSchema = z.strictObject({
  document: z.string().min(1).describe('Path (relative to the config file, JSON or YAML) or http(s) URL of the OpenAPI 3.0/3.1 document.'),
  baseUrl: z.url({ protocol: /^https?$/ }).optional().describe("Where calls go; default: the document's first server."),
  headers: z.record(z.string(), z.string()).optional().describe('Sent with every call.'),
  auth: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('bearer'), env: z.string().min(1), header: z.string().optional() }),
      z.strictObject({ type: z.literal('header'), env: z.string().min(1), header: z.string().min(1), prefix: z.string().optional() }),
      z.strictObject({ type: z.literal('query'), env: z.string().min(1), parameter: z.string().min(1) }),
    ])
    .optional()
    .describe('Credentials read from an environment variable when each call is made.'),
  prefix: z.string().optional().describe('Prefix of the action names; default "<name>.".'),
  effects: z.partialRecord(methodSchema, effectSchema).optional().describe('Effect per HTTP method; default GET read, POST/PUT/PATCH write, DELETE irreversible.'),
  operations: z
    .record(
      z.string(),
      z.strictObject({
        skip: z.boolean().optional(),
        name: z.string().optional(),
        description: z.string().optional(),
        effect: effectSchema.optional(),
        idempotent: z.boolean().optional(),
        cost: z.number().nonnegative().optional(),
        tags: z.array(z.string()).optional(),
        timeoutMs: z.number().int().positive().optional(),
      }),
    )
    .optional()
    .describe('Overrides keyed by operationId or "METHOD /path".'),
  timeoutMs: z.number().int().positive().optional(),
});

export type OpenApiSourceConfig = z.infer<typeof openApiSourceSchema>;
