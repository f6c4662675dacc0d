import type { Effect } from '../actions/index.js';
import type { SerializedError } from '../errors/index.js';
import type { JsonValue } from '../internal/json.js';
import type { StepStatus } from '../provenance/index.js';

/*
 * The Policy port: what planners ask of a model (or of a simulation of one). Plain types, no behaviour.
 * Every call reports what it spent so planners can keep to their budgets.
 */

/** What was done on the path from the root to a node. */
export interface TrajectoryStep {
  action: string;
  input: JsonValue;
  status: StepStatus;
  output?: JsonValue;
  error?: SerializedError;
}

/** What the policy sees at a node of the search. */
export interface PolicyState {
  task: { id?: string; instruction: string };
  /** The environment's observation at this node. */
  observation: JsonValue;
  trajectory: readonly TrajectoryStep[];
  /** Lessons from earlier failed attempts (written by `reflect`), shown to later calls. */
  reflections?: readonly string[];
  /**
   * Actions already tried from this state, with what happened (shown when a node is expanded again, so the
   * policy proposes something new instead of repeating them).
   */
  tried?: readonly TrajectoryStep[];
}

/** An action the policy may choose, as shown to it (retrieval decides which ones are shown). */
export interface CandidateAction {
  name: string;
  description: string;
  effect: Effect;
  cost: number;
  /** JSON Schema of the input (masks may narrow it, for example to an enum of valid ids). */
  inputSchema: Record<string, unknown>;
}

export interface Proposal {
  action: string;
  input: JsonValue;
  /** The policy's probability (or normalised preference) for this proposal, in [0, 1]. */
  probability: number;
  /**
   * The value of taking this action now (the chance of finishing the task if it is the next step), in
   * [0, 1], judged in the same call that proposed it, before it is taken: an action value, as Q* scores
   * every child of a node in one pass. Optional; `proposeAndValue` answers may carry it (A* then orders
   * and screens children by it, and takes an irreversible commit point without a separate `evaluate`).
   */
  value?: number;
  rationale?: string;
}

/** A child of a node, to be scored together with its siblings in one call. */
export interface ChildView {
  action: string;
  input: JsonValue;
  /** The step's status when the child was executed; absent when it was not (an irreversible commit point). */
  status?: StepStatus;
  observation?: JsonValue;
  /** The action's effect class, so a policy can weigh what cannot be undone. */
  effect?: Effect;
  /** The step's output (or error) when it was executed. */
  output?: JsonValue;
  error?: SerializedError;
}

/** Proposals for a state together with the state's own value (the chance of finishing from it, in [0, 1]). */
export interface ValuedProposals {
  proposals: Proposal[];
  value: number;
}

/** A whole plan sampled at once (Tree-Planner). */
export interface PlanSample {
  steps: { action: string; input: JsonValue }[];
  probability?: number;
}

export interface PolicyUsage {
  /** Model calls behind the result, including those answered from the response cache. */
  modelCalls: number;
  inputTokens: number;
  outputTokens: number;
  /**
   * How many of `modelCalls` were answered from the response cache (no request was sent). Their tokens are
   * still counted, as recorded, so a replayed search spends its budget exactly as the original did.
   */
  cachedCalls?: number;
}

/** A model call behind a result, so a planner can link a search node to the prompt and answer that made it. */
export interface PolicyModelCall {
  /** The call's key: `store.getCached(namespace, id)` returns its recorded prompt, answer and usage. */
  id: string;
  namespace: string;
  /** What the call was for: propose, evaluate, plan, reflect, or repair (a second try after an invalid answer). */
  purpose: string;
  /** `provider:modelId`. */
  model: string;
  cached: boolean;
}

export interface PolicyResult<T> {
  value: T;
  usage: PolicyUsage;
  /** The model calls made for this result, in order (policies without a model leave it out). */
  calls?: PolicyModelCall[];
  /** Problems in the model's first answer that were sent back for a repair. */
  repairs?: SerializedError[];
  /** Parts of the answer still invalid after the repair, dropped from `value` and counted as failures. */
  failures?: SerializedError[];
}

export interface PolicyCallOptions {
  signal?: AbortSignal;
  /**
   * What is left of the search's token budget. A policy must refuse (throw BudgetExceededError) rather than
   * make a call that could spend more than this; planners check model calls themselves.
   */
  remainingTokens?: number;
}

export interface Policy {
  readonly name: string;
  /** Propose up to k actions with arguments for the state, each with a probability. */
  propose(state: PolicyState, candidates: readonly CandidateAction[], k: number, options?: PolicyCallOptions): Promise<PolicyResult<Proposal[]>>;
  /**
   * Score all children of a node in one call (the Q* idea): one value in [0, 1] per child, in order, read
   * as the chance of finishing the task from that child (higher is better; 0 for a dead end or a trap).
   */
  evaluate(state: PolicyState, children: readonly ChildView[], options?: PolicyCallOptions): Promise<PolicyResult<number[]>>;
  /**
   * Propose up to k actions for the state and value the state itself, in one call: what a model answers
   * when asked "how close is this to done, and what next?". A* uses it for deferred evaluation (a node is
   * valued when it is about to be expanded, not when it is generated), one call per expansion. Each
   * proposal may carry its own `value` (the action's value, judged in the same answer). Optional:
   * without it A* proposes and then scores the children (two calls per expansion).
   */
  proposeAndValue?(state: PolicyState, candidates: readonly CandidateAction[], k: number, options?: PolicyCallOptions): Promise<PolicyResult<ValuedProposals>>;
  /** Sample n whole plans in one call (Tree-Planner). */
  samplePlans?(state: PolicyState, candidates: readonly CandidateAction[], n: number, options?: PolicyCallOptions): Promise<PolicyResult<PlanSample[]>>;
  /** Reflect on a failed trajectory; the text is shown to later calls (LATS). */
  reflect?(state: PolicyState, options?: PolicyCallOptions): Promise<PolicyResult<string>>;
}
