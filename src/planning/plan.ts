import type { Effect } from '../actions/index.js';
import type { Environment, EnvironmentTask } from '../environments/index.js';
import { ArborError, UsageError, type BudgetResource } from '../errors/index.js';
import type { ApprovalPolicy, Guard, StepResult } from '../execution/index.js';
import type { JsonObject, JsonValue } from '../internal/json.js';
import type { StepRecord, Store } from '../provenance/index.js';
import { BudgetMeter, lap, mark, type Budget, type Spent } from './budget.js';
import { allActions, type CandidateProvider } from './candidates.js';
import type { Planner } from './planner.js';
import type { Policy } from './policy.js';
import { SearchContext, SearchStop, type PolicyCallRecord, type SearchEvent } from './search-context.js';
import { StateKeeper } from './state-keeper.js';
import { SearchTree, type NodeStatus, type SearchNode } from './tree.js';

export interface PlanOptions {
  /** The world to act in. With snapshot/restore it is used directly; otherwise see createEnvironment. */
  environment: Environment;
  /** Fresh copies of the environment, used to rebuild states when it has no snapshot/restore. */
  createEnvironment?: () => Environment | Promise<Environment>;
  /** The task, or the id of one of the environment's tasks. */
  task: EnvironmentTask | string;
  planner: Planner;
  policy: Policy;
  /** Where the search's steps and tree are recorded. */
  store: Store;
  budget?: Budget;
  /** The actions shown at each state. Default: every action of the environment. */
  candidates?: CandidateProvider;
  /** Decides irreversible actions when the search commits to one. Default: refuse (the plan is handed back). */
  approval?: ApprovalPolicy;
  guards?: Guard[];
  /** Estimated cost to go from an observation (A* uses it instead of the policy's value when given). */
  heuristic?: (observation: JsonValue) => number;
  /** Deepest node a strategy may expand. Default 40. */
  maxDepth?: number;
  signal?: AbortSignal;
  onEvent?: (event: SearchEvent) => void;
  /** Hears every step the search executes (top-level and nested), as it is recorded. */
  onStep?: (step: StepResult) => void;
  /** Extra run metadata. */
  metadata?: JsonObject;
  /**
   * Recorded steps of an earlier search whose nondeterminism (clock, randomness, `ctx.record`) is fed back to
   * the steps with the same seq: how `replaySearch` re-creates a recorded search.
   */
  replayOf?: readonly StepRecord[];
  /** Record the search under this run id (a ULID) instead of a new one (a job queue chooses ids up front). */
  runId?: string;
}

export type PlanStatus = 'succeeded' | 'failed' | 'budget-exhausted' | 'awaiting-approval' | 'cancelled';

export interface PlanStep {
  node: number;
  action: string;
  input: JsonValue;
  effect: Effect;
  /** The recorded step (null for a pending irreversible step). */
  stepId: string | null;
  status: string;
}

export interface TreeSummary {
  nodes: number;
  maxDepth: number;
  byStatus: Record<NodeStatus, number>;
}

export interface PlanResult {
  status: PlanStatus;
  /** The run that recorded the search (its steps follow the tree's branches; the plan is a path in it). */
  runId: string;
  strategy: string;
  task: string;
  /** The chosen path from the root: executed steps, ending at the goal when `succeeded`. */
  plan: PlanStep[];
  /** The irreversible step waiting for approval when `awaiting-approval`. */
  pending?: PlanStep & { description: string };
  /** The budget resource that ran out when `budget-exhausted`. */
  exhausted?: BudgetResource;
  reason?: string;
  spent: Spent;
  tree: TreeSummary;
  /** The environment in the plan's final state (a rebuilt copy when states were rebuilt). */
  environment: Environment;
  /** Every policy call in order (also stored with the run), for replaying the search. */
  policyLog: PolicyCallRecord[];
}

/**
 * Runs a search for a task: the strategy explores (reversible steps executed and recorded, irreversible
 * ones only as commits), the tree is written to the store, and the chosen path is the plan. The
 * environment is left in the plan's final state.
 */
