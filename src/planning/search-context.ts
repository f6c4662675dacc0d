import { createHash } from 'node:crypto';
import type { ActionSpace, Effect } from '../actions/index.js';
import type { EnvironmentTask } from '../environments/index.js';
import { ArborError, BudgetExceededError, CommitRefusedError, type BudgetResource, type CommitRefusal } from '../errors/index.js';
import type { JsonObject, JsonValue } from '../internal/json.js';
import { lap, mark, type BudgetMeter } from './budget.js';
import { allActions, allCandidates, candidateNames, type CandidateProvider } from './candidates.js';
import type { CandidateAction, ChildView, PlanSample, Policy, PolicyCallOptions, PolicyModelCall, PolicyResult, PolicyState, PolicyUsage, Proposal, TrajectoryStep } from './policy.js';
import type { StateKeeper } from './state-keeper.js';
import type { SearchNode, SearchTree } from './tree.js';

/** Thrown inside a search to stop it: the budget ran out, or a commit needs approval. Caught by `plan`. */
export class SearchStop extends Error {
  constructor(
    readonly reason: { kind: 'budget'; resource: BudgetResource } | { kind: 'approval'; node: SearchNode } | { kind: 'cancelled' },
  ) {
    super(reason.kind === 'budget' ? `budget exhausted: ${reason.resource}` : reason.kind);
    this.name = 'SearchStop';
  }
}

export type SearchEvent =
  | { type: 'search-start'; runId: string; strategy: string; task: string }
  | { type: 'node-expand'; node: number; depth: number; expansions: number }
  | { type: 'policy-call'; method: PolicyMethod; modelCalls: number; tokens: number }
  | { type: 'commit'; node: number; action: string; status: string }
  | { type: 'search-end'; runId: string; status: string };

export type PolicyMethod = 'propose' | 'proposeAndValue' | 'evaluate' | 'samplePlans' | 'reflect';

/** One policy call as recorded for replay: what was asked and what came back. */
export interface PolicyCallRecord {
  method: PolicyMethod;
  /**
   * What was asked, by identity: the node (and children) asked about, a hash of the candidates' names and
   * k or n. A replay that asks about other nodes or candidates has diverged.
   */
  request: string;
  response: JsonValue;
  usage: { modelCalls: number; inputTokens: number; outputTokens: number };
  /** The model calls behind the answer (keys of their recorded prompts and answers), when the policy reports them. */
  calls?: PolicyModelCall[];
}

export interface SearchContextOptions {
  task: EnvironmentTask;
  policy: Policy;
  actions: ActionSpace;
  keeper: StateKeeper;
  tree: SearchTree;
  budget: BudgetMeter;
  candidates: CandidateProvider;
  heuristic: ((observation: JsonValue) => number) | undefined;
  maxDepth: number;
  /** The environment's observation is its whole state (see Environment.observationIsComplete). */
  observationIsComplete: boolean;
  signal: AbortSignal | undefined;
  onEvent: ((event: SearchEvent) => void) | undefined;
}

/**
 * What a strategy works with: the tree, the policy (budgeted), and state-aware execution. Every call that
 * would spend past the budget stops the search instead (SearchStop), so strategies need no budget code.
 */
export class SearchContext {
  readonly task: EnvironmentTask;
  readonly tree: SearchTree;
  readonly budget: BudgetMeter;
  readonly maxDepth: number;
  /** Lessons written by `reflect`, shown to every later policy call. */
  readonly reflections: string[] = [];
  /** Every policy call in order, for replaying the search. */
  readonly policyLog: PolicyCallRecord[] = [];
  readonly #options: SearchContextOptions;
  /** Handed to policy calls and steps only when something can abort them (a wall-time budget, the caller). */
  readonly #signal: AbortSignal | undefined;
  #root: SearchNode;
  // Per-node caches are Maps, not WeakMaps: they live exactly as long as the tree that holds the nodes,
  // and Maps are cheaper to use and to collect (WeakMap entries are ephemerons every GC must trace).
  readonly #candidatesByNode = new Map<SearchNode, readonly CandidateAction[]>();
  readonly #trajectories = new Map<SearchNode, readonly TrajectoryStep[]>();
  readonly #stateKeys = new Map<SearchNode, string>();
  /** The successful reads on the path to a node, sorted and joined: built from the parent's, once per node. */
  readonly #readsOf = new Map<SearchNode, string>();
  /** The model calls behind each proposal `propose` returned, so the children they create can point to them. */
  readonly #proposedBy = new Map<object, readonly PolicyModelCall[]>();
  /** Each child's actionKey, made when it is created (a node expanded again checks new proposals against them). */
  readonly #actionKeys = new Map<SearchNode, string>();

