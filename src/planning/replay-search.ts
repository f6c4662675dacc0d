import type { Environment } from '../environments/index.js';
import { ArborError, SearchDivergedError, StrategyRevisionError, UsageError } from '../errors/index.js';
import { denyIrreversible, type ApprovalPolicy, type Guard, type StepResult } from '../execution/index.js';
import type { JsonObject } from '../internal/json.js';
import { getRunOrThrow, runSteps, type RunRecord, type SearchNodeRecord, type Store } from '../provenance/index.js';
import type { Budget } from './budget.js';
import type { CandidateProvider } from './candidates.js';
import { plan, type PlanResult } from './plan.js';
import type { Policy, PolicyCallOptions, PolicyResult } from './policy.js';
import type { PolicyCallRecord, PolicyMethod } from './search-context.js';
import { createPlanner } from './strategies/index.js';

/**
 * A policy that answers from a recorded search's policy log, in order, and checks that each call asks
 * about the same node and candidates as it did then. Any difference is a SearchDivergedError.
 */
export class RecordedPolicy implements Policy {
  readonly name: string;
  readonly #log: readonly PolicyCallRecord[];
  #next = 0;

  /** Present only when the recorded policy had it, so a replayed A* takes the same branch of its logic. */
  readonly proposeAndValue?: Policy['proposeAndValue'];

  constructor(log: readonly PolicyCallRecord[], name = 'recorded', options: { proposeAndValue?: boolean } = {}) {
    this.#log = log;
    this.name = name;
    if (options.proposeAndValue ?? log.some((record) => record.method === 'proposeAndValue')) {
      this.proposeAndValue = (...args: Parameters<NonNullable<Policy['proposeAndValue']>>) => this.#answer('proposeAndValue', args[3]);
    }
  }

  /** Calls answered so far. */
  get used(): number {
    return this.#next;
  }

  propose(...args: Parameters<Policy['propose']>): Promise<PolicyResult<never>> {
    return this.#answer('propose', args[3]);
  }

  evaluate(...args: Parameters<Policy['evaluate']>): Promise<PolicyResult<never>> {
    return this.#answer('evaluate', args[2]);
  }

  samplePlans(...args: Parameters<NonNullable<Policy['samplePlans']>>): Promise<PolicyResult<never>> {
    return this.#answer('samplePlans', args[3]);
  }

  reflect(...args: Parameters<NonNullable<Policy['reflect']>>): Promise<PolicyResult<never>> {
    return this.#answer('reflect', args[1]);
  }