export async function plan(options: PlanOptions): Promise<PlanResult> {
  const { environment, planner, policy, store } = options;
  const task = resolveTask(environment, options.task);
  const maxDepth = options.maxDepth ?? 40;
  if (!Number.isInteger(maxDepth) || maxDepth < 1) throw new UsageError(`maxDepth must be an integer >= 1, got ${maxDepth}`);
  const budget = new BudgetMeter(options.budget);
  // An environment's own task may start from its own initial state; a task made up by the caller acts on
  // the environment as it is.
  if (environment.tasks?.some((candidate) => candidate.id === task.id) === true) {
    // Setting up the task's initial state is the environment's work, timed as executor time.
    const startedAt = mark();
    await environment.startTask?.(task.id);
    budget.chargeExecution(lap(startedAt));
  }
  const openedAt = mark();
  const keeper = await StateKeeper.open({
    store,
    environment,
    ...(options.createEnvironment === undefined ? {} : { createEnvironment: options.createEnvironment }),
    taskId: task.id,
    ...(options.approval === undefined ? {} : { approval: options.approval }),
    ...(options.guards === undefined ? {} : { guards: options.guards }),
    ...(options.onStep === undefined ? {} : { onStep: options.onStep }),
    run: {
      ...(options.runId === undefined ? {} : { id: options.runId }),
      task: task.instruction,
      environment: environment.name,
      metadata: {
        ...options.metadata,
        kind: 'search',
        taskId: task.id,
        strategy: planner.name,
        strategyOptions: planner.options,
        strategyRevision: planner.revision ?? 1,
        policy: policy.name,
        // The optional methods the policy has: strategies choose their logic by them, so a replay must too.
        policyMethods: (['proposeAndValue', 'samplePlans', 'reflect'] as const).filter((method) => policy[method] !== undefined),
        budget: { ...options.budget } as JsonObject,
        maxDepth,
      },
      ...(options.replayOf === undefined ? {} : { replayOf: options.replayOf }),
    },
  });
  budget.chargeRecording(lap(openedAt));
  const tree = new SearchTree(keeper.observe(), keeper.snapshot());
  tree.root.goal = task.isDone(tree.root.observation ?? null);
  if (tree.root.goal) tree.root.status = 'terminal';
  keeper.settle(tree.root);
  const context = new SearchContext({
    task,
    policy,
    actions: environment.actions,
    keeper,
    tree,
    budget,
    candidates: options.candidates ?? allActions,
    heuristic: options.heuristic,
    maxDepth,
    observationIsComplete: environment.observationIsComplete === true,
    signal: options.signal,
    onEvent: options.onEvent,
  });
  options.onEvent?.({ type: 'search-start', runId: keeper.run.id, strategy: planner.name, task: task.id });

  let status: PlanStatus;
  let goal: SearchNode | undefined;
  let pending: SearchNode | undefined;
  let exhausted: BudgetResource | undefined;
  let reason: string | undefined;
  try {
    goal = tree.root.goal ? tree.root : await planner.search(context);
    status = goal?.goal === true ? 'succeeded' : 'failed';
    if (goal !== undefined && !goal.goal) {
      reason = `the strategy returned node ${goal.id}, where the task is not done`;
      goal = undefined;
    } else if (goal === undefined) reason = 'the strategy found no path to the goal';
  } catch (error) {
    if (!(error instanceof SearchStop)) {
      await finish('failed', error);
      throw error;
    }
    if (error.reason.kind === 'budget') {
      status = 'budget-exhausted';
      exhausted = error.reason.resource;
      reason = `the ${exhausted} budget ran out`;
    } else if (error.reason.kind === 'approval') {
      status = 'awaiting-approval';
      pending = error.reason.node;
      reason = `irreversible action "${pending.action}" needs approval`;
    } else {
      status = 'cancelled';
      reason = 'the search was cancelled';
    }
  }

  // The plan: the path to the goal, or what was committed so far (plus the pending commit).
  const end = goal ?? pending?.parent ?? context.root;
  const spent = await finish(status);
  const planSteps = tree.path(end).slice(1).map(toPlanStep);
  const result: PlanResult = {
    status,
    runId: keeper.run.id,
    strategy: planner.name,
    task: task.id,
    plan: planSteps,
    ...(pending === undefined ? {} : { pending: { ...toPlanStep(pending), stepId: null, description: environment.actions.find(pending.action ?? '')?.description ?? '' } }),
    ...(exhausted === undefined ? {} : { exhausted }),
    ...(reason === undefined ? {} : { reason }),
    spent,
    tree: { nodes: tree.nodes.length, maxDepth: tree.maxDepth(), byStatus: tree.counts() },
    environment: keeper.environment,
    policyLog: context.policyLog,
  };
  return result;

  async function finish(final: PlanStatus, error?: unknown): Promise<Spent> {
    // Leave the environment in the plan's state and the run's head on its last step.
    const last = goal ?? pending?.parent ?? context.root;
    try {
      if (error === undefined) {
        await keeper.moveTo(last);
        keeper.run.setHead(last.stepId);
      }
      tree.markChosen(last);
      if (pending !== undefined) pending.data.chosen = true;
    } finally {
      budget.chargeExecution(keeper.rebuildTime);
      const writingAt = mark();
      await store.putSearchNodes(tree.toRecords(keeper.run.id));
      const logHash = await store.putBlob(JSON.stringify(context.policyLog));
      await keeper.run.end(runStatus(final), {
        outcome: final,
        policyLog: logHash,
        spent: { ...budget.spent() },
        ...(error === undefined ? {} : { error: ArborError.from(error).toJSON() as unknown as JsonObject }),
      });
      await keeper.close();
      budget.chargeRecording(lap(writingAt));
    }
    return budget.end();
  }
}

function toPlanStep(node: SearchNode): PlanStep {
  return {
    node: node.id,
    action: node.action ?? '',
    input: node.input,
    effect: node.effect ?? 'read',
    stepId: node.stepId,
    status: node.stepStatus ?? 'pending',
  };
}

function runStatus(status: PlanStatus): 'succeeded' | 'failed' | 'blocked' | 'cancelled' {
  switch (status) {
    case 'succeeded':
      return 'succeeded';
    case 'awaiting-approval':
      return 'blocked';
    case 'cancelled':
      return 'cancelled';
    default:
      return 'failed';
  }
}

function resolveTask(environment: Environment, task: EnvironmentTask | string): EnvironmentTask {
  if (typeof task !== 'string') return task;
  const found = environment.tasks?.find((candidate) => candidate.id === task);
  if (found === undefined) {
    const known = (environment.tasks ?? []).map((candidate) => candidate.id);
    throw new UsageError(`Environment "${environment.name}" has no task "${task}"`, `Known tasks: ${known.slice(0, 30).join(', ') || 'none'}.`, { task, known });
  }
  return found;
}