  constructor(options: SearchContextOptions) {
    this.#options = options;
    this.task = options.task;
    this.tree = options.tree;
    this.budget = options.budget;
    this.maxDepth = options.maxDepth;
    this.#root = options.tree.root;
    const signals = [options.signal, options.budget.budget.wallTimeMs === undefined ? undefined : options.budget.signal].filter((signal) => signal !== undefined);
    this.#signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
  }

  /** Where the search stands: the tree's root, or the last committed node. Nodes above it are history. */
  get root(): SearchNode {
    return this.#root;
  }

  get actions(): ActionSpace {
    return this.#options.actions;
  }

  isGoal(node: SearchNode): boolean {
    return node.goal;
  }

  /** The declared cost of an action (1 when unknown). */
  costOf(action: string): number {
    return this.#options.actions.find(action)?.cost ?? 1;
  }

  effectOf(action: string): Effect | undefined {
    return this.#options.actions.find(action)?.effect;
  }

  /** The user's heuristic for a node's observation (estimated cost to go), if one was given. */
  heuristic(node: SearchNode): number | undefined {
    const heuristic = this.#options.heuristic;
    if (heuristic === undefined || node.observation === undefined) return undefined;
    return node.goal ? 0 : heuristic(node.observation);
  }

  /** A key identifying the node's state (its observation), to find states reached twice. */
  stateKey(node: SearchNode): string | undefined {
    if (node.observation === undefined) return undefined;
    let key = this.#stateKeys.get(node);
    if (key === undefined) {
      key = observationKey(node.observation);
      if (!this.#options.observationIsComplete) {
        // What the path has read is part of the state when the observation does not show everything.
        key += `\n${this.#reads(node)}`;
      }
      this.#stateKeys.set(node, key);
    }
    return key;
  }

