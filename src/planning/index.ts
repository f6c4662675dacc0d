export type {
  CandidateAction,
  ChildView,
  PlanSample,
  Policy,
  PolicyCallOptions,
  PolicyResult,
  PolicyState,
  PolicyUsage,
  Proposal,
  TrajectoryStep,
  ValuedProposals,
} from './policy.js';
export { BudgetMeter, BUDGET_RESOURCES, type Budget, type Lap, type Spent } from './budget.js';
export { allActions, allCandidates, toCandidate, type CandidateContext, type CandidateProvider } from './candidates.js';
export type { Planner } from './planner.js';
export { plan, type PlanOptions, type PlanResult, type PlanStatus, type PlanStep, type TreeSummary } from './plan.js';
export { isSearchRun, RecordedPolicy, replaySearch, type ReplaySearchOptions, type SearchDivergence, type SearchReplayReport } from './replay-search.js';
export { SearchContext, type PolicyCallRecord, type PolicyMethod, type SearchEvent } from './search-context.js';
export { SearchTree, type NodeStatus, type SearchNode } from './tree.js';
export { POLICY_METHODS, wrapPolicy, type PolicyCallWrapper } from './wrap-policy.js';
export {
  astar,
  beam,
  bestFirst,
  bestOfN,
  buildActionTrie,
  createPlanner,
  greedy,
  mcts,
  STRATEGY_NAMES,
  treePlanner,
  type AStarOptions,
  type BeamOptions,
  type BestFirstOptions,
  type BestOfNOptions,
  type GreedyOptions,
  type MctsOptions,
  type TreePlannerOptions,
} from './strategies/index.js';