  // What each call asked is compared afterwards from the two policy logs (replaySearch).
  async #answer(method: PolicyMethod, _options: PolicyCallOptions | undefined): Promise<PolicyResult<never>> {
    const record = this.#log[this.#next];
    if (record === undefined) {
      throw new SearchDivergedError(`The replayed search made policy call ${this.#next + 1} (${method}), but the recording has only ${this.#log.length}`, { call: this.#next, method });
    }
    if (record.method !== method) {
      throw new SearchDivergedError(`Policy call ${this.#next + 1} was ${record.method} in the recording but ${method} in the replay`, { call: this.#next, expected: record.method, actual: method });
    }
    this.#next++;
    // The recorded model calls too: their prompts and answers are in the store under the same keys.
    return { value: record.response as never, usage: { ...record.usage }, ...(record.calls === undefined ? {} : { calls: record.calls.map((call) => ({ ...call })) }) };
  }
}

export interface ReplaySearchOptions {
  /** A fresh environment to replay in (the recording's steps are executed again in it). */
  environment: Environment;
  createEnvironment?: () => Environment | Promise<Environment>;
  /**
   * Approval for the irreversible steps the search committed. Default: refuse, so the replay verifies the
   * search up to its first commit and stops there (`complete: false`) unless you allow it (in a copy of the
   * world, say).
   */
  approval?: ApprovalPolicy;
  /** Hears every step the replay executes. */
  onStep?: (step: StepResult) => void;
  /** The guards and candidate provider the recorded search ran with (stages, masks, policy rules), if any. */
  guards?: Guard[];
  candidates?: CandidateProvider;
}

/** Where a replayed search first differed from its recording. */
export interface SearchDivergence {
  /**
   * `step`: a recorded step's outcome (status, output or error) was not reproduced, or a step is missing or
   * extra; `policy-call`: the replay asked the policy something else, or made more or fewer calls; `tree`:
   * the replay grew another tree or chose another path.
   */
  kind: 'step' | 'policy-call' | 'tree';
  message: string;
  /** The policy call (1-based) that differed. */
  call?: number;
  /** The search node it concerns. */
  node?: number;
  /** The recorded step concerned (for `policy-call` and `tree`, the step of the node, when it has one). */
  seq?: number;
  stepId?: string;
  action?: string;
  expected?: { status: string; outputHash: string | null };
  actual?: { status: string; outputHash: string | null } | null;
}

export interface SearchReplayReport {
  /** The recorded search. */
  runId: string;
  /** The replay's own recorded run. */
  replayRunId: string;
  /** The replayed search's result (undefined when the replay stopped on a divergence it could not go past). */
  result: PlanResult | undefined;
  /** The replay generated the same tree (same actions, inputs, statuses, parents) and chose the same path. */
  sameChoices: boolean;
  /** The recorded steps whose outcome (status or output hash) the replay reproduced, out of those compared. */
  matchedSteps: number;
  comparedSteps: number;
  /** Recorded steps not compared because the replay stopped at a commit it was not allowed to take. */
  unverifiedSteps: number;
  /** The whole recording was verified; false when the replay stopped at a commit (see `stoppedAt`). */
  complete: boolean;
  /** The commit point where a replay without approval stopped (the recording took it). */
  stoppedAt: { node: number; action: string; seq: number | null } | null;
  policyCalls: { recorded: number; replayed: number };
  /** What differed first, in words (null when nothing did). */
  divergence: string | null;
  /** What differed first, with where. */
  at: SearchDivergence | null;
}

/** Whether a run is a recorded search (made by `plan`), which `replaySearch` can verify. */
export function isSearchRun(run: RunRecord): boolean {
  return run.metadata.kind === 'search' && typeof run.metadata.strategy === 'string' && typeof run.metadata.taskId === 'string';
}

/**
 * Replays a recorded search: the same strategy and settings, the recorded policy answers, in a fresh
 * environment. Reports whether the search made the same choices and whether every step it re-executed
 * produced the recorded outcome, and where it first differed. Irreversible steps are re-executed only with
 * `approval`; without it the search is verified up to its first commit.
 */
export async function replaySearch(store: Store, runId: string, options: ReplaySearchOptions): Promise<SearchReplayReport> {
  const run = await getRunOrThrow(store, runId);
  const metadata = run.metadata;
  if (!isSearchRun(run)) {
    throw new UsageError(`Run ${runId} is not a recorded search`, 'Replay it with "arbor replay" instead.', { runId });
  }
  const logText = typeof metadata.policyLog === 'string' ? await store.getBlob(metadata.policyLog) : undefined;
  if (logText === undefined) throw new ArborError('ARBOR_SEARCH_INCOMPLETE', `Run ${runId} has no policy log`, { hint: 'The search did not finish recording; it cannot be replayed.', data: { runId } });
  const log = JSON.parse(logText) as PolicyCallRecord[];
  const planner = createPlanner(metadata.strategy as string, (metadata.strategyOptions ?? {}) as JsonObject);
  // Searches recorded before revisions were recorded were made by revision 1.
  const recordedRevision = typeof metadata.strategyRevision === 'number' ? metadata.strategyRevision : 1;
  if (recordedRevision !== (planner.revision ?? 1)) throw new StrategyRevisionError(runId, planner.name, recordedRevision, planner.revision ?? 1);
  const { wallTimeMs: _wallTime, ...budget } = (metadata.budget ?? {}) as Budget;
  const methods = Array.isArray(metadata.policyMethods) ? metadata.policyMethods : undefined;
  const policy = new RecordedPolicy(log, `recorded(${String(metadata.policy ?? 'policy')})`, methods === undefined ? {} : { proposeAndValue: methods.includes('proposeAndValue') });
  // The recorded steps feed their nondeterminism back (clock, randomness), as a plain verify replay does.
  const recordedSteps = await runSteps(store, runId);
  let replayRunId = '';
  let result: PlanResult | undefined;
  let stopped: SearchDivergence | undefined;
  try {
    result = await plan({
      environment: options.environment,
      ...(options.createEnvironment === undefined ? {} : { createEnvironment: options.createEnvironment }),
      task: metadata.taskId as string,
      planner,
      policy,
      store,
      budget,
      approval: options.approval ?? denyIrreversible,
      ...(typeof metadata.maxDepth === 'number' ? { maxDepth: metadata.maxDepth } : {}),
      ...(options.onStep === undefined ? {} : { onStep: options.onStep }),
      ...(options.guards === undefined ? {} : { guards: options.guards }),
      ...(options.candidates === undefined ? {} : { candidates: options.candidates }),
      metadata: { replayOf: runId, mode: 'verify' },
      replayOf: recordedSteps,
      onEvent: (event) => {
        if (event.type === 'search-start') replayRunId = event.runId;
      },
    });
  } catch (error) {
    // The recorded answers ran out or did not fit, or a rebuilt state differed: the replay could not go on.
    if (!ArborError.isInstance(error) || error.code !== 'ARBOR_SEARCH_DIVERGED' || replayRunId === '') throw error;
    const call = typeof error.data.call === 'number' ? error.data.call + 1 : undefined;
    stopped = { kind: call === undefined ? 'step' : 'policy-call', message: error.message, ...(call === undefined ? {} : { call }), ...(typeof error.data.node === 'number' ? { node: error.data.node } : {}) };
  }
  const replayLog = result?.policyLog ?? (await readPolicyLog(store, replayRunId));
  const originalSteps = recordedSteps;
  const [originalNodes, replayNodes, replaySteps] = await Promise.all([store.listSearchNodes(runId), store.listSearchNodes(replayRunId), runSteps(store, replayRunId)]);

  // A replay refused a commit the recording took: everything before it can be verified, nothing after.
  const pending = result?.status === 'awaiting-approval' ? result.pending : undefined;
  const recordedPending = pending === undefined ? undefined : originalNodes.find((node) => node.nodeId === pending.node);
  const partial = pending !== undefined && recordedPending !== undefined && recordedPending.stepId !== null;
  const stepsById = new Map(originalSteps.map((step) => [step.id, step]));
  const stopSeq = partial ? (stepsById.get(recordedPending.stepId ?? '')?.seq ?? null) : null;

  const stepOf = (nodeId: number | undefined): Pick<SearchDivergence, 'seq' | 'stepId' | 'action'> => {
    const node = nodeId === undefined ? undefined : originalNodes.find((candidate) => candidate.nodeId === nodeId);
    const step = node?.stepId === null || node === undefined ? undefined : stepsById.get(node.stepId);
    return step === undefined ? {} : { seq: step.seq, stepId: step.id, action: step.action };
  };

  // Steps: every recorded step (before the stop, when partial) must come back with the same outcome.
  const replayBySeq = new Map(replaySteps.map((step) => [step.seq, step]));
  let matchedSteps = 0;
  let comparedSteps = 0;
  let unverifiedSteps = 0;
  let stepDivergence: SearchDivergence | undefined;
  for (const step of originalSteps) {
    if (stopSeq !== null && step.seq >= stopSeq) {
      unverifiedSteps++;
      continue;
    }
    comparedSteps++;
    const again = replayBySeq.get(step.seq);
    if (again !== undefined && again.action === step.action && again.inputHash === step.inputHash && again.status === step.status && again.outputHash === step.outputHash && (again.error?.code ?? null) === (step.error?.code ?? null)) {
      matchedSteps++;
      continue;
    }
    const why = again === undefined ? 'the replay did not make this step' : again.action !== step.action ? `the replay called "${again.action}" instead` : again.inputHash !== step.inputHash ? 'the input differs' : again.status !== step.status ? `the status differs (${step.status} recorded, ${again.status} now)` : again.outputHash !== step.outputHash ? 'the output differs' : 'the error differs';
    stepDivergence ??= {
      kind: 'step',
      message: `step ${step.seq} (${step.action}) did not reproduce: ${why}`,
      seq: step.seq,
      stepId: step.id,
      action: step.action,
      expected: { status: step.status, outputHash: step.outputHash },
      actual: again === undefined ? null : { status: again.status, outputHash: again.outputHash },
      ...nodeOfStep(originalNodes, step.id),
    };
  }
  if (stepDivergence === undefined && stopped === undefined) {
    const extra = replaySteps.find((step) => !originalSteps.some((original) => original.seq === step.seq) && (stopSeq === null || step.seq < stopSeq));
    if (extra !== undefined) stepDivergence = { kind: 'step', message: `the replay made step ${extra.seq} (${extra.action}), which the recording does not have`, seq: extra.seq, stepId: extra.id, action: extra.action };
  }

  // Decisions: the same questions to the policy, in the same order.
  let callDivergence: SearchDivergence | undefined;
  const asked = replayLog.findIndex((call, index) => call.method !== log[index]?.method || call.request !== log[index]?.request);
  if (asked >= 0) {
    const node = Number(replayLog[asked]?.request.split(':')[0]);
    callDivergence = {
      kind: 'policy-call',
      message: `policy call ${asked + 1} asked about something else (${log[asked]?.method ?? '-'} ${log[asked]?.request ?? '-'} then, ${replayLog[asked]?.method ?? '-'} ${replayLog[asked]?.request ?? '-'} now)`,
      call: asked + 1,
      ...(Number.isInteger(node) ? { node, ...stepOf(node) } : {}),
    };
  } else if (stopped === undefined && (partial ? replayLog.length > log.length : replayLog.length !== log.length)) {
    callDivergence = { kind: 'policy-call', message: `the replay made ${replayLog.length} policy calls, the recording ${log.length}`, call: Math.min(replayLog.length, log.length) + 1 };
  }

  // The tree: the same nodes (and, for a complete replay, the same statuses and chosen path).
  const treeDifference = compareTrees(originalNodes, replayNodes, partial);
  const treeDivergence: SearchDivergence | undefined = treeDifference === null ? undefined : { kind: 'tree', message: treeDifference.message, node: treeDifference.node, ...stepOf(treeDifference.node) };

  // The environment is the likelier cause of anything else, so a step that did not reproduce comes first.
  const at = stepDivergence ?? stopped ?? callDivergence ?? treeDivergence ?? null;
  return {
    runId,
    replayRunId,
    result,
    sameChoices: treeDifference === null && callDivergence === undefined && stopped === undefined,
    matchedSteps,
    comparedSteps,
    unverifiedSteps,
    complete: !partial && stopped === undefined,
    stoppedAt: partial ? { node: recordedPending.nodeId, action: recordedPending.action ?? '', seq: stopSeq } : null,
    policyCalls: { recorded: log.length, replayed: replayLog.length },
    divergence: at?.message ?? null,
    at,
  };
}

async function readPolicyLog(store: Store, runId: string): Promise<PolicyCallRecord[]> {
  const run = await store.getRun(runId);
  const hash = run?.metadata.policyLog;
  const text = typeof hash === 'string' ? await store.getBlob(hash) : undefined;
  return text === undefined ? [] : (JSON.parse(text) as PolicyCallRecord[]);
}

function nodeOfStep(nodes: readonly SearchNodeRecord[], stepId: string): { node?: number } {
  const node = nodes.find((candidate) => candidate.stepId === stepId);
  return node === undefined ? {} : { node: node.nodeId };
}

function compareTrees(original: readonly SearchNodeRecord[], replay: readonly SearchNodeRecord[], prefix: boolean): { message: string; node: number } | null {
  const byId = new Map(replay.map((node) => [node.nodeId, node]));
  for (const node of original) {
    const other = byId.get(node.nodeId);
    if (other === undefined) {
      // A replay that stopped at a commit grew only the part of the tree made before it.
      if (prefix) continue;
      return { message: `search node ${node.nodeId} (${node.action ?? 'root'}) is missing from the replay`, node: node.nodeId };
    }
    if (other.parentId !== node.parentId || other.action !== node.action || JSON.stringify(other.input) !== JSON.stringify(node.input)) {
      return { message: `search node ${node.nodeId} differs: ${node.action ?? 'root'} under ${node.parentId ?? '-'} then, ${other.action ?? 'root'} under ${other.parentId ?? '-'} now`, node: node.nodeId };
    }
    // Statuses change as a search goes on, so a replay that stopped early is compared by structure only.
    if (prefix) continue;
    if (other.status !== node.status) return { message: `search node ${node.nodeId} (${node.action ?? 'root'}) is ${other.status} in the replay, ${node.status} in the recording`, node: node.nodeId };
    if ((other.data.chosen === true) !== (node.data.chosen === true)) return { message: `search node ${node.nodeId} is ${node.data.chosen === true ? '' : 'not '}on the chosen path in the recording`, node: node.nodeId };
  }
  if (replay.length > original.length) {
    const extra = replay.find((node) => node.nodeId >= original.length);
    return { message: `the replay grew ${replay.length} search nodes, the recording ${original.length}`, node: extra?.nodeId ?? original.length };
  }
  return null;
}