  /** The sorted successful reads on the path to a node, joined by newlines (the parent's, plus its own). */
  #reads(node: SearchNode): string {
    const parent = node.parent;
    if (parent === undefined) return '';
    let reads = this.#readsOf.get(node);
    if (reads === undefined) {
      const inherited = this.#reads(parent);
      if (node.effect === 'read' && node.stepStatus === 'ok') {
        const own = actionKey(node.action ?? '', node.input);
        reads = inherited === '' ? own : [...inherited.split('\n'), own].sort().join('\n');
      } else {
        reads = inherited;
      }
      this.#readsOf.set(node, reads);
    }
    return reads;
  }

  /** The path from the root to the node as the policy sees it. */
  trajectory(node: SearchNode): readonly TrajectoryStep[] {
    if (node.parent === undefined) return [];
    let trajectory = this.#trajectories.get(node);
    if (trajectory === undefined) {
      const step: TrajectoryStep = {
        action: node.action ?? '',
        input: node.input,
        status: node.stepStatus ?? 'ok',
        ...(node.output === undefined ? {} : { output: node.output }),
        ...(node.error === undefined ? {} : { error: node.error }),
      };
      trajectory = [...this.trajectory(node.parent), step];
      this.#trajectories.set(node, trajectory);
    }
    return trajectory;
  }

  policyState(node: SearchNode): PolicyState {
    return {
      task: { id: this.task.id, instruction: this.task.instruction },
      observation: node.observation ?? null,
      trajectory: this.trajectory(node),
      ...(this.reflections.length === 0 ? {} : { reflections: [...this.reflections] }),
    };
  }

  /** The state as a proposal sees it: with the actions already tried from it, when it is expanded again. */
  #proposalState(node: SearchNode): PolicyState {
    const state = this.policyState(node);
    if (node.children.length === 0) return state;
    const tried = node.children.map((child) => ({
      action: child.action ?? '',
      input: child.input,
      status: child.stepStatus ?? 'ok',
      ...(child.error === undefined ? {} : { error: child.error }),
    }));
    return { ...state, tried };
  }

  /** The actions shown at a node (the candidate provider's choice), cached per node. */
  async candidates(node: SearchNode): Promise<readonly CandidateAction[]> {
    let candidates = this.#candidatesByNode.get(node);
    if (candidates === undefined) {
      const actions = this.#options.actions;
      const provider = this.#options.candidates;
      // The default provider looks at nothing but the space: no state to build for it.
      candidates = provider === allActions ? allCandidates(actions) : await provider({ state: this.policyState(node), depth: node.depth, actions, all: () => allCandidates(actions) });
      this.#candidatesByNode.set(node, candidates);
    }
    return candidates;
  }

  /** The node's candidates without an await when they are known already (every expansion asks twice). */
  #candidatesOf(node: SearchNode): readonly CandidateAction[] | Promise<readonly CandidateAction[]> {
    return this.#candidatesByNode.get(node) ?? this.candidates(node);
  }

  /** Asks the policy for up to k actions at a node (one model call). */
  async propose(node: SearchNode, k: number): Promise<Proposal[]> {
    const state = this.#proposalState(node);
    const candidates = await this.candidates(node);
    const { value, calls } = await this.#call('propose', node, `${node.id}:${candidateKey(candidates)}:${k}`, (options) => this.#options.policy.propose(state, candidates, k, options));
    const proposals = value.slice(0, k);
    if (calls !== undefined) for (const proposal of proposals) this.#proposedBy.set(proposal, calls);
    return proposals;
  }

  /** Whether the policy can value a state in the same call that proposes its actions (deferred evaluation). */
  get valuesWhileProposing(): boolean {
    return this.#options.policy.proposeAndValue !== undefined;
  }

  /**
   * Asks the policy for up to k actions at a node and the node's own value, in one model call; sets the
   * node's `value` (with `keepValue`, only when it has none yet). Proposals may carry their action's value,
   * which `expand` gives the children it creates. Only for policies that can (see `valuesWhileProposing`).
   */
  async proposeAndValue(node: SearchNode, k: number, options: { keepValue?: boolean } = {}): Promise<Proposal[]> {
    const policy = this.#options.policy;
    if (policy.proposeAndValue === undefined) {
      throw new ArborError('ARBOR_POLICY_UNSUPPORTED', `Policy "${policy.name}" cannot value a state while proposing`, {
        hint: 'Check SearchContext.valuesWhileProposing first, and propose then evaluate otherwise.',
        data: { policy: policy.name, method: 'proposeAndValue' },
      });
    }
    const state = this.#proposalState(node);
    const candidates = await this.candidates(node);
    const call = policy.proposeAndValue.bind(policy);
    const { value, calls } = await this.#call('proposeAndValue', node, `${node.id}:${candidateKey(candidates)}:${k}`, (options) => call(state, candidates, k, options));
    if (options.keepValue !== true || node.value === null) {
      node.value = clamp01(value.value);
      node.data.score = node.value;
      if (calls !== undefined) node.data.scoredBy = toRefs(calls);
    }
    const proposals = value.proposals.slice(0, k);
    if (calls !== undefined) for (const proposal of proposals) this.#proposedBy.set(proposal, calls);
    return proposals;
  }

  /** Scores all the given children of a node in one model call; sets their `value`. */
  async evaluate(node: SearchNode, children: readonly SearchNode[]): Promise<number[]> {
    if (children.length === 0) return [];
    const state = this.policyState(node);
    const views: ChildView[] = children.map((child) => childView(child));
    const { value: values, calls } = await this.#call('evaluate', node, `${node.id}:${children.map((child) => child.id).join(',')}`, (options) => this.#options.policy.evaluate(state, views, options));
    const refs = calls === undefined ? undefined : toRefs(calls);
    return children.map((child, index) => {
      const value = clamp01(values[index] ?? 0);
      child.value = value;
      child.data.score = value;
      if (refs !== undefined) child.data.scoredBy = refs;
      return value;
    });
  }

  /** Samples n whole plans from a node in one model call (Tree-Planner, best-of-N). */
  async samplePlans(node: SearchNode, n: number): Promise<PlanSample[]> {
    const policy = this.#options.policy;
    if (policy.samplePlans === undefined) {
      throw new ArborError('ARBOR_POLICY_UNSUPPORTED', `Policy "${policy.name}" cannot sample whole plans`, {
        hint: 'Use a policy that implements samplePlans, or a strategy that proposes step by step (astar, best-first, mcts, beam, greedy).',
        data: { policy: policy.name, method: 'samplePlans' },
      });
    }
    const state = this.policyState(node);
    const candidates = await this.candidates(node);
    const sample = policy.samplePlans.bind(policy);
    return (await this.#call('samplePlans', node, `${node.id}:${candidateKey(candidates)}:${n}`, (options) => sample(state, candidates, n, options))).value;
  }

  /** Asks the policy to reflect on the failed path to a node; the lesson is shown to later calls. */
  async reflect(node: SearchNode): Promise<string | undefined> {
    const policy = this.#options.policy;
    if (policy.reflect === undefined) return undefined;
    const state = this.policyState(node);
    const reflect = policy.reflect.bind(policy);
    const { value: text } = await this.#call('reflect', node, `${node.id}`, (options) => reflect(state, options));
    this.reflections.push(text);
    node.data.reflection = text;
    return text;
  }

  /**
   * Expands a node with the given proposals: reversible ones are executed from the node's state (each a
   * recorded step), irreversible ones become commit points (not executed), proposals that are not among
   * the node's candidates are pruned unexecuted. Counts one expansion; returns the new children.
   */
  async expand(node: SearchNode, proposals: readonly Pick<Proposal, 'action' | 'input' | 'probability' | 'value'>[]): Promise<SearchNode[]> {
    const blocked = this.budget.blockedExpansion();
    if (blocked !== undefined) throw new SearchStop({ kind: 'budget', resource: blocked });
    this.#checkCancelled();
    this.budget.chargeExpansion();
    if (node.status === 'open') node.status = 'expanded';
    const expansions = this.budget.expansions;
    // The first expansion's number orders the inspector's view; a node can be expanded more than once.
    node.data.expansion ??= expansions;
    node.data.expansions = (typeof node.data.expansions === 'number' ? node.data.expansions : 0) + 1;
    this.#options.onEvent?.({ type: 'node-expand', node: node.id, depth: node.depth, expansions });
    const known = this.#candidatesOf(node);
    const names = candidateNames(known instanceof Promise ? await known : known);
    const seen = new Set(node.children.map((child) => this.#actionKeys.get(child) ?? actionKey(child.action ?? '', child.input)));
    const created: SearchNode[] = [];
    for (const [rank, proposal] of proposals.entries()) {
      const key = actionKey(proposal.action, proposal.input);
      if (seen.has(key)) continue;
      seen.add(key);
      const action = this.#options.actions.find(proposal.action);
      const child = this.tree.add(node, {
        action: proposal.action,
        input: proposal.input ?? null,
        effect: action?.effect ?? 'read',
        commit: action?.effect === 'irreversible',
        prior: clamp01(proposal.probability),
      });
      this.#actionKeys.set(child, key);
      child.data.rank = rank;
      if (proposal.value !== undefined && Number.isFinite(proposal.value)) {
        // The action's value from the call that proposed it (before it was taken): the child's first estimate.
        child.value = clamp01(proposal.value);
        child.data.actionValue = child.value;
        child.data.score = child.value;
      }
      const proposedBy = this.#proposedBy.get(proposal);
      if (proposedBy !== undefined) child.data.proposedBy = toRefs(proposedBy);
      child.stepCost = action?.cost ?? 1;
      child.g = node.g + child.stepCost;
      created.push(child);
      if (action === undefined || !names.has(proposal.action)) {
        // Planners only ever act with the candidates they were given.
        child.status = 'pruned';
        child.data.reason = action === undefined ? 'unknown-action' : 'not-a-candidate';
        continue;
      }
      if (!child.commit) await this.executeNode(child);
    }
    return created;
  }

  /** Executes a (reversible) child from its parent's state and fills in what happened. */
  executeNode(child: SearchNode): Promise<SearchNode> {
    // Not async itself (it runs for every step): it hands back #run's promise, and rejects as an async would.
    if (child.commit) return Promise.reject(new ArborError('ARBOR_INTERNAL', `Node ${child.id} is an irreversible commit point; take it with commit()`));
    const blocked = this.budget.blockedStep();
    if (blocked !== undefined) return Promise.reject(new SearchStop({ kind: 'budget', resource: blocked }));
    return this.#run(child);
  }

  /**
   * Takes an irreversible commit point for real: executes it (asking the approval policy) from its
   * parent's state. When it succeeds, the node becomes the search's root: branches elsewhere are history
   * (pruned). When approval is refused, the search stops and hands the plan back for approval.
   */
  async commit(node: SearchNode): Promise<SearchNode> {
    this.#refuseUnlessOpenCommit(node);
    this.#checkCancelled();
    await this.#run(node, true);
    this.#options.onEvent?.({ type: 'commit', node: node.id, action: node.action ?? '', status: node.stepStatus ?? 'unknown' });
    if (node.stepStatus === 'blocked' && node.error?.code === 'ARBOR_APPROVAL_REQUIRED') {
      node.status = 'blocked';
      throw new SearchStop({ kind: 'approval', node });
    }
    if (node.stepStatus === 'ok') {
      node.data.committed = true;
      for (const other of this.tree.nodes) {
        if (other.status === 'open' && !this.tree.isAncestor(node, other) && !this.tree.isAncestor(other, node)) {
          other.status = 'pruned';
          other.data.reason = 'superseded-by-commit';
        }
      }
      this.#root = node;
    }
    return node;
  }

  /**
   * Irreversible actions are taken only here, and only from an open commit point under the current root:
   * anything else is a strategy bug, refused before anything runs (the executor would also block an
   * irreversible step outside a commit, see StateKeeper).
   */
  #refuseUnlessOpenCommit(node: SearchNode): void {
    const refuse = (reason: CommitRefusal, detail: string): never => {
      throw new CommitRefusedError(node.id, node.action, reason, detail);
    };
    if (!node.commit) refuse('not-irreversible', 'its action is not irreversible');
    if (node.stepId !== null) refuse('already-taken', `it was taken already (${node.stepStatus ?? 'unknown'})`);
    if (node.status === 'pruned') refuse('pruned', `it was pruned (${typeof node.data.reason === 'string' ? node.data.reason : 'no reason recorded'})`);
    if (node.status !== 'open') refuse('not-open', `it is ${node.status}, not open`);
    const parent = node.parent;
    if (parent === undefined || !this.tree.isAncestor(this.#root, parent)) refuse('behind-commit', `it is not below the search's current root (node ${this.#root.id})`);
    // A failed or blocked step still leaves a recorded state (ReAct carries on from it, errors in view); a
    // proposal pruned unexecuted, or a commit not taken, leaves none.
    if (parent !== undefined && (parent.stepStatus === null || parent.stepStatus === 'cancelled' || (parent.commit && parent.stepId === null))) refuse('parent-not-reached', `the state it would be taken from (node ${parent.id}) was never reached`);
  }

  async #run(child: SearchNode, commit = false): Promise<SearchNode> {
    const executed = await this.#options.keeper.execute(child, this.#signal, commit);
    const { result } = executed;
    this.budget.chargeStep(executed.time);
    child.stepId = result.step.id;
    child.stepStatus = result.status;
    child.steps = executed.steps;
    if (result.ok && result.output !== undefined) child.output = result.output as JsonValue;
    if (result.error !== null) child.error = result.error.toJSON();
    // Observing the new state and the task's goal test are the environment's work (its state, its task's
    // predicate), timed with the executor's, not as planner overhead.
    const observedAt = mark();
    child.observation = this.#options.keeper.observe();
    child.snapshot = this.#options.keeper.snapshot();
    child.goal = result.ok && this.task.isDone(child.observation);
    this.budget.chargeExecution(lap(observedAt));
    child.status = result.ok ? (child.goal ? 'terminal' : 'open') : result.status === 'blocked' ? 'blocked' : 'failed';
    if (result.status === 'cancelled') this.#checkCancelled();
    return child;
  }

  /**
   * One budgeted policy call about `node`. What it asked and answered goes to the policy log; the model
   * calls behind it (`PolicyResult.calls`: keys of the recorded prompts and answers) go to the log and to
   * the node's `data.modelCalls`, so an inspector can show the prompts that shaped each node.
   */
  async #call<T>(method: PolicyMethod, node: SearchNode, request: string, call: (options: PolicyCallOptions) => Promise<PolicyResult<T>>): Promise<PolicyResult<T>> {
    const blocked = this.budget.blockedCall();
    if (blocked !== undefined) throw new SearchStop({ kind: 'budget', resource: blocked });
    this.#checkCancelled();
    const remainingTokens = this.budget.remainingTokens();
    const started = mark();
    let result: PolicyResult<T>;
    try {
      const options: PolicyCallOptions = {};
      if (this.#signal !== undefined) options.signal = this.#signal;
      if (remainingTokens !== undefined) options.remainingTokens = remainingTokens;
      result = await call(options);
    } catch (error) {
      // A call that failed after reaching the model still spent what it reports, and its prompts are kept.
      const failed = ArborError.isInstance(error) ? error.data : {};
      this.budget.chargeCall(usageOf(failed.usage), lap(started));
      const calls = callsOf(failed.calls);
      if (calls !== undefined) noteCalls(node, method, calls, true);
      if (error instanceof BudgetExceededError || (ArborError.isInstance(error) && error.code === 'ARBOR_BUDGET_EXCEEDED')) {
        const resource = (error.data.resource as BudgetResource | undefined) ?? 'tokens';
        throw new SearchStop({ kind: 'budget', resource });
      }
      if (this.budget.signal.aborted) throw new SearchStop({ kind: 'budget', resource: 'wallTime' });
      this.#checkCancelled();
      throw error;
    }
    this.budget.chargeCall(result.usage, lap(started));
    const calls = result.calls === undefined || result.calls.length === 0 ? undefined : result.calls;
    const record: PolicyCallRecord = { method, request, response: result.value as JsonValue, usage: { ...result.usage } };
    if (calls !== undefined) record.calls = calls.map((entry) => ({ ...entry }));
    this.policyLog.push(record);
    if (calls !== undefined) noteCalls(node, method, calls, false);
    if (this.#options.onEvent !== undefined) {
      const spent = this.budget.spentCalls();
      this.#options.onEvent({ type: 'policy-call', method, modelCalls: spent.modelCalls, tokens: spent.tokens });
    }
    return calls === undefined ? { value: result.value, usage: result.usage } : { value: result.value, usage: result.usage, calls };
  }

  #checkCancelled(): void {
    if (this.#options.signal?.aborted) throw new SearchStop({ kind: 'cancelled' });
    if (this.budget.expired) throw new SearchStop({ kind: 'budget', resource: 'wallTime' });
  }
}

export function childView(child: SearchNode): ChildView {
  // Assigned in this order, not spread: the same keys in the same order, without a temporary per field.
  const view: ChildView = { action: child.action ?? '', input: child.input };
  if (child.effect !== null) view.effect = child.effect;
  if (child.stepStatus !== null) view.status = child.stepStatus;
  if (child.observation !== undefined && child.stepStatus !== null) view.observation = child.observation;
  if (child.output !== undefined) view.output = child.output;
  if (child.error !== undefined) view.error = child.error;
  return view;
}

/**
 * Serialized observations, per observation object. Only frozen ones are cached (a frozen observation is
 * taken to be immutable, as JsonValue states are meant to be): an environment that hands out its state (the FSM environments do, and reuse it when a step changes nothing) gets each
 * state serialized once, however many nodes reach it; a mutable observation is serialized every time.
 */
const observationKeys = new WeakMap<object, string>();

export function observationKey(observation: JsonValue): string {
  if (observation === null || typeof observation !== 'object' || !Object.isFrozen(observation)) return JSON.stringify(observation);
  let key = observationKeys.get(observation);
  if (key === undefined) observationKeys.set(observation, (key = JSON.stringify(observation)));
  return key;
}

/** Identity of an action with its arguments (input keys in any order give the same key). */
export function actionKey(action: string, input: JsonValue | undefined): string {
  return `${action} ${stableStringify(input ?? null)}`;
}

function stableStringify(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  // Built by concatenation (no intermediate arrays): it runs for every proposal of every expansion.
  let text: string;
  if (Array.isArray(value)) {
    text = '[';
    // `?? ''`: as Array#join writes an undefined item.
    for (let index = 0; index < value.length; index++) text += (index === 0 ? '' : ',') + (stableStringify(value[index] as JsonValue) ?? '');
    return text + ']';
  }
  const keys = Object.keys(value);
  if (keys.length > 1) keys.sort();
  text = '{';
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index] as string;
    text += (index === 0 ? '' : ',') + JSON.stringify(key) + ':' + stableStringify(value[key] as JsonValue);
  }
  return text + '}';
}

