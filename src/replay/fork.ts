import { ArborError, UsageError } from '../errors/index.js';
import { denyIrreversible, Executor, type ApprovalPolicy, type ExecutorEvent, type StepResult } from '../execution/index.js';
import type { Environment } from '../environments/index.js';
import type { JsonObject, JsonValue } from '../internal/json.js';
import { getRunOrThrow, hashJson, resolveStep, runSteps, type RunRecord, type StepRecord, type Store } from '../provenance/index.js';
import { logicalSteps } from './logical-steps.js';

export interface ForkChange {
  /** Call another action at the fork step. Default: the recorded one. */
  action?: string;
  /** Call it with this input. Default: the recorded input. */
  input?: unknown;
}

export interface ForkOptions {
  /** The step to fork at: its id, or its seq within the run. It is replaced by the changed call. */
  at: string | number;
  change?: ForkChange;
  /** A fresh environment: the recorded prefix is re-executed in it (unrecorded) to rebuild the state. */
  environment: Environment;
  approval?: ApprovalPolicy;
  /**
   * After the changed step: `continue` makes the original run's later calls again (with their recorded
   * inputs) so the two runs can be compared; `stop` ends the fork there. Default `continue`.
   */
  then?: 'continue' | 'stop';
  onEvent?: (event: ExecutorEvent) => void;
}

export interface ForkResult {
  run: RunRecord;
  /** The steps the fork itself recorded, from the changed one on. */
  results: StepResult[];
  /** Recorded steps re-executed (unrecorded) to rebuild the state at the fork point. */
  restored: number;
  /** Irreversible steps of the prefix that were not re-executed while rebuilding; their effects are absent. */
  skippedIrreversible: { seq: number; action: string }[];
}

/**
 * Starts a new run that shares the original's steps before `at`, then calls a changed action or input at
 * `at` and goes on from there. The shared prefix is not copied: the fork points at its parent.
 */
export async function fork(store: Store, runId: string, options: ForkOptions): Promise<ForkResult> {
  const original = await getRunOrThrow(store, runId);
  const steps = await runSteps(store, runId);
  const target = await resolveStep(store, runId, options.at);
  if (target.depth !== 0 || target.kind !== 'action') {
    throw new UsageError(`Step ${target.id} is nested inside another step`, 'Fork at a top-level step: see the seq numbers in "arbor show".');
  }
  if (options.change?.action !== undefined) options.environment.actions.get(options.change.action);
  const calls = logicalSteps(steps);
  const environment = options.environment;

  // Rebuild the state at the fork point: re-execute the prefix without recording, checking each outcome.
  const restoreExecutor = new Executor({ store, actions: environment.actions, observe: () => environment.observe(), approval: denyIrreversible });
  const restoreRun = await restoreExecutor.startRun({ record: false, replayOf: steps, stopOnBlocked: false });
  const skippedIrreversible: ForkResult['skippedIrreversible'] = [];
  let restored = 0;
  const prefix = calls.filter((call) => call.seq < target.seq);
  for (const [index, call] of prefix.entries()) {
    restoreRun.reserveSeq(call.seq);
    if (call.effect === 'irreversible') {
      skippedIrreversible.push({ seq: call.seq, action: call.action });
      restoreRun.reserveSeq(prefix[index + 1]?.seq ?? target.seq);
      continue;
    }
    const result = await restoreRun.execute(call.action, call.input);
    restored++;
    if (result.status !== call.status || result.step.outputHash !== call.outputHash) {
      throw new ArborError('ARBOR_FORK_DIVERGED', `Rebuilding the state for the fork diverged at step ${call.seq} (${call.action})`, {
        hint: `Run "arbor replay ${runId} --mode verify" to see why the recording no longer reproduces.`,
        data: { seq: call.seq, expectedHash: call.outputHash, actualHash: result.step.outputHash },
      });
    }
  }

  const head = lastSuccessful(steps.filter((step) => step.seq < target.seq));
  const executor = new Executor({
    store,
    actions: environment.actions,
    observe: () => environment.observe(),
    approval: options.approval ?? denyIrreversible,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  const change = options.change ?? {};
  const metadata: JsonObject = {
    forkOf: runId,
    forkAt: target.id,
    change: {
      ...(change.action === undefined ? {} : { action: change.action }),
      ...(change.input === undefined ? {} : { inputHash: hashJson(change.input).hash, input: JSON.parse(hashJson(change.input).json) as JsonValue }),
    },
  };
  const run = await executor.startRun({
    task: original.task ?? undefined,
    environment: original.environment ?? environment.name,
    metadata,
    fork: { parentRunId: runId, forkSeq: target.seq, headStepId: head?.id ?? null },
  });

  const results: StepResult[] = [];
  results.push(await run.execute(change.action ?? target.action, change.input !== undefined ? change.input : target.input));
  if ((options.then ?? 'continue') === 'continue') {
    for (const call of calls.filter((candidate) => candidate.seq > target.seq)) {
      if (run.status !== 'running') break;
      results.push(await run.execute(call.action, call.input));
    }
  }
  const failed = results.some((result) => result.status === 'failed' || result.status === 'cancelled');
  const record = await run.end(failed ? 'failed' : 'succeeded');
  return { run: record, results, restored, skippedIrreversible };
}

function lastSuccessful(steps: StepRecord[]): StepRecord | undefined {
  for (let index = steps.length - 1; index >= 0; index--) {
    const step = steps[index];
    if (step !== undefined && step.depth === 0 && step.status === 'ok') return step;
  }
  return undefined;
}
