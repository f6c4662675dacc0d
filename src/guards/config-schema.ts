import { z } from 'zod';
import type { JsonValue } from '../internal/json.js';

/*
 * The `stages`, `masks` and `policy` sections of arbor.config.json as zod schemas (src/config plugs them
 * in). Only zod is imported here: the CLI loads the config before every command. Everything is data;
 * predicates that need code (`when`, `stageOf`, custom masks) are only available from TypeScript.
 */

export type PolicyDecisionKind = 'allow' | 'deny' | 'ask';
export const DECISIONS = ['allow', 'deny', 'ask'] as const;
const effectSchema = z.enum(['read', 'write', 'irreversible']);
const patternsSchema = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const jsonValueSchema: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(jsonValueSchema), z.record(z.string(), jsonValueSchema)]),
);
const regexSchema = z.string().refine(
  (source) => {
    try {
      new RegExp(source, 'u');
      return true;
    } catch {
      return false;
    }
  },
  { message: 'is not a valid regular expression' },
);

/** A condition on an argument's value. A bare string (or list of them) is a glob over the value's text. */
export const argumentMatcherSchema = z.union([
  z.string().describe('Glob over the value (numbers and booleans as text).'),
  z.array(z.string()).min(1).describe('Any of these globs.'),
  z.strictObject({ glob: z.string() }),
  z.strictObject({ regex: regexSchema }),
  z.strictObject({ equals: jsonValueSchema }),
  z.strictObject({ in: z.array(jsonValueSchema) }),
  z.strictObject({ min: z.number().optional(), max: z.number().optional() }).refine((range) => range.min !== undefined || range.max !== undefined, {
    message: 'give min, max or both',
  }),
  z.strictObject({ present: z.boolean() }),
]);

export const policyRuleSchema = z.strictObject({
  id: z.string().min(1).optional().describe('Names the rule in records and explanations; default "#<position>".'),
  decision: z.enum(DECISIONS),
  action: patternsSchema.optional().describe('Action name patterns (globs: * matches anything).'),
  effect: z.union([effectSchema, z.array(effectSchema).min(1)]).optional(),
  source: z
    .strictObject({
      kind: patternsSchema.optional().describe('typescript, environment, mcp, openapi, generated...'),
      name: patternsSchema.optional().describe('The MCP server, OpenAPI document or environment.'),
    })
    .optional(),
  args: z
    .record(z.string().min(1), argumentMatcherSchema)
    .optional()
    .describe('Conditions on arguments by path ("path", "lines[].sku"); all must hold. With [] any element may match.'),
  reason: z.string().optional().describe('Said when the rule decides.'),
});

export const policyConfigSchema = z.strictObject({
  mode: z.enum(['first-match', 'most-specific']).optional(),
  default: z.enum(DECISIONS).optional(),
  rules: z.array(policyRuleSchema),
});

export const stageConfigSchema = z.strictObject({
  description: z.string().optional(),
  allow: z.array(z.string().min(1)).optional().describe('Action name patterns allowed in the stage; omitted: all.'),
  deny: z.array(z.string().min(1)).optional().describe('Action name patterns never allowed in the stage.'),
});

export const stagesConfigSchema = z.strictObject({
  name: z.string().min(1).optional(),
  initial: z.string().min(1),
  stages: z.record(z.string().min(1), stageConfigSchema).refine((stages) => Object.keys(stages).length > 0, { message: 'declare at least one stage' }),
  transitions: z
    .array(
      z.strictObject({
        from: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).describe('Stage(s) it leaves; "*" for any.'),
        on: patternsSchema.describe('Action name pattern(s) whose success causes it.'),
        to: z.string().min(1),
      }),
    )
    .optional(),
})
  .superRefine((machine, context) => {
    // Names that point nowhere are caught here, so the config error names the field.
    const known = new Set(Object.keys(machine.stages));
    const listed = [...known].join(', ');
    if (!known.has(machine.initial)) context.addIssue({ code: 'custom', path: ['initial'], message: `"${machine.initial}" is not a declared stage (${listed})` });
    for (const [index, transition] of (machine.transitions ?? []).entries()) {
      for (const from of typeof transition.from === 'string' ? [transition.from] : transition.from) {
        if (from !== '*' && !known.has(from)) context.addIssue({ code: 'custom', path: ['transitions', index, 'from'], message: `"${from}" is not a declared stage (${listed})` });
      }
      if (!known.has(transition.to)) context.addIssue({ code: 'custom', path: ['transitions', index, 'to'], message: `"${transition.to}" is not a declared stage (${listed})` });
    }
  });

/** A mask written as data. */
export const maskConfigSchema = z.union([
  z.strictObject({ valuesAt: z.string().min(1).describe('Path in the observation whose values are the valid ones: "orders[].id".'), description: z.string().optional() }),
  z.strictObject({ values: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])), description: z.string().optional() }),
  z.strictObject({ pathUnder: z.string().min(1), allowRoot: z.boolean().optional(), description: z.string().optional() }),
  z.strictObject({ grammar: z.array(z.string().min(1)).min(1), root: z.string().optional(), description: z.string().optional() }),
  z.strictObject({ pattern: regexSchema, description: z.string().optional() }),
]);

export const masksConfigSchema = z.record(z.string().min(1).describe('Action name pattern'), z.record(z.string().min(1).describe('Argument path'), maskConfigSchema));

export const guardsConfigSchema = z.object({
  stages: stagesConfigSchema.optional(),
  masks: masksConfigSchema.optional(),
  policy: policyConfigSchema.optional(),
});

export type ArgumentMatcher = z.infer<typeof argumentMatcherSchema>;
export type PolicyRule = z.infer<typeof policyRuleSchema>;
export type PolicyDefinition = z.input<typeof policyConfigSchema>;
export type StagesConfig = z.infer<typeof stagesConfigSchema>;
export type MaskConfig = z.infer<typeof maskConfigSchema>;
export type MasksConfig = z.infer<typeof masksConfigSchema>;
export type GuardsConfig = z.infer<typeof guardsConfigSchema>;
