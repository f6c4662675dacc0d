export { commandGrammar, parseCommandTemplates, tokenizeCommand, type CommandGrammarOptions } from './command-grammar.js';
export {
  guardsConfigSchema,
  guardsFromConfig,
  maskConfigSchema,
  maskFromConfig,
  masksConfigSchema,
  masksFromConfig,
  stageConfigSchema,
  stagesConfigSchema,
  type GuardsConfig,
  type MaskConfig,
  type StagesConfig,
} from './config.js';
export { allowedCandidates, createGuards, GuardSet, type CallCheck, type GuardsOptions, type GuardView } from './guard-set.js';
export { checkMasks, maskGuard, masksFor, type MaskedArgument, type MaskTable } from './mask-guard.js';
export { matches, oneOf, pathUnder, satisfies, valuesAtPath, type ArgumentMask, type MaskCheck, type PathUnderOptions } from './masks.js';
export { narrowCandidate, type NarrowOptions } from './narrow.js';
export { matchesPattern, type NamePattern } from './patterns.js';
export { policyGuard, type PolicyGuardOptions } from './policy-guard.js';
export {
  argumentMatcherSchema,
  definePolicy,
  policyConfigSchema,
  policyRuleSchema,
  PolicyRules,
  type ArgumentMatcher,
  type ConditionResult,
  type PolicyDecision,
  type PolicyDecisionKind,
  type PolicyDefinition,
  type PolicyQuery,
  type PolicyRule,
  type RuleEvaluation,
} from './policy-rules.js';
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
