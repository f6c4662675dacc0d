import { approveAll, denyIrreversible, Executor, type ApprovalPolicy, type ExecutorEvent } from '../execution/index.js';
import type { Environment } from '../environments/index.js';
import { UsageError } from '../errors/index.js';
import { getRunOrThrow, runSteps, type StepRecord, type StepStatus, type Store } from '../provenance/index.js';
import { logicalSteps } from './logical-steps.js';

export type ReplayMode = 'verify' | 'reuse';

export interface ReplayOptions {
  /**
   * `verify` re-executes every step in a fresh environment, feeding back the recorded nondeterminism, and
   * reports the first step whose outcome differs. `reuse` returns the recorded outputs and calls nothing.
   */
  mode: ReplayMode;
  /** A fresh environment to re-execute in (verify mode). */
  environment?: Environment;
  /** Re-execute irreversible steps too (verify mode). Default false: they are skipped and reported. */
  allowIrreversible?: boolean;
  /** Approval for irreversible steps when `allowIrreversible` is set. Default: approve. */
  approval?: ApprovalPolicy;
  /** Record the verify replay as a run of its own, linked to the original. Default true. */
  record?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface ReplayDivergence {
  seq: number;
  stepId: string;
  action: string;
  reason: string;
  expectedHash: string | null;
  actualHash: string | null;
  expectedStatus: StepStatus;
  actualStatus: StepStatus | null;
}

export interface ReplayReport {
  runId: string;
  mode: ReplayMode;
  /** The run that recorded a verify replay (null in reuse mode or with record: false). */
  replayRunId: string | null;
  /** Steps of the original run. */
  total: number;
  /** Steps re-executed and found identical (verify mode). */
  matched: number;
  /** Steps whose recorded outcome was returned without execution. */
  reused: number;
  /** Irreversible steps not re-executed. */
  skipped: { seq: number; stepId: string; action: string }[];
  divergence: ReplayDivergence | null;
  /** The recorded steps (reuse) or the original steps checked (verify), in seq order. */
  steps: StepRecord[];
  durationMs: number;
}

/** Replays a recorded run. Irreversible steps are never re-executed unless `allowIrreversible` is set. */
export async function replay(store: Store, runId: string, options: ReplayOptions): Promise<ReplayReport> {
  const startedAt = performance.now();
  const run = await getRunOrThrow(store, runId);
  const steps = await runSteps(store, runId);
  const base = { runId, mode: options.mode, total: steps.length, steps };

  if (options.mode === 'reuse') {
    options.onProgress?.(steps.length, steps.length);
    return { ...base, replayRunId: null, matched: 0, reused: steps.length, skipped: [], divergence: null, durationMs: performance.now() - startedAt };
  }
  if (options.mode !== 'verify') throw new UsageError(`Unknown replay mode "${String(options.mode)}"`, 'Use "verify" or "reuse".');
  const environment = options.environment;
  if (environment === undefined) {
    throw new UsageError('A verify replay needs a fresh environment to re-execute in', 'Pass options.environment (the CLI builds it from the run\'s recorded environment name).');
  }

  const produced: StepRecord[] = [];
  const onEvent = (event: ExecutorEvent) => {
    if (event.type === 'step-end') produced.push(event.result.step);
  };
  const allowIrreversible = options.allowIrreversible ?? false;
  const executor = new Executor({
    store,
    actions: environment.actions,
    observe: () => environment.observe(),
    approval: allowIrreversible ? (options.approval ?? approveAll) : denyIrreversible,
    onEvent,
  });
  const replayRun = await executor.startRun({
    task: run.task ?? undefined,
    environment: run.environment ?? environment.name,
    metadata: { replayOf: runId, mode: 'verify' },
    record: options.record ?? true,
    replayOf: steps,
    stopOnBlocked: false,
  });

  const original = new Map(steps.map((step) => [step.seq, step]));
  const skipped: ReplayReport['skipped'] = [];
  // Seqs that belong to skipped irreversible calls (the call, its retries and its nested steps).
  const covered = new Set<number>();
  let matched = 0;
  let divergence: ReplayDivergence | null = null;
  const calls = logicalSteps(steps);

  for (const [index, call] of calls.entries()) {
    replayRun.reserveSeq(call.seq);
    if (call.effect === 'irreversible' && !allowIrreversible) {
      // Not executed: its recorded outcome stands in, and the report says so.
      skipped.push({ seq: call.seq, stepId: call.id, action: call.action });
      const next = calls[index + 1]?.seq ?? (steps[steps.length - 1]?.seq ?? call.seq) + 1;
      for (let seq = call.seq; seq < next; seq++) covered.add(seq);
      replayRun.reserveSeq(next);
      options.onProgress?.(index + 1, calls.length);
      continue;
    }
    const from = produced.length;
    await replayRun.execute(call.action, call.input);
    for (const actual of produced.slice(from)) {
      const expected = original.get(actual.seq);
      divergence = compare(expected, actual);
      if (divergence !== null) break;
      matched++;
    }
    if (divergence !== null) break;
    options.onProgress?.(index + 1, calls.length);
  }
  if (divergence === null) divergence = findMissing(steps, produced, covered);
  await replayRun.end(divergence === null ? 'succeeded' : 'failed', { divergence: divergence === null ? null : { ...divergence } });
  return {
    ...base,
    replayRunId: options.record === false ? null : replayRun.id,
    matched,
    reused: 0,
    skipped,
    divergence,
    durationMs: performance.now() - startedAt,
  };
}

function compare(expected: StepRecord | undefined, actual: StepRecord): ReplayDivergence | null {
  if (expected === undefined) {
    return { seq: actual.seq, stepId: actual.id, action: actual.action, reason: 'the replay made a step the recording does not have', expectedHash: null, actualHash: actual.outputHash, expectedStatus: 'ok', actualStatus: actual.status };
  }
  const differ = (reason: string): ReplayDivergence => ({
    seq: expected.seq,
    stepId: expected.id,
    action: expected.action,
    reason,
    expectedHash: expected.outputHash,
    actualHash: actual.outputHash,
    expectedStatus: expected.status,
    actualStatus: actual.status,
  });
  if (expected.action !== actual.action) return differ(`the replay called "${actual.action}" instead`);
  if (expected.inputHash !== actual.inputHash) return differ('the input differs');
  if (expected.status !== actual.status) {
    return differ(`the status differs (${expected.status} recorded, ${actual.status} now${actual.error ? `: ${actual.error.code}` : ''})`);
  }
  if (expected.outputHash !== actual.outputHash) return differ('the output differs');
  if ((expected.error?.code ?? null) !== (actual.error?.code ?? null)) return differ('the error differs');
  return null;
}

function findMissing(steps: StepRecord[], produced: StepRecord[], covered: Set<number>): ReplayDivergence | null {
  const seen = new Set(produced.map((step) => step.seq));
  const missing = steps.find((step) => !seen.has(step.seq) && !covered.has(step.seq));
  if (missing === undefined) return null;
  return {
    seq: missing.seq,
    stepId: missing.id,
    action: missing.action,
    reason: 'the replay did not make this recorded step',
    expectedHash: missing.outputHash,
    actualHash: null,
    expectedStatus: missing.status,
    actualStatus: null,
  };
}
