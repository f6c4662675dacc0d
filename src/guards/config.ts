import type { ArgumentMask } from '../actions/index.js';
import type { JsonValue } from '../internal/json.js';
import { commandGrammar } from './command-grammar.js';
import type { GuardsConfig, MaskConfig, MasksConfig } from './config-schema.js';
import { createGuards, type GuardSet, type GuardsOptions } from './guard-set.js';
import type { MaskTable } from './mask-guard.js';
import { matches, oneOf, parseArgumentPath, pathUnder, valuesAtPath } from './masks.js';
import { StageMachine } from './stage-machine.js';

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

export function masksFromConfig(config: MasksConfig): MaskTable {
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
