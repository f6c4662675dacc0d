import { z } from 'zod';

const effectSchema = z.enum(['read', 'write', 'irreversible']);

/**
 * One OpenAPI 3 document to import. The importer itself lives in src/openapi (retrieval area); this is the
 * configuration it is handed.
 */
export const openApiSourceSchema = z.strictObject({
  document: z.string().min(1).describe('Path (relative to the config file) or http(s) URL of the OpenAPI 3 document.'),
  baseUrl: z.url({ protocol: /^https?$/ }).optional().describe('Overrides the servers[0].url of the document.'),
  headers: z.record(z.string(), z.string()).optional().describe('Sent with every request, e.g. an Authorization header.'),
  prefix: z.string().optional().describe('Prefix of the action names; default "<name>.".'),
  include: z.array(z.string()).optional().describe('Only these operationIds become actions.'),
  exclude: z.array(z.string()).optional(),
  operations: z
    .record(
      z.string(),
      z.strictObject({
        effect: effectSchema.optional(),
        idempotent: z.boolean().optional(),
        description: z.string().optional(),
        cost: z.number().nonnegative().optional(),
        tags: z.array(z.string()).optional(),
        timeoutMs: z.number().int().positive().optional(),
      }),
    )
    .optional()
    .describe('Overrides keyed by operationId.'),
  timeoutMs: z.number().int().positive().optional(),
});

export type OpenApiSourceConfig = z.infer<typeof openApiSourceSchema>;
