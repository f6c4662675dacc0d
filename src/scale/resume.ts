import type { Environment } from '../environments/index.js';
import { ResumeError, StepInDoubtError } from '../errors/index.js';
import { Executor } from '../execution/index.js';
import type { JsonObject, JsonValue } from '../internal/json.js';
import type { RunRecord, StepRecord, Store } from '../provenance/index.js';
import type { SnapshotCapable } from './solver.js';

export interface OpenedJobRun {
  run: RunRecord;
  /** The run's committed steps, in seq order (empty for a fresh run). */
  steps: StepRecord[];
  /** True when this attempt created the run. */
  created: boolean;
}

/**
 * Finds the job's run or creates it under the id the batch chose. Two attempts racing to create it (a
 * stalled job handed over while its first worker still lived) end up with the same single run.
 */
export async function openJobRun(store: Store, record: Omit<RunRecord, 'createdAt' | 'endedAt' | 'status'>): Promise<OpenedJobRun> {
  const existing = await store.getRun(record.id);
  if (existing !== undefined) return { run: existing, steps: await store.listSteps(record.id), created: false };
  const run: RunRecord = { ...record, status: 'running', createdAt: Date.now(), endedAt: null };
  try {
    await store.createRun(run);
  } catch (error) {
    const raced = await store.getRun(record.id);
    if (raced === undefined) throw error;
    return { run: raced, steps: await store.listSteps(record.id), created: false };
  }
  return { run, steps: [], created: true };
}

/**
 * Refuses to continue a run with an irreversible step whose outcome never arrived, or one that ran nested
 * inside a call that never ended (continuing would make that call, and so the irreversible step, again).
 */
export function assertNothingInDoubt(runId: string, steps: readonly StepRecord[]): void {
  const recorded = new Set(steps.map((step) => step.id));
  const inDoubt = steps
    .filter((step) => step.status === 'running' || (step.effect === 'irreversible' && step.depth > 0 && step.parentStepId !== null && !recorded.has(step.parentStepId)))
    .map((step) => step.id);
  if (inDoubt.length > 0) throw new StepInDoubtError(runId, inDoubt);
}

/**
 * Puts a fresh environment in the state the run's world had after its last committed step, without
 * executing anything the run did: from the checkpoint recorded with that step when the environment can
 * restore one; otherwise by re-executing the committed steps unrecorded (verified against the record),
 * which is refused when any of them is irreversible.
 */
export async function restoreWorld(store: Store, environment: Environment & SnapshotCapable, runId: string, steps: readonly StepRecord[]): Promise<'fresh' | 'checkpoint' | 'rebuilt'> {
  const top = steps.filter((step) => step.depth === 0);
  const last = top[top.length - 1];
  if (last === undefined) return 'fresh';
  const checkpoint = (last.metadata as JsonObject).checkpoint as JsonValue | undefined;
  if (checkpoint !== undefined && typeof environment.restore === 'function') {
    environment.restore(checkpoint);
    return 'checkpoint';
  }
  const calls = top.filter((step) => step.attempt === 1 && step.kind === 'action');
  const irreversible = steps.find((step) => step.effect === 'irreversible');
  if (irreversible !== undefined) {
    throw new ResumeError(runId, `its world cannot be restored without executing irreversible step ${irreversible.id} (${irreversible.action}) again`);
  }
  const executor = new Executor({ store, actions: environment.actions, observe: () => environment.observe() });
  // Unrecorded: the store is not written to.
  const shadow = await executor.startRun({ record: false, replayOf: steps, stopOnBlocked: false });
  for (const call of calls) {
    shadow.reserveSeq(call.seq);
    const result = await shadow.execute(call.action, call.input);
    if (result.status !== call.status || result.step.outputHash !== call.outputHash) {
      throw new ResumeError(runId, `re-executing step ${call.id} (${call.action}) to rebuild its world gave another result`, 'The environment is not deterministic; give it snapshot() and restore().');
    }
  }
  return 'rebuilt';
}
