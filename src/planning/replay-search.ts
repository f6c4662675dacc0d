import type { Environment } from '../environments/index.js';
import { ArborError, SearchDivergedError, UsageError } from '../errors/index.js';
import { denyIrreversible, type ApprovalPolicy } from '../execution/index.js';
import type { JsonObject } from '../internal/json.js';
import { getRunOrThrow, runSteps, type SearchNodeRecord, type Store } from '../provenance/index.js';
import type { Budget } from './budget.js';
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

  constructor(log: readonly PolicyCallRecord[], name = 'recorded') {
    this.#log = log;
    this.name = name;
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
    return { value: record.response as never, usage: { ...record.usage } };
  }
}

export interface ReplaySearchOptions {
  /** A fresh environment to replay in (the recording's steps are executed again in it). */
  environment: Environment;
  createEnvironment?: () => Environment | Promise<Environment>;
  /**
   * Approval for the irreversible steps the search committed. Default: refuse, so a replay stops at the
   * first commit unless you allow it (in a copy of the world, say).
   */
  approval?: ApprovalPolicy;
}

export interface SearchReplayReport {
  /** The recorded search. */
  runId: string;
  result: PlanResult;
  /** The replay generated the same tree (same actions, inputs, statuses, parents) and chose the same path. */
  sameChoices: boolean;
  /** The recorded steps whose outcome (status or output hash) the replay reproduced, out of those compared. */
  matchedSteps: number;
  comparedSteps: number;
  divergence: string | null;
}

/**
 * Replays a recorded search: the same strategy and settings, the recorded policy answers, in a fresh
 * environment. Reports whether the search made the same choices and whether every step it re-executed
 * produced the recorded outcome.
 */
export async function replaySearch(store: Store, runId: string, options: ReplaySearchOptions): Promise<SearchReplayReport> {
  const run = await getRunOrThrow(store, runId);
  const metadata = run.metadata;
  if (metadata.kind !== 'search' || typeof metadata.strategy !== 'string' || typeof metadata.taskId !== 'string') {
    throw new UsageError(`Run ${runId} is not a recorded search`, 'Replay it with "arbor replay" instead.', { runId });
  }
  const logText = typeof metadata.policyLog === 'string' ? await store.getBlob(metadata.policyLog) : undefined;
  if (logText === undefined) throw new ArborError('ARBOR_SEARCH_INCOMPLETE', `Run ${runId} has no policy log`, { hint: 'The search did not finish recording; it cannot be replayed.', data: { runId } });
  const log = JSON.parse(logText) as PolicyCallRecord[];
  const planner = createPlanner(metadata.strategy, (metadata.strategyOptions ?? {}) as JsonObject);
  const { wallTimeMs: _wallTime, ...budget } = (metadata.budget ?? {}) as Budget;
  const policy = new RecordedPolicy(log, `recorded(${String(metadata.policy ?? 'policy')})`);
  const result: PlanResult = await plan({
      environment: options.environment,
      ...(options.createEnvironment === undefined ? {} : { createEnvironment: options.createEnvironment }),
      task: metadata.taskId,
      planner,
      policy,
      store,
      budget,
      approval: options.approval ?? denyIrreversible,
      ...(typeof metadata.maxDepth === 'number' ? { maxDepth: metadata.maxDepth } : {}),
      metadata: { replayOf: runId },
    });
  const [originalNodes, replayNodes] = await Promise.all([store.listSearchNodes(runId), store.listSearchNodes(result.runId)]);
  let divergence = compareTrees(originalNodes, replayNodes);
  if (divergence === null && policy.used !== log.length) divergence = `the replay made ${policy.used} policy calls, the recording ${log.length}`;
  const askedElse = result.policyLog.findIndex((call, index) => call.request !== log[index]?.request);
  if (divergence === null && askedElse >= 0) divergence = `policy call ${askedElse + 1} asked about something else (${log[askedElse]?.request ?? '-'} then, ${result.policyLog[askedElse]?.request ?? '-'} now)`;
  const [originalSteps, replaySteps] = await Promise.all([runSteps(store, runId), runSteps(store, result.runId)]);
  const replayBySeq = new Map(replaySteps.map((step) => [step.seq, step]));
  let matchedSteps = 0;
  for (const step of originalSteps) {
    const again = replayBySeq.get(step.seq);
    if (again !== undefined && again.action === step.action && again.inputHash === step.inputHash && again.status === step.status && again.outputHash === step.outputHash) matchedSteps++;
    else if (divergence === null) divergence = `step ${step.seq} (${step.action}) did not reproduce`;
  }
  return { runId, result, sameChoices: compareTrees(originalNodes, replayNodes) === null, matchedSteps, comparedSteps: originalSteps.length, divergence };
}

function compareTrees(original: readonly SearchNodeRecord[], replay: readonly SearchNodeRecord[]): string | null {
  if (original.length !== replay.length) return `the recording has ${original.length} search nodes, the replay ${replay.length}`;
  const byId = new Map(replay.map((node) => [node.nodeId, node]));
  for (const node of original) {
    const other = byId.get(node.nodeId);
    if (other === undefined) return `search node ${node.nodeId} is missing from the replay`;
    if (other.parentId !== node.parentId || other.action !== node.action || JSON.stringify(other.input) !== JSON.stringify(node.input) || other.status !== node.status) {
      return `search node ${node.nodeId} differs: ${node.action} (${node.status}) then, ${other.action} (${other.status}) now`;
    }
    if ((other.data.chosen === true) !== (node.data.chosen === true)) return `search node ${node.nodeId} is ${node.data.chosen === true ? '' : 'not '}on the chosen path in the recording`;
  }
  return null;
}