const candidateKeys = new WeakMap<readonly CandidateAction[], string>();

/** The candidates as part of a request hash: their names, hashed once per list. */
function candidateKey(candidates: readonly CandidateAction[]): string {
  let key = candidateKeys.get(candidates);
  if (key === undefined) {
    key = createHash('sha256').update(candidates.map((candidate) => candidate.name).join('\n')).digest('hex');
    candidateKeys.set(candidates, key);
  }
  return key;
}

const refsByCalls = new WeakMap<readonly PolicyModelCall[], JsonObject[]>();

/**
 * A model call as a node refers to it: `{ id, namespace }` (what the inspector resolves), purpose and model.
 * Made once per list of calls: the children one proposal call created share its refs (never changed).
 */
function toRefs(calls: readonly PolicyModelCall[]): JsonObject[] {
  let refs = refsByCalls.get(calls);
  if (refs === undefined) {
    refs = calls.map((call) => ({ id: call.id, namespace: call.namespace, purpose: call.purpose, model: call.model, cached: call.cached }));
    refsByCalls.set(calls, refs);
  }
  return refs;
}

function noteCalls(node: SearchNode, method: PolicyMethod, calls: readonly PolicyModelCall[], failed: boolean): void {
  const list = Array.isArray(node.data.modelCalls) ? node.data.modelCalls : (node.data.modelCalls = []);
  for (const ref of toRefs(calls)) list.push({ method, ...ref, ...(failed ? { failed: true } : {}) });
}

function usageOf(value: unknown): PolicyUsage {
  const usage = (value ?? {}) as Partial<Record<keyof PolicyUsage, unknown>>;
  const count = (field: unknown): number => (typeof field === 'number' && Number.isFinite(field) && field > 0 ? field : 0);
  return { modelCalls: count(usage.modelCalls), inputTokens: count(usage.inputTokens), outputTokens: count(usage.outputTokens) };
}

function callsOf(value: unknown): PolicyModelCall[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const calls = value.filter((call): call is PolicyModelCall => call !== null && typeof call === 'object' && typeof (call as PolicyModelCall).id === 'string' && typeof (call as PolicyModelCall).namespace === 'string');
  return calls.length === 0 ? undefined : calls;
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

export type { JsonObject };
