export { commandGrammar, parseCommandTemplates, tokenizeCommand, type CommandGrammarOptions } from './command-grammar.js';
export { guardsFromConfig, maskFromConfig, masksFromConfig } from './config.js';
export {
  argumentMatcherSchema,
  guardsConfigSchema,
  maskConfigSchema,
  masksConfigSchema,
  policyConfigSchema,
  policyRuleSchema,
  stageConfigSchema,
  stagesConfigSchema,
  type ArgumentMatcher,
  type GuardsConfig,
  type MaskConfig,
  type MasksConfig,
  type PolicyDecisionKind,
  type PolicyDefinition,
  type PolicyRule,
  type StagesConfig,
} from './config-schema.js';
export { allowedCandidates, createGuards, GuardSet, type CallCheck, type GuardsOptions, type GuardView } from './guard-set.js';
export { checkMasks, maskGuard, masksFor, type MaskedArgument, type MaskTable } from './mask-guard.js';
export { matches, oneOf, pathUnder, satisfies, valuesAtPath, type ArgumentMask, type MaskCheck, type PathUnderOptions } from './masks.js';
export { narrowCandidate, type NarrowOptions } from './narrow.js';
export { matchesPattern, type NamePattern } from './patterns.js';
export { policyGuard, type PolicyGuardOptions } from './policy-guard.js';
export { definePolicy, PolicyRules, type ConditionResult, type PolicyDecision, type PolicyQuery, type RuleEvaluation } from './policy-rules.js';
export { stageGuard, type StageGuardOptions } from './stage-guard.js';
export {
  defineStages,
  StageMachine,
  type StageDecision,
  type StageDefinition,
  type StagedAction,
  type StageMachineDefinition,
  type StagePathStep,
  type StageTransition,
  type TransitionCall,
} from './stage-machine.js';
