import { z } from 'zod';
import type { ArgumentMask } from '../actions/index.js';
import type { JsonValue } from '../internal/json.js';
import { commandGrammar } from './command-grammar.js';
import { createGuards, type GuardSet, type GuardsOptions } from './guard-set.js';
import type { MaskTable } from './mask-guard.js';
import { matches, oneOf, parseArgumentPath, pathUnder, valuesAtPath } from './masks.js';
import { policyConfigSchema } from './policy-rules.js';
import { StageMachine } from './stage-machine.js';

/*
 * The `stages`, `masks` and `policy` keys of arbor.config.json, as standalone zod schemas that the config
 * loader plugs in. Everything here is data; predicates that need code (`when`, `stageOf`, custom masks) are
 * only available from TypeScript.
 */

const patterns = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

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
        on: patterns.describe('Action name pattern(s) whose success causes it.'),
        to: z.string().min(1),
      }),
    )
    .optional(),
});

const regexText = z.string().refine(
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

/** A mask written as data. */
export const maskConfigSchema = z.union([
  z.strictObject({ valuesAt: z.string().min(1).describe('Path in the observation whose values are the valid ones: "orders[].id".'), description: z.string().optional() }),
  z.strictObject({ values: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])), description: z.string().optional() }),
  z.strictObject({ pathUnder: z.string().min(1), allowRoot: z.boolean().optional(), description: z.string().optional() }),
  z.strictObject({ grammar: z.array(z.string().min(1)).min(1), root: z.string().optional(), description: z.string().optional() }),
  z.strictObject({ pattern: regexText, description: z.string().optional() }),
]);

export const masksConfigSchema = z.record(z.string().min(1).describe('Action name pattern'), z.record(z.string().min(1).describe('Argument path'), maskConfigSchema));

export const guardsConfigSchema = z.object({
  stages: stagesConfigSchema.optional(),
  masks: masksConfigSchema.optional(),
  policy: policyConfigSchema.optional(),
});

export type StagesConfig = z.infer<typeof stagesConfigSchema>;
export type MaskConfig = z.infer<typeof maskConfigSchema>;
export type GuardsConfig = z.infer<typeof guardsConfigSchema>;

/** Builds a mask from its data form. */
export function maskFromConfig(config: MaskConfig): ArgumentMask {
  const description = config.description === undefined ? {} : { description: config.description };
  if ('valuesAt' in config) {
    const segments = parseArgumentPath(config.valuesAt);
    return oneOf((state) => valuesAtPath(state, segments).map((entry) => entry.value), { description: config.description ?? `a value of ${config.valuesAt} in the current state` });
  }
  if ('values' in config) {
    const values: JsonValue[] = [...config.values];
    return oneOf(() => values, { description: config.description ?? `one of ${values.map((value) => JSON.stringify(value)).join(', ')}` });
  }
  if ('pathUnder' in config) return pathUnder(config.pathUnder, { ...description, ...(config.allowRoot === undefined ? {} : { allowRoot: config.allowRoot }) });
  if ('grammar' in config) return commandGrammar(config.grammar, { ...description, ...(config.root === undefined ? {} : { root: config.root }) });
  return matches(new RegExp(config.pattern, 'u'), description);
}

export function masksFromConfig(config: z.infer<typeof masksConfigSchema>): MaskTable {
  return Object.fromEntries(
    Object.entries(config).map(([pattern, byPath]) => [pattern, Object.fromEntries(Object.entries(byPath).map(([path, mask]) => [path, maskFromConfig(mask)]))]),
  );
}

/**
 * Guards from the config file's `stages`, `masks` and `policy` keys (already validated with
 * guardsConfigSchema), plus what only code can give: the approval policy for `ask`, the store, extra masks.
 */
export function guardsFromConfig(config: GuardsConfig, options: Omit<GuardsOptions, 'stages' | 'policy'> = {}): GuardSet {
  return createGuards({
    ...options,
    ...(config.stages === undefined ? {} : { stages: new StageMachine(config.stages) }),
    ...(config.policy === undefined ? {} : { policy: config.policy }),
    masks: { ...(config.masks === undefined ? {} : masksFromConfig(config.masks)), ...options.masks },
  });
}
